"""Refreshing resource catalogs without a restart, on both databases: ``mypd-graph resources sync``
run as a shell runs it (a subprocess, with the remote catalog plugin installed as a distribution
and a district's catalog file), and the ``syncResourceCatalogs`` mutation over HTTP. A catalog
that drops an item retires it (still readable by id, no longer listed), a repeat sync writes
nothing, a slow or failing provider is named while the others sync, only district admins may
refresh, and recommendations skip retired items."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mypd_graph_cstp
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.schema.relay import to_global_id
from tests.conftest import SECRET
from tests.factories import ADMIN, COACH, IMPORTER, PRINCIPAL_NORTH, TEACHER_A, World
from tests.needs_helpers import gid, self_rate, share_widely
from tests.resource_catalogs import (
    CatalogServer,
    RemoteCatalog,
    RemoteCatalogPlugin,
    app_client,
    catalog_file,
    catalog_servers,
    entry_point_site,
    item,
)

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

ROOT = Path(__file__).resolve().parents[1]


def sync_cli(
    db: TestDatabase, site: Path, catalogs: dict[str, str], file: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """``mypd-graph resources sync`` in a process of its own, as an operator runs it."""
    remote = ",".join(f"{name}={url}" for name, url in catalogs.items())
    return subprocess.run(
        [sys.executable, "-m", "mypd_graph", "--database-url", db.url, "resources", "sync"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
            "MYPD_SECRET_KEY": SECRET,
            "MYPD_PLUGINS": "cstp,remote_catalog",
            "MYPD_TEST_REMOTE_CATALOGS": remote,
            "MYPD_CATALOG_FILE": str(file),
            **env,
        },
    )


async def stored(db: TestDatabase) -> dict[str, tuple[int, str, Any]]:
    """``{external id: (row id, provider, retired_at)}``."""
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(
                models.Resource.external_id,
                models.Resource.id,
                models.Resource.provider,
                models.Resource.retired_at,
            )
        )
        return {
            external_id: (id_, provider, retired) for external_id, id_, provider, retired in rows
        }


RESOURCES = """query ($where: ResourceFilterInput) {
  resources(where: $where, first: 100) { nodes { title retiredAt sample provider } }
}"""
NODE = "query ($id: ID!) { node(id: $id) { ... on Resource { title retiredAt } } }"


async def test_cli_sync_retires_what_a_catalog_dropped_and_repeats_idempotently(
    db: TestDatabase, world: World, client: Any, tmp_path: Path
) -> None:
    site = entry_point_site(tmp_path / "site")
    server = CatalogServer([item("a1", "Remote one", ("1.1",)), item("a2", "Remote two", ("2.1",))])
    file_items = [item("f1", "File one", ("3.1",)), item("f2", "File two", ("4.1",))]
    path = catalog_file(tmp_path / "catalog.json", file_items)
    with catalog_servers(server):
        catalogs = {"remote-a": server.url}
        first = await asyncio.to_thread(sync_cli, db, site, catalogs, path)
        assert first.returncode == 0, first.stderr
        assert "remote-a: 2 added, 0 updated, 0 retired, 0 revived, 0 unchanged" in first.stdout
        assert "district-file: 2 added" in first.stdout
        before = await stored(db)
        assert {key: value[1] for key, value in before.items()} == {
            "a1": "remote-a",
            "a2": "remote-a",
            "f1": "district-file",
            "f2": "district-file",
        }

        server.items = server.items[:1]  # the vendor drops a2; the district edits its file
        catalog_file(path, file_items[:1])
        second = await asyncio.to_thread(sync_cli, db, site, catalogs, path)
        assert second.returncode == 0, second.stderr
        assert "remote-a: 0 added, 0 updated, 1 retired, 0 revived, 1 unchanged" in second.stdout
        assert "district-file: 0 added, 0 updated, 1 retired, 0 revived, 1 unchanged" in (
            second.stdout
        )
        retired = await stored(db)
        assert retired["a2"][0] == before["a2"][0] and retired["a2"][2] is not None
        assert retired["f2"][2] is not None and retired["a1"][2] is None

        third = await asyncio.to_thread(sync_cli, db, site, catalogs, path)
        assert "remote-a: 0 added, 0 updated, 0 retired, 0 revived, 1 unchanged" in third.stdout
        assert await stored(db) == retired  # nothing written, not even a new retired_at

        listed = await client.execute(RESOURCES, as_=TEACHER_A)
        assert {n["title"] for n in listed["resources"]["nodes"]} == {"Remote one", "File one"}
        everything = await client.execute(
            RESOURCES, {"where": {"includeRetired": True}}, as_=TEACHER_A
        )
        assert len(everything["resources"]["nodes"]) == 4
        node = await client.execute(
            NODE, {"id": to_global_id("Resource", retired["a2"][0])}, as_=TEACHER_A
        )
        assert node["node"]["title"] == "Remote two" and node["node"]["retiredAt"]

        server.items.append(item("a2", "Remote two", ("2.1",)))  # back in the catalog
        revived = await asyncio.to_thread(sync_cli, db, site, catalogs, path)
        assert "remote-a: 0 added, 0 updated, 0 retired, 1 revived, 1 unchanged" in revived.stdout
        assert (await stored(db))["a2"] == (before["a2"][0], "remote-a", None)

    async with db.sessionmaker() as session:
        events = list(
            await session.scalars(
                select(models.AuditEvent)
                .where(models.AuditEvent.entity == "resource_catalogs")
                .order_by(models.AuditEvent.id)
            )
        )
    assert len(events) == 4 and {e.actor_role for e in events} == {"operator"}
    # The catalog is the deployment's: the operator's refresh names no district and no user.
    assert {(e.district_id, e.user_id) for e in events} == {(None, None)}
    assert "remote-a: 0 added, 0 updated, 1 retired" in events[1].detail


async def test_cli_names_a_slow_and_a_failing_provider_while_the_others_sync(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    site = entry_point_site(tmp_path / "site")
    path = catalog_file(tmp_path / "catalog.json", [item("f1", "File one", ("3.1",))])
    good = CatalogServer([item("g1", "Good one", ("1.1",))])
    slow = CatalogServer([item("s1", "Slow one", ("1.2",)), item("s2", "Slow two", ("1.3",))])
    broken = CatalogServer([item("b1", "Broken one", ("1.4",))])
    with catalog_servers(good, slow, broken):
        catalogs = {"good": good.url, "slow": slow.url, "broken": broken.url}
        assert (await asyncio.to_thread(sync_cli, db, site, catalogs, path)).returncode == 0

        slow.delay, broken.status = 60.0, 503  # far beyond the timeout
        slow.items, broken.items = [], []  # what they would say if asked in time: nothing
        good.items.append(item("g2", "Good two", ("1.5",)))
        result = await asyncio.to_thread(
            sync_cli, db, site, catalogs, path, MYPD_RESOURCE_SYNC_TIMEOUT="3"
        )
        assert slow.answered == ["/catalog"]  # only the first sync's answer; cut off since
    assert result.returncode == 1
    assert "good: 1 added, 0 updated, 0 retired, 0 revived, 1 unchanged" in result.stdout
    assert "slow: timed out: no answer within 3 seconds (its items are kept" in result.stdout
    assert "broken: failed: HTTPStatusError" in result.stdout and "503" in result.stdout
    assert "2 provider(s) did not answer: broken, slow" in result.stderr
    rows = await stored(db)
    assert rows["g2"][2] is None  # the good provider's news is committed
    assert all(rows[key][2] is None for key in ("s1", "s2", "b1"))  # nothing retired on silence


# -------------------------------------------------------------------------
# The syncResourceCatalogs mutation
# -------------------------------------------------------------------------

SYNC = """mutation ($input: SyncResourceCatalogsInput!) {
  syncResourceCatalogs(input: $input) {
    catalogs { provider outcome message added updated retired revived unchanged installed }
    userErrors { field message code }
  }
}"""


def plugin_set(*catalogs: RemoteCatalog) -> PluginSet:
    plugins = load_plugins(
        extra=[("cstp", mypd_graph_cstp), ("remote", RemoteCatalogPlugin(*catalogs))],
        entry_points=False,
        builtins=False,
    )
    assert not plugins.failures, plugins.failures
    return plugins


async def test_admins_refresh_over_graphql_and_others_are_refused(
    db: TestDatabase, world: World
) -> None:
    server = CatalogServer([item("a1", "One", ("1.1",)), item("a2", "Two", ("2.1",))])
    with catalog_servers(server):
        plugins = plugin_set(RemoteCatalog("remote-a", server.url))
        async with app_client(db, world, plugins) as client:
            for viewer in (TEACHER_A, COACH, PRINCIPAL_NORTH, IMPORTER):
                refused = await client.execute(SYNC, {"input": {}}, as_=viewer)
                payload = refused["syncResourceCatalogs"]
                assert payload["catalogs"] is None
                assert payload["userErrors"][0]["code"] == "FORBIDDEN"
            assert server.received == []  # a refused caller costs the vendor nothing

            unknown = await client.execute(SYNC, {"input": {"providers": ["nope"]}}, as_=ADMIN)
            assert unknown["syncResourceCatalogs"]["userErrors"][0]["code"] == "UNKNOWN_PROVIDER"

            first = (await client.execute(SYNC, {"input": {}}, as_=ADMIN))["syncResourceCatalogs"]
            assert first["userErrors"] == []
            assert first["catalogs"] == [
                {
                    "provider": "remote-a",
                    "outcome": "ANSWERED",
                    "message": "",
                    "added": 2,
                    "updated": 0,
                    "retired": 0,
                    "revived": 0,
                    "unchanged": 0,
                    "installed": True,
                }
            ]
            server.items.pop()
            dropped = await client.execute(SYNC, {"input": {}}, as_=ADMIN)
            [catalog] = dropped["syncResourceCatalogs"]["catalogs"]
            assert (catalog["retired"], catalog["unchanged"]) == (1, 1)
            again = await client.execute(SYNC, {"input": {"providers": ["remote-a"]}}, as_=ADMIN)
            [catalog] = again["syncResourceCatalogs"]["catalogs"]
            assert (catalog["added"], catalog["updated"], catalog["retired"]) == (0, 0, 0)
    rows = await stored(db)
    assert rows["a2"][2] is not None and rows["a1"][2] is None
    async with db.sessionmaker() as session:
        events = list(
            await session.scalars(
                select(models.AuditEvent)
                .where(models.AuditEvent.entity == "resource_catalogs")
                .order_by(models.AuditEvent.id)
            )
        )
    assert [e.user_id for e in events] == [world.id(ADMIN)] * 3  # refusals write nothing
    assert {e.district_id for e in events} == {world.district_id}


async def test_a_provider_that_is_gone_has_its_items_retired_by_a_full_refresh(
    db: TestDatabase, world: World
) -> None:
    first, second = (
        CatalogServer([item("a1", "One", ("1.1",))]),
        CatalogServer([item("b1", "Other", ("1.2",))]),
    )
    with catalog_servers(first, second):
        both = plugin_set(
            RemoteCatalog("remote-a", first.url), RemoteCatalog("remote-b", second.url)
        )
        async with app_client(db, world, both) as client:
            await client.execute(SYNC, {"input": {}}, as_=ADMIN)
        only_a = plugin_set(RemoteCatalog("remote-a", first.url))
        async with app_client(db, world, only_a) as client:
            narrow = await client.execute(SYNC, {"input": {"providers": ["remote-a"]}}, as_=ADMIN)
            assert len(narrow["syncResourceCatalogs"]["catalogs"]) == 1  # b is not touched
            assert (await stored(db))["b1"][2] is None
            full = await client.execute(SYNC, {"input": {}}, as_=ADMIN)
    gone = full["syncResourceCatalogs"]["catalogs"][1]
    assert (gone["provider"], gone["installed"], gone["retired"]) == ("remote-b", False, 1)
    assert (await stored(db))["b1"][2] is not None


# -------------------------------------------------------------------------
# Recommendations
# -------------------------------------------------------------------------

RECOMMENDED = """query ($id: ID!) {
  teacher(id: $id) { recommendations(first: 20) { nodes { resource { title } } } }
}"""
STEPS = """query ($id: ID!) {
  node(id: $id) { ... on Goal { actionSteps { description resource { title retiredAt } } } }
}"""


async def test_recommendations_skip_retired_items_which_plans_still_show(
    db: TestDatabase, world: World
) -> None:
    await share_widely(db, world)
    server = CatalogServer(
        [item("keep", "Keep me", ("1.6",)), item("drop", "Drop me", ("1.6", "5.2"))]
    )
    with catalog_servers(server):
        plugins = plugin_set(RemoteCatalog("remote-a", server.url))
        async with app_client(db, world, plugins) as client:
            await client.execute(SYNC, {"input": {}}, as_=ADMIN)
            await self_rate(db, world, TEACHER_A, {"1.6": "emerging", "5.2": "applying"})
            goal_id = await _plan_using(db, world, "drop")

            async def titles() -> set[str]:
                data = await client.execute(RECOMMENDED, {"id": gid(world, TEACHER_A)}, as_=ADMIN)
                nodes = data["teacher"]["recommendations"]["nodes"]
                return {node["resource"]["title"] for node in nodes}

            assert await titles() == {"Keep me", "Drop me"}
            server.items = server.items[:1]
            await client.execute(SYNC, {"input": {}}, as_=ADMIN)
            assert await titles() == {"Keep me"}
            steps = await client.execute(
                STEPS, {"id": to_global_id("Goal", goal_id)}, as_=TEACHER_A
            )
    [step] = steps["node"]["actionSteps"]
    assert step["resource"]["title"] == "Drop me" and step["resource"]["retiredAt"]


async def _plan_using(db: TestDatabase, world: World, external_id: str) -> int:
    """A plan of teacher A with an action step (not yet done) that uses the resource."""
    async with db.sessionmaker.begin() as session:
        resource_id = await session.scalar(
            select(models.Resource.id).where(models.Resource.external_id == external_id)
        )
        plan = models.LearningPlan(teacher_id=world.id(TEACHER_A), cycle="2025-26", title="Plan")
        session.add(plan)
        await session.flush()
        goal = models.Goal(plan_id=plan.id, title="Use data", progress=0)
        session.add(goal)
        await session.flush()
        session.add(models.GoalElement(goal_id=goal.id, element_id=world.element_ids["5.2"]))
        session.add(
            models.ActionStep(
                goal_id=goal.id, description="Take the course", resource_id=resource_id
            )
        )
        return goal.id
