"""A resource its provider stopped offering (retired by a catalog sync) stays on the action steps
that already name it, and cannot be linked anew; both databases."""

from __future__ import annotations

from sqlalchemy import update

from mypd_graph import models
from mypd_graph.schema.relay import from_global_id
from tests.conftest import TestDatabase
from tests.plans_helpers import Api, Extras, error, ok
from tests.plans_helpers import api as api
from tests.plans_helpers import extras as extras


async def retire(db: TestDatabase, resource: str) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.Resource)
            .where(models.Resource.id == from_global_id(resource)[1])
            .values(retired_at=models.utcnow())
        )


async def test_a_retired_resource_stays_linked_but_is_not_linked_anew(
    db: TestDatabase, api: Api, extras: Extras
) -> None:
    plan_id = await api.new_plan()
    goal_id = await api.new_goal(plan_id)
    linked = await api.new_step(goal_id, resourceId=extras.resource)
    await retire(db, extras.resource)

    refused = error(await api.add_step(goal_id, resourceId=extras.resource), "actionStep")
    assert refused["code"] == "RETIRED_RESOURCE"
    assert refused["field"] == ["input", "resourceId"]
    # The step that named it keeps it through other edits.
    edited = ok(
        await api.update_step(linked, description="Read it again", resourceId=extras.resource),
        "actionStep",
    )
    assert edited["description"] == "Read it again"
    unlinked = await api.new_step(goal_id)
    again = error(await api.update_step(unlinked, resourceId=extras.resource), "actionStep")
    assert again["code"] == "RETIRED_RESOURCE"
