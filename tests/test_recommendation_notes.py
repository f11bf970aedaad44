"""An empty list of recommendations says why (RecommendationConnection.note), over GraphQL on both
databases: after a switch to a framework no crosswalk reaches, with no need scored, with no
resource aligned to the needs, and with every aligned resource completed; a list that has
recommendations carries no note."""

from __future__ import annotations

from typing import Any

import pytest

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.manager import load_plugins
from mypd_graph.plugins.types import ResourceRecord
from mypd_graph.services.resources.library import sync_resources
from tests.factories import ADMIN, TEACHER_A, TEACHER_B, World
from tests.needs_helpers import gid, self_rate, train
from tests.needs_helpers import widely_shared as widely_shared  # the fixture, by name
from tests.test_framework_swap import ACTIVATE, load_state
from tests.test_recommendations import catalog as catalog  # the fixture, by name

pytestmark = pytest.mark.usefixtures("widely_shared")

QUERY = """
query($id: ID!) {
  teacher(id: $id) {
    recommendations(first: 10) { totalCount note nodes { resource { title } } }
  }
}
"""


async def recommendations(client: Any, world: World, email: str) -> dict[str, Any]:
    data = await client.execute(QUERY, {"id": gid(world, email)}, as_=email)
    return data["teacher"]["recommendations"]


async def test_a_list_with_recommendations_has_no_note(client, world, catalog) -> None:
    found = await recommendations(client, world, TEACHER_A)
    assert found["totalCount"] > 0 and found["note"] is None


async def test_no_need_scored_yet(client, world, catalog) -> None:
    found = await recommendations(client, world, TEACHER_B)
    assert found["totalCount"] == 0
    assert found["note"] == (
        "No need is scored yet and no focus element is chosen: a self-assessment, an "
        "observation or focus elements give recommendations something to rank."
    )


async def test_no_resource_aligned_to_the_needs(client, world, db, catalog) -> None:
    await self_rate(db, world, TEACHER_B, {"3.1": "emerging"})  # the catalog has nothing for 3.1
    found = await recommendations(client, world, TEACHER_B)
    assert found["totalCount"] == 0
    assert found["note"] == (
        "No resource in the library is aligned to the elements needed or in focus (3.1)."
    )


async def test_every_aligned_resource_completed(client, world, db, catalog) -> None:
    await self_rate(db, world, TEACHER_B, {"6.7": "emerging"})  # only "unneeded" serves 6.7
    assert (await recommendations(client, world, TEACHER_B))["totalCount"] == 1
    await train(db, world, TEACHER_B, 1.0, (), resource_id=catalog["unneeded"])
    found = await recommendations(client, world, TEACHER_B)
    assert found["totalCount"] == 0
    assert found["note"] == (
        "Every resource aligned to the elements needed or in focus is completed."
    )


async def test_after_a_switch_no_crosswalk_reaches(client, world, db, catalog) -> None:
    """The district moves to a state framework with no crosswalk from CSTP: the library's
    resources (aligned to CSTP) and A's ratings no longer reach it, and the note says so."""
    await load_state(client, db, with_crosswalk=False)
    done = await client.execute(ACTIVATE, {"input": {"key": "state"}}, as_=ADMIN)
    assert done["activateFramework"]["userErrors"] == [], done
    found = await recommendations(client, world, TEACHER_A)
    assert found["totalCount"] == 0
    assert found["note"] == (
        "No resource is aligned to this framework: the library's resources are aligned to "
        "cstp-2009, and no crosswalk maps those elements to this framework (mypd-graph "
        "frameworks crosswalk FILE loads one)."
    )


class StateCatalog:
    name = "state-catalog"
    title = "State catalog"

    def resources(self) -> Any:
        return iter([ResourceRecord("s1a", "Interests", "state", ("S1.A",), format="video")])


class StateCatalogPlugin:
    @hookimpl
    def mypd_graph_register_resource_providers(self, register: Any) -> None:
        register(StateCatalog())


async def test_after_a_switch_old_ratings_do_not_reach_the_needs(
    client, world, db, catalog
) -> None:
    """Resources for the new framework, but A's needs are unscored: her CSTP ratings have no
    crosswalk to it, which the note adds to why nothing is ranked."""
    await load_state(client, db, with_crosswalk=False)
    done = await client.execute(ACTIVATE, {"input": {"key": "state"}}, as_=ADMIN)
    assert done["activateFramework"]["userErrors"] == [], done
    plugins = load_plugins(extra=[("state_catalog", StateCatalogPlugin())], entry_points=False)
    async with db.sessionmaker.begin() as session:
        await sync_resources(session, plugins)
    found = await recommendations(client, world, TEACHER_A)
    assert found["totalCount"] == 0
    assert found["note"] == (
        "No need is scored yet and no focus element is chosen: a self-assessment, an "
        "observation or focus elements give recommendations something to rank; ratings or "
        "training on cstp-2009 do not count here: no crosswalk maps those elements to this "
        "framework (mypd-graph frameworks crosswalk FILE loads one)."
    )
