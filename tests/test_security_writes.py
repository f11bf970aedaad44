"""Security: writes out of scope, role escalation, and supervisors who also teach."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update

from mypd_graph import models
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)
from tests.security_helpers import ERRORS, audit_events, fingerprint, mutate
from tests.security_world import GHOST, OTHER_TEACHER, Owned, Rich, gid
from tests.security_world import rich as rich  # the fixture, found by its name

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase


DENIED = {"NOT_FOUND", "FORBIDDEN"}


ID_FIELDS = {
    "planId": "LearningPlan",
    "goalId": "Goal",
    "actionStepId": "ActionStep",
    "evidenceId": "Evidence",
    "observationId": "Observation",
    "teacherId": "Teacher",
}


def owner_writes(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    """Writes only the owning teacher may make, each valid when the owner makes it (in order)."""
    return [
        ("addGoal", {"planId": o.ids["plan"], "title": "pwned", "elementCodes": ["1.1"]}),
        ("updateGoal", {"goalId": o.ids["goal"], "title": "pwned"}),
        ("updateGoal", {"goalId": o.ids["approved_goal"], "progress": 99}),
        ("addActionStep", {"goalId": o.ids["goal"], "description": "pwned"}),
        ("updateActionStep", {"actionStepId": o.ids["step"], "description": "pwned"}),
        ("updateActionStep", {"actionStepId": o.ids["step"], "status": "DONE"}),
        ("updateEvidence", {"evidenceId": o.ids["evidence"], "title": "pwned"}),
        ("submitPlan", {"planId": o.ids["plan"]}),
    ]


def supervisor_writes(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    """Writes the supervisors serving the teacher may make (each valid for them, in order)."""
    return [
        ("approvePlan", {"planId": o.ids["submitted_plan"]}),
        ("returnPlan", {"planId": o.ids["second_submitted_plan"], "note": "pwned"}),
        (
            "recordObservation",
            {
                "teacherId": o.ids["teacher"],
                "kind": "INFORMAL",
                "observedOn": "2025-10-02",
                "notes": "pwned",
            },
        ),
    ]


def reader_writes(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    """Writes anyone who may read the teacher's data may make (the teacher and supervisors)."""
    return [
        # a goal of the approved plan: one never submitted is the teacher's alone
        ("addComment", {"goalId": o.ids["approved_goal"], "body": "pwned"}),
        ("addComment", {"evidenceId": o.ids["evidence"], "body": "pwned"}),
        ("addComment", {"observationId": o.ids["observation"], "body": "pwned"}),
        ("completePlan", {"planId": o.ids["approved_plan"]}),
    ]


def admin_writes(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "recordTrainingRecord",
            {
                "teacherId": o.ids["teacher"],
                "title": "pwned",
                "completedOn": "2025-01-01",
                "hours": 1.0,
            },
        )
    ]


def every_write(o: Owned) -> list[tuple[str, dict[str, Any]]]:
    return owner_writes(o) + supervisor_writes(o) + reader_writes(o) + admin_writes(o)


def ghost_of(input: dict[str, Any]) -> dict[str, Any]:
    """The same input aimed at an object of the same type that does not exist."""
    return {
        key: gid(ID_FIELDS[key], GHOST) if key in ID_FIELDS else value
        for key, value in input.items()
    }


# --------------------------------------------------------------------------------------------------
# IDOR on every mutation that takes an ID; role escalation; nothing written
# --------------------------------------------------------------------------------------------------

# (attacker, victim): the attacker neither owns nor serves the victim's data.
STRANGERS = [
    (TEACHER_B, TEACHER_A),
    (TEACHER_C, TEACHER_A),
    (COACH, TEACHER_B),
    (COACH, TEACHER_C),
    (PRINCIPAL_SOUTH, TEACHER_A),
    (PRINCIPAL_NORTH, TEACHER_C),
    (OUTSIDER, TEACHER_A),
    (OUTSIDER, TEACHER_C),
    (IMPORTER, TEACHER_A),
    (OTHER_TEACHER, TEACHER_A),
    (ADMIN, OTHER_TEACHER),
    (TEACHER_A, OTHER_TEACHER),
]


