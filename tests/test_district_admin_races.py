"""Admin writes that race, on both databases: the state changes are compare-and-set, so of
requests sent at once exactly one changes the state and the others get a userError (never an
INTERNAL error), and a district never ends up without an active admin."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from mypd_graph import models
from tests.factories import ADMIN, COACH, TEACHER_B, World
from tests.security_world import gid
from tests.test_district_admin import admin_mutation

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

AT_ONCE = 8


def outcome(payload: dict[str, object]) -> str:
    errors = payload["userErrors"]
    assert isinstance(errors, list)
    return errors[0]["code"] if errors else "OK"


async def test_two_admins_demoting_each_other_leave_one(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    second = await admin_mutation(
        client, "createUser", {"email": "deputy@test.mypd", "name": "Dee", "role": "DISTRICT_ADMIN"}
    )
    world.user_ids["deputy@test.mypd"] = await _id(db)
    results = await asyncio.gather(
        deactivate(client, second["user"]["id"], as_=ADMIN),
        deactivate(client, gid("User", world.id(ADMIN)), as_="deputy@test.mypd"),
    )
    # Either both reach the mutation and the compare-and-set refuses the second (LAST_ADMIN), or
    # the first commits before the second is authenticated and the door refuses a deactivated
    # user (SIGNED_OUT). Never both done.
    assert sorted(results) in (["LAST_ADMIN", "OK"], ["OK", "SIGNED_OUT"])
    async with db.sessionmaker() as session:
        active = await session.scalar(
            select(func.count()).where(
                models.User.district_id == world.district_id,
                models.User.role == "district_admin",
                models.User.active.is_(True),
            )
        )
    assert active == 1


async def deactivate(client: GraphQLClient, user_id: str, as_: str) -> str:
    query = (
        "mutation($input: UserIdInput!) { deactivateUser(input: $input) { "
        "userErrors { code } } }"
    )
    response = await client.post(query, {"input": {"userId": user_id}}, client.token_for(as_))
    if response.status_code == 401:
        return "SIGNED_OUT"
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return outcome(body["data"]["deactivateUser"])


async def _id(db: TestDatabase) -> int:
    async with db.sessionmaker() as session:
        found = await session.scalar(
            select(models.User.id).where(models.User.email == "deputy@test.mypd")
        )
        assert found is not None
        return found


async def test_the_same_assignment_at_once_is_made_once(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    input = {"coachId": gid("User", world.id(COACH)), "teacherId": gid("User", world.id(TEACHER_B))}
    results = await asyncio.gather(
        *(admin_mutation(client, "assignCoach", input) for _ in range(AT_ONCE))
    )
    assert Counter(outcome(payload) for payload in results) == {
        "OK": 1,
        "ALREADY_ASSIGNED": AT_ONCE - 1,
    }
    archived = [
        admin_mutation(client, "deactivateUser", {"userId": gid("User", world.id(TEACHER_B))})
        for _ in range(AT_ONCE)
    ]
    assert Counter(outcome(payload) for payload in await asyncio.gather(*archived)) == {
        "OK": 1,
        "UNCHANGED": AT_ONCE - 1,
    }
