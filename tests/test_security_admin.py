"""Security: the district admin's mutations, every role against every one of them.

Principals, coaches, teachers and the importer service are refused every admin mutation; the
admin of another district reaches none of this district's rows, even by their global IDs. A refusal
writes nothing (the database's fingerprint is unchanged) and audits nothing. Each input is valid:
the district's own admin succeeds with it (the last test), so a refusal is the rule at work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    TEACHER_A,
    TEACHER_B,
    World,
)
from tests.security_helpers import audit_events, fingerprint
from tests.security_world import gid
from tests.test_district_admin import admin_mutation

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

DENIED = {"FORBIDDEN", "NOT_FOUND"}


async def _goal_id(db: TestDatabase, world: World) -> str:
    from mypd_graph import models

    async with db.sessionmaker.begin() as session:
        goal = models.DistrictGoal(district_id=world.district_id, title="Math for all")
        session.add(goal)
        await session.flush()
        return gid("DistrictGoal", goal.id)


def every_admin_write(world: World, goal: str) -> list[tuple[str, dict[str, Any]]]:
    """One valid input per admin mutation, aimed at the test district's rows."""
    north = gid("School", world.school_ids["N"])
    ben, coach = gid("User", world.id(TEACHER_B)), gid("User", world.id(COACH))
    return [
        ("createSchool", {"code": "E", "name": "East High"}),
        ("updateSchool", {"schoolId": north, "name": "pwned"}),
        (
            "createUser",
            {"email": "new@test.mypd", "name": "New", "role": "TEACHER", "schoolId": north},
        ),
        ("updateUser", {"userId": ben, "name": "pwned"}),
        (
            "updateUser",
            {
                "userId": gid("User", world.id(PRINCIPAL_NORTH)),
                "schoolId": gid("School", world.school_ids["S"]),
            },
        ),
        ("deactivateUser", {"userId": gid("User", world.id(TEACHER_A))}),
        ("assignCoach", {"coachId": coach, "teacherId": ben}),
        ("unassignCoach", {"coachId": coach, "teacherId": gid("User", world.id(TEACHER_A))}),
        ("createDistrictGoal", {"title": "pwned"}),
        ("updateDistrictGoal", {"districtGoalId": goal, "title": "pwned"}),
        ("archiveDistrictGoal", {"districtGoalId": goal}),
        ("reactivateUser", {"userId": gid("User", world.id(TEACHER_A))}),
        ("setRosterStaffRoles", {"enabled": False}),
        ("updateUser", {"userId": ben, "role": "DISTRICT_ADMIN"}),
    ]


# What the other district's admin may do in their own district: create there, set their own
# district's setting (not here's).
CREATES_ELSEWHERE = {"createSchool", "createDistrictGoal", "setRosterStaffRoles"}


@pytest.mark.parametrize("attacker", [PRINCIPAL_NORTH, COACH, TEACHER_A, IMPORTER, OUTSIDER])
async def test_only_the_districts_own_admin_manages_it(
    client: GraphQLClient, db: TestDatabase, world: World, attacker: str
) -> None:
    goal = await _goal_id(db, world)
    before = await fingerprint(db)
    for name, input in every_admin_write(world, goal):
        if attacker == OUTSIDER and name in CREATES_ELSEWHERE:
            continue
        payload = await admin_mutation(client, name, input, as_=attacker)
        codes = {error["code"] for error in payload["userErrors"]}
        assert codes and codes <= DENIED, (attacker, name, payload)
        results = [value for key, value in payload.items() if key != "userErrors"]
        assert results == [None] * len(results), (attacker, name, payload)
    assert await fingerprint(db) == before
    assert [e for e in await audit_events(db) if e.action != "read"] == []


async def test_the_other_districts_admin_creates_in_their_own_district_only(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    from mypd_graph import models

    school = await admin_mutation(
        client, "createSchool", {"code": "N", "name": "Not North"}, as_=OUTSIDER
    )
    assert school["userErrors"] == []  # the code N is free in their district
    goal = await admin_mutation(client, "createDistrictGoal", {"title": "Theirs"}, as_=OUTSIDER)
    assert goal["userErrors"] == []
    async with db.sessionmaker() as session:
        created = await session.get(models.School, int(_db_id(school["school"]["id"])))
        assert created is not None and created.district_id == world.other_district_id
    # A teacher of this district never sees the other district's goal.
    goals = await client.execute("{ districtGoals { title } }", as_=TEACHER_A)
    assert {"title": "Theirs"} not in goals["districtGoals"]


def _db_id(global_id: str) -> str:
    from mypd_graph.ids import from_global_id

    return str(from_global_id(global_id)[1])


async def test_the_districts_admin_may_make_each_of_those_writes(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    goal = await _goal_id(db, world)
    for name, input in every_admin_write(world, goal):
        payload = await admin_mutation(client, name, input, as_=ADMIN)
        assert payload["userErrors"] == [], (name, payload)
    mine = {"school", "user", "coach_assignment", "district_goal", "district_settings"}
    changes = [e for e in await audit_events(db, world.id(ADMIN)) if e.entity in mine]
    assert len(changes) == len(every_admin_write(world, goal))  # every change audited
    assert {e.district_id for e in changes} == {world.district_id}