@pytest.mark.parametrize(("attacker", "victim"), STRANGERS)
async def test_strangers_write_nothing_and_learn_nothing(
    client: GraphQLClient, db: TestDatabase, rich: Rich, attacker: str, victim: str
) -> None:
    """Every mutation aimed at a stranger's object fails exactly as it does for a missing object,
    and no row anywhere changes."""
    before = await fingerprint(db)
    for name, input in every_write(rich.owned[victim]):
        real = await mutate(client, name, input, as_=attacker)
        ghost = await mutate(client, name, ghost_of(input), as_=attacker)
        assert real["result"] is None, (name, input)
        assert [error["code"] for error in real["userErrors"]][:1] in (["NOT_FOUND"], ["FORBIDDEN"])
        assert real == ghost, f"{name}: the answer tells an existing object from a missing one"
    assert await fingerprint(db) == before


@pytest.mark.parametrize(
    ("supervisor", "teacher"),
    [(COACH, TEACHER_A), (PRINCIPAL_NORTH, TEACHER_B), (ADMIN, TEACHER_C)],
)
async def test_supervisors_read_but_never_write_a_teachers_own_data(
    client: GraphQLClient, db: TestDatabase, rich: Rich, supervisor: str, teacher: str
) -> None:
    before = await fingerprint(db)
    for name, input in owner_writes(rich.owned[teacher]):
        payload = await mutate(client, name, input, as_=supervisor)
        assert payload["result"] is None, (name, input)
        # A plan never submitted (its goal, its step) does not exist for those who serve the
        # teacher (docs/privacy.md): NOT_FOUND; what they may read, FORBIDDEN.
        hidden = any(
            not rich.may_see(supervisor, value)
            for value in input.values()
            if value in rich.owner_of
        )
        expected = "NOT_FOUND" if hidden else "FORBIDDEN"
        assert payload["userErrors"][0]["code"] == expected, (name, payload)
    assert await fingerprint(db) == before


