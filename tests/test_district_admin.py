"""A district admin manages their district over GraphQL: schools, users, caseloads, district goals.

Every test goes through HTTP as the admin of the test district (tests/factories.py) and checks
what the people concerned then see, not only the payload."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mypd_graph import models
from tests.factories import ADMIN, COACH, OUTSIDER, TEACHER_A, TEACHER_B, World
from tests.security_helpers import audit_events
from tests.security_world import gid

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

ERRORS = "userErrors { field message code }"
SELECTIONS = {
    "createSchool": "school { id code name gradeBand }",
    "updateSchool": "school { id code name gradeBand }",
    "createUser": "user { id name role email school { code } teacher { id } }",
    "updateUser": "user { id name role school { code } teacher { id } }",
    "deactivateUser": "user { id }",
    "reactivateUser": "user { id }",
    "assignCoach": "coach { id name } teacher { id }",
    "unassignCoach": "coach { id name } teacher { id }",
    "createDistrictGoal": "districtGoal { id title description }",
    "updateDistrictGoal": "districtGoal { id title description }",
    "archiveDistrictGoal": "districtGoal { id title }",
    "setRosterStaffRoles": "enabled",
}
INPUTS = {
    "createSchool": "CreateSchoolInput",
    "updateSchool": "UpdateSchoolInput",
    "createUser": "CreateUserInput",
    "updateUser": "UpdateUserInput",
    "deactivateUser": "UserIdInput",
    "reactivateUser": "UserIdInput",
    "assignCoach": "CoachAssignmentInput",
    "unassignCoach": "CoachAssignmentInput",
    "createDistrictGoal": "CreateDistrictGoalInput",
    "updateDistrictGoal": "UpdateDistrictGoalInput",
    "archiveDistrictGoal": "DistrictGoalIdInput",
    "setRosterStaffRoles": "SetRosterStaffRolesInput",
}


async def admin_mutation(
    client: GraphQLClient, name: str, input: dict[str, Any], as_: str = ADMIN
) -> dict[str, Any]:
    """The payload of one admin mutation (its userErrors included)."""
    query = (
        f"mutation($input: {INPUTS[name]}!) {{ {name}(input: $input) "
        f"{{ {SELECTIONS[name]} {ERRORS} }} }}"
    )
    return (await client.execute(query, {"input": input}, as_=as_))[name]  # type: ignore[no-any-return]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def test_a_new_school_and_its_teacher_who_then_signs_in(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    school = await admin_mutation(
        client, "createSchool", {"code": "E", "name": "East High", "gradeBand": "9-12"}
    )
    assert school["userErrors"] == []
    assert school["school"]["code"] == "E"
    created = await admin_mutation(
        client,
        "createUser",
        {
            "email": " Erin.East@Test.mypd ",
            "name": "Erin East",
            "role": "TEACHER",
            "schoolId": school["school"]["id"],
        },
    )
    assert created["userErrors"] == []
    user = created["user"]
    assert (user["email"], user["role"], user["school"]) == (
        "erin.east@test.mypd",
        "TEACHER",
        {"code": "E"},
    )
    assert user["teacher"] is not None  # creating a teacher creates the teacher profile

    async with db.sessionmaker() as session:
        erin = await session.scalar(
            select(models.User).where(models.User.email == "erin.east@test.mypd")
        )
        assert erin is not None
        profile = await session.get(models.TeacherProfile, erin.id)
        assert profile is not None and profile.school_id == erin.school_id
    world.user_ids["erin.east@test.mypd"] = erin.id
    viewer = await client.execute(
        "{ viewer { name role teacher { school { code } } } }", as_="erin.east@test.mypd"
    )
    assert viewer["viewer"] == {
        "name": "Erin East",
        "role": "TEACHER",
        "teacher": {"school": {"code": "E"}},
    }

    duplicate = await admin_mutation(client, "createSchool", {"code": "E", "name": "Again"})
    assert codes(duplicate) == ["DUPLICATE"] and duplicate["school"] is None
    renamed = await admin_mutation(
        client, "updateSchool", {"schoolId": school["school"]["id"], "name": "East Senior High"}
    )
    assert renamed["school"]["name"] == "East Senior High"
    assert renamed["school"]["code"] == "E"


async def test_bad_input_is_a_user_error_and_writes_nothing(
    client: GraphQLClient, world: World
) -> None:
    north = gid("School", world.school_ids["N"])
    cases = [
        ({"email": "not-an-email", "name": "X", "role": "TEACHER"}, "BAD_EMAIL"),
        ({"email": TEACHER_A.upper(), "name": "X", "role": "TEACHER"}, "EMAIL_TAKEN"),
        ({"email": OUTSIDER, "name": "X", "role": "COACH"}, "EMAIL_TAKEN"),  # across districts
        ({"email": "p@test.mypd", "name": "Pat", "role": "PRINCIPAL"}, "SCHOOL_REQUIRED"),
        ({"email": "x@test.mypd", "name": "x" * 201, "role": "COACH"}, "TOO_LONG"),
        ({"email": "x@test.mypd", "name": " ", "role": "COACH"}, "REQUIRED"),
        ({"email": "x@test.mypd", "name": "a\x07b", "role": "COACH"}, "BAD_TEXT"),
        (
            {
                "email": "x@test.mypd",
                "name": "X",
                "role": "TEACHER",
                "schoolId": gid("School", world.school_ids["X"]),  # the other district's
            },
            "NOT_FOUND",
        ),
        ({"email": "x@test.mypd", "name": "X", "role": "TEACHER", "schoolId": "nope"}, "BAD_ID"),
    ]
    for input, code in cases:
        payload = await admin_mutation(client, "createUser", input)
        assert codes(payload) == [code], (input, payload)
        assert payload["user"] is None
    ok = await admin_mutation(
        client,
        "createUser",
        {"email": "p@test.mypd", "name": "Pat", "role": "PRINCIPAL", "schoolId": north},
    )
    assert ok["userErrors"] == [] and ok["user"]["school"] == {"code": "N"}


async def test_deactivated_users_cannot_sign_in_until_reactivated(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    ana = gid("User", world.id(TEACHER_A))
    assert (await admin_mutation(client, "deactivateUser", {"userId": ana}))["userErrors"] == []
    refused = await client.post("{ viewer { name } }", None, client.token_for(TEACHER_A))
    assert refused.status_code == 401
    again = await admin_mutation(client, "deactivateUser", {"userId": ana})
    assert codes(again) == ["UNCHANGED"]
    assert (await admin_mutation(client, "reactivateUser", {"userId": ana}))["userErrors"] == []
    back = await client.execute("{ viewer { name } }", as_=TEACHER_A)
    assert back["viewer"]["name"] == "Ana Alvarez"
    actions = [event.action for event in await audit_events(db, world.id(ADMIN))]
    assert actions == ["deactivate", "reactivate"]  # the refused one wrote nothing


async def test_the_last_active_admin_stays(client: GraphQLClient, world: World) -> None:
    me = gid("User", world.id(ADMIN))
    assert codes(await admin_mutation(client, "deactivateUser", {"userId": me})) == ["LAST_ADMIN"]
    demoted = await admin_mutation(client, "updateUser", {"userId": me, "role": "COACH"})
    assert codes(demoted) == ["LAST_ADMIN"]

    second = await admin_mutation(
        client, "createUser", {"email": "deputy@test.mypd", "name": "Dee", "role": "DISTRICT_ADMIN"}
    )
    assert second["userErrors"] == []
    demoted = await admin_mutation(client, "updateUser", {"userId": me, "role": "COACH"})
    assert demoted["userErrors"] == [] and demoted["user"]["role"] == "COACH"
    # No longer an admin: the next admin mutation is refused.
    refused = await admin_mutation(client, "deactivateUser", {"userId": second["user"]["id"]})
    assert codes(refused) == ["FORBIDDEN"]


async def test_a_principal_moves_school_and_a_teacher_takes_their_profile_along(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    south = gid("School", world.school_ids["S"])
    ben = gid("User", world.id(TEACHER_B))
    moved = await admin_mutation(client, "updateUser", {"userId": ben, "schoolId": south})
    assert moved["user"]["school"] == {"code": "S"}
    async with db.sessionmaker() as session:
        profile = await session.get(models.TeacherProfile, world.id(TEACHER_B))
        assert profile is not None and profile.school_id == world.school_ids["S"]
    cleared = await admin_mutation(
        client,
        "updateUser",
        {"userId": gid("User", world.id("principal.north@test.mypd")), "schoolId": None},
    )
    assert codes(cleared) == ["SCHOOL_REQUIRED"]  # a principal has a school
    principal = await admin_mutation(
        client,
        "updateUser",
        {"userId": gid("User", world.id("principal.north@test.mypd")), "schoolId": south},
    )
    assert principal["user"]["school"] == {"code": "S"}


TEACHER_NODE = "query($id: ID!) { node(id: $id) { ... on Teacher { id } } }"


async def test_caseloads_decide_whom_a_coach_sees(client: GraphQLClient, world: World) -> None:
    coach, ben = gid("User", world.id(COACH)), gid("Teacher", world.id(TEACHER_B))
    assert (await client.execute(TEACHER_NODE, {"id": ben}, as_=COACH))["node"] is None
    assigned = await admin_mutation(client, "assignCoach", {"coachId": coach, "teacherId": ben})
    assert assigned["userErrors"] == [] and assigned["teacher"]["id"] == ben
    assert (await client.execute(TEACHER_NODE, {"id": ben}, as_=COACH))["node"] == {"id": ben}
    again = await admin_mutation(client, "assignCoach", {"coachId": coach, "teacherId": ben})
    assert codes(again) == ["ALREADY_ASSIGNED"]

    not_a_coach = await admin_mutation(
        client,
        "assignCoach",
        {"coachId": gid("User", world.id(TEACHER_A)), "teacherId": ben},
    )
    assert codes(not_a_coach) == ["ROLE"]
    not_a_teacher = await admin_mutation(
        client, "assignCoach", {"coachId": coach, "teacherId": coach}
    )
    assert codes(not_a_teacher) == ["ROLE"]

    removed = await admin_mutation(client, "unassignCoach", {"coachId": coach, "teacherId": ben})
    assert removed["userErrors"] == []
    assert (await client.execute(TEACHER_NODE, {"id": ben}, as_=COACH))["node"] is None
    gone = await admin_mutation(client, "unassignCoach", {"coachId": coach, "teacherId": ben})
    assert codes(gone) == ["NOT_ASSIGNED"]


async def test_district_goals_are_created_edited_and_archived(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    created = await admin_mutation(
        client, "createDistrictGoal", {"title": "Literacy across subjects", "description": "K-12"}
    )
    assert created["userErrors"] == []
    goal_id = created["districtGoal"]["id"]
    listed = await client.execute("{ districtGoals { id title } }", as_=TEACHER_A)
    assert {"id": goal_id, "title": "Literacy across subjects"} in listed["districtGoals"]
    updated = await admin_mutation(
        client, "updateDistrictGoal", {"districtGoalId": goal_id, "title": "Literacy for all"}
    )
    assert updated["districtGoal"] == {
        "id": goal_id,
        "title": "Literacy for all",
        "description": "K-12",
    }
    archived = await admin_mutation(client, "archiveDistrictGoal", {"districtGoalId": goal_id})
    assert archived["userErrors"] == []
    listed = await client.execute("{ districtGoals { id } }", as_=TEACHER_A)
    assert {"id": goal_id} not in listed["districtGoals"]
    again = await admin_mutation(client, "archiveDistrictGoal", {"districtGoalId": goal_id})
    assert codes(again) == ["UNCHANGED"]
    events = await audit_events(db, world.id(ADMIN))
    assert [(e.action, e.entity) for e in events] == [
        ("create", "district_goal"),
        ("update", "district_goal"),
        ("archive", "district_goal"),
    ]