async def test_teachers_cannot_supervise_themselves(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    before = await fingerprint(db)
    for teacher in (TEACHER_A, TEACHER_B, TEACHER_C, OTHER_TEACHER):
        for name, input in supervisor_writes(rich.owned[teacher]):
            payload = await mutate(client, name, input, as_=teacher)
            assert payload["result"] is None, (teacher, name)
            assert payload["userErrors"][0]["code"] == "FORBIDDEN", (teacher, name, payload)
    for name, input in admin_writes(rich.owned[TEACHER_B]):
        payload = await mutate(client, name, input, as_=TEACHER_A)
        assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    for role in (COACH, PRINCIPAL_NORTH):  # only district admins record training for others
        payload = await mutate(client, *admin_writes(rich.owned[TEACHER_A])[0], as_=role)
        assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    assert await fingerprint(db) == before


async def test_the_same_inputs_succeed_for_the_rightful_actors(
    client: GraphQLClient, rich: Rich
) -> None:
    """Controls: the attacks above fail because of who sent them, not because they are malformed."""
    a = rich.owned[TEACHER_A]
    for name, input in owner_writes(a):
        payload = await mutate(client, name, input, as_=TEACHER_A)
        assert payload["userErrors"] == [], (name, payload)
    for name, input in supervisor_writes(a):
        payload = await mutate(client, name, input, as_=COACH)
        assert payload["userErrors"] == [], (name, payload)
    for name, input in reader_writes(rich.owned[TEACHER_B]):
        payload = await mutate(client, name, input, as_=PRINCIPAL_NORTH)
        assert payload["userErrors"] == [], (name, payload)
    for name, input in admin_writes(rich.owned[TEACHER_C]):
        payload = await mutate(client, name, input, as_=ADMIN)
        assert payload["userErrors"] == [], (name, payload)


async def test_roles_without_a_teacher_profile_cannot_write_growth_data(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    before = await fingerprint(db)
    own_writes = [
        ("createLearningPlan", {"cycle": "2026-27"}),
        ("addEvidence", {"kind": "REFLECTION", "title": "pwned"}),
        (
            "submitSelfAssessment",
            {"cycle": "2025-26", "ratings": [{"elementCode": "1.1", "level": "emerging"}]},
        ),
        ("recordTrainingRecord", {"title": "pwned", "completedOn": "2025-01-01", "hours": 1.0}),
        ("updateProfile", {"bio": "pwned"}),
        ("setFocusElements", {"elementCodes": ["1.2"]}),
    ]
    for role in (IMPORTER, COACH, PRINCIPAL_NORTH, ADMIN, OUTSIDER):
        for name, input in own_writes:
            payload = await mutate(client, name, input, as_=role)
            assert payload["result"] is None, (role, name)
            assert payload["userErrors"][0]["code"] in {"FORBIDDEN", "NOT_A_TEACHER"}, payload
    assert await fingerprint(db) == before


async def test_only_a_district_admin_changes_the_active_framework_and_only_their_own(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    query = (
        "mutation($key: String!) { activateFramework(key: $key) { district { id key } "
        f"{ERRORS} }} }}"
    )
    before = await fingerprint(db)
    for role in (TEACHER_A, COACH, PRINCIPAL_NORTH, IMPORTER, OTHER_TEACHER):
        data = await client.execute(query, {"key": "cstp-2009"}, as_=role)
        assert data["activateFramework"]["district"] is None
        assert data["activateFramework"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert await fingerprint(db) == before
    data = await client.execute(query, {"key": "cstp-2009"}, as_=OUTSIDER)
    assert data["activateFramework"]["district"]["key"] == "other"


async def test_evidence_cannot_be_tied_to_someone_elses_goal(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """goalIds of another teacher, of the other district, or that do not exist: the same answer."""
    before = await fingerprint(db)
    mine = rich.owned[TEACHER_A]
    answers = []
    for goal in (
        rich.owned[TEACHER_B].ids["goal"],
        rich.owned[OTHER_TEACHER].ids["goal"],
        gid("Goal", GHOST),
    ):
        added = await mutate(
            client,
            "addEvidence",
            {"kind": "REFLECTION", "title": "x", "goalIds": [goal]},
            as_=TEACHER_A,
        )
        updated = await mutate(
            client,
            "updateEvidence",
            {"evidenceId": mine.ids["evidence"], "goalIds": [goal]},
            as_=TEACHER_A,
        )
        assert added["result"] is None and updated["result"] is None
        answers.append((added["userErrors"], updated["userErrors"]))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0][0]["code"] == "UNKNOWN_GOAL"
    assert await fingerprint(db) == before


async def test_goals_cannot_align_to_another_districts_initiative(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    before = await fingerprint(db)
    mine = rich.owned[TEACHER_A]
    answers = []
    for district_goal in (rich.other_district_goal, gid("DistrictGoal", GHOST)):
        updated = await mutate(
            client,
            "updateGoal",
            {"goalId": mine.ids["goal"], "districtGoalId": district_goal},
            as_=TEACHER_A,
        )
        added = await mutate(
            client,
            "addGoal",
            {
                "planId": mine.ids["plan"],
                "title": "t",
                "elementCodes": ["1.1"],
                "districtGoalId": district_goal,
            },
            as_=TEACHER_A,
        )
        assert updated["result"] is None and added["result"] is None
        answers.append((updated["userErrors"], added["userErrors"]))
    assert answers[0] == answers[1]
    assert answers[0][0][0]["code"] == "NOT_FOUND"
    assert await fingerprint(db) == before
    ok = await mutate(
        client,
        "updateGoal",
        {"goalId": mine.ids["goal"], "districtGoalId": rich.district_goal},
        as_=TEACHER_A,
    )
    assert ok["userErrors"] == []


async def test_a_role_change_takes_effect_on_the_next_request(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """Tokens carry no role: demoting an admin cuts their reach with the very same token."""
    query = "{ district { teachers { totalCount } } }"
    token_ = client.token_for(ADMIN)
    before = (await client.post(query, None, token_)).json()
    assert before["data"]["district"]["teachers"]["totalCount"] == 3
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.User)
            .where(models.User.id == rich.world.id(ADMIN))
            .values(role=models.Role.TEACHER.value)
        )
    after = (await client.post(query, None, token_)).json()
    assert after["data"]["district"]["teachers"]["totalCount"] == 0


async def test_the_importer_role_reads_no_growth_or_student_data(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    a = rich.owned[TEACHER_A]
    data = await client.execute(
        """query($t: ID!, $s: ID!) {
          viewer { role teacher { id } }
          district { teachers(first: 50) { totalCount nodes { id } } }
          teacher(id: $t) { id }
          section: node(id: $s) { id }
        }""",
        {"t": a.ids["teacher"], "s": a.ids["section"]},
        as_=IMPORTER,
    )
    assert data["viewer"] == {"role": "IMPORTER", "teacher": None}
    assert data["district"]["teachers"] == {"totalCount": 0, "nodes": []}
    assert data["teacher"] is None and data["section"] is None
    assert await audit_events(db, rich.world.id(IMPORTER)) == []


# --------------------------------------------------------------------------------------------------
# Supervisors who also teach
# --------------------------------------------------------------------------------------------------


async def give_teacher_profile(db: TestDatabase, world: World, email: str, school: str) -> None:
    async with db.sessionmaker.begin() as session:
        session.add(
            models.TeacherProfile(
                user_id=world.id(email),
                school_id=world.school_ids[school],
                subjects=["Math"],
                grade_levels=["4"],
                years_experience=10,
            )
        )


async def submitted_plan_of(client: GraphQLClient, email: str) -> str:
    plan = await mutate(client, "createLearningPlan", {"cycle": "2026-27"}, as_=email)
    plan_id = plan["result"]["id"]
    goal = await mutate(
        client, "addGoal", {"planId": plan_id, "title": "mine", "elementCodes": ["1.1"]}, as_=email
    )
    assert goal["userErrors"] == []
    submitted = await mutate(client, "submitPlan", {"planId": plan_id}, as_=email)
    assert submitted["result"]["status"] == "SUBMITTED"
    return plan_id


async def test_a_principal_who_teaches_cannot_approve_their_own_plan(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    await give_teacher_profile(db, rich.world, PRINCIPAL_NORTH, "N")
    plan_id = await submitted_plan_of(client, PRINCIPAL_NORTH)
    approved = await mutate(client, "approvePlan", {"planId": plan_id}, as_=PRINCIPAL_NORTH)
    assert approved["result"] is None
    assert approved["userErrors"][0]["code"] == "FORBIDDEN"


async def test_a_principal_who_teaches_cannot_observe_themself(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    await give_teacher_profile(db, rich.world, PRINCIPAL_NORTH, "N")
    observed = await mutate(
        client,
        "recordObservation",
        {
            "teacherId": gid("Teacher", rich.world.id(PRINCIPAL_NORTH)),
            "kind": "FORMAL",
            "observedOn": "2025-10-01",
            "ratings": [{"elementCode": "1.1", "level": "innovating"}],
        },
        as_=PRINCIPAL_NORTH,
    )
    assert observed["result"] is None
    assert observed["userErrors"][0]["code"] == "FORBIDDEN"


async def test_a_principal_who_teaches_still_only_serves_their_school(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    await give_teacher_profile(db, rich.world, PRINCIPAL_NORTH, "N")
    for name, input in supervisor_writes(rich.owned[TEACHER_C]):
        payload = await mutate(client, name, input, as_=PRINCIPAL_NORTH)
        assert payload["userErrors"][0]["code"] in DENIED
