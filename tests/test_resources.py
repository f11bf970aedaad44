"""PD resources: syncing provider plugins (idempotent, bad data skipped) and the resources query.

Providers are registered the way a district would install them, as pluggy plugins, through a
fresh plugin set per test (``load_plugins(extra=..., entry_points=False)``), next to the cstp plugin
whose framework the records align to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import mypd_graph_cstp
import pytest
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.plugins.types import (
    Element,
    FrameworkDefinition,
    RatingLevel,
    ResourceRecord,
    Standard,
)
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.frameworks.registry import sync_frameworks
from mypd_graph.services.resources.library import sync_resources
from tests.factories import ADMIN, IMPORTER, OUTSIDER, TEACHER_A

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase

CSTP = "cstp-2009"
PROVIDER = "test-catalog"

MATH_TALK = ResourceRecord(
    external_id="r1",
    title="Engaging every learner in math talk",
    framework_key=CSTP,
    element_codes=("1.1", "1.2"),
    url="https://pd.example/r1",
    format="course",
    description="Structures for academic discourse.",
    subjects=("Math",),
    grade_band="K-5",
    duration_minutes=90,
)
COMMUNITY = ResourceRecord(
    external_id="r2",
    title="Building a classroom community",
    framework_key=CSTP,
    element_codes=("2.1",),
    format="video",
    description="How one school got 50% more participation.",
    subjects=("ELA", "Math"),
    grade_band="6-8",
)
WORKSHOP = ResourceRecord(
    external_id="r3",
    title="Using assessment data",
    framework_key=CSTP,
    element_codes=("5.1",),
    format="Workshop",
    subjects=("Science",),
    duration_minutes=240,
)
GOOD = (MATH_TALK, COMMUNITY, WORKSHOP)

BAD: tuple[Any, ...] = (
    replace(MATH_TALK, external_id="no-framework", framework_key="nope-1"),
    replace(MATH_TALK, external_id="bad-codes", element_codes=("1.1", "9.9", "X")),
    replace(MATH_TALK, external_id="no-title", title="  "),
    replace(MATH_TALK, external_id="too-long", title="t" * 301),
    replace(MATH_TALK, external_id="negative", duration_minutes=-5),
    replace(MATH_TALK, title="a second r1"),
    {"external_id": "a-dict", "title": "not a record"},
)


class Provider:
    """A resource provider following the ResourceProvider protocol."""

    def __init__(self, name: str, records: Iterable[Any], title: str = "Test catalog") -> None:
        self.name = name
        self.title = title
        self.records = list(records)

    def resources(self) -> Iterator[Any]:
        yield from self.records


class BrokenProvider(Provider):
    """Fails part-way through listing, after handing over one good record."""

    def resources(self) -> Iterator[Any]:
        yield self.records[0]
        raise RuntimeError("catalog feed is down")


class CatalogPlugin:
    """A one-off plugin offering the given providers."""

    def __init__(self, *providers: Provider) -> None:
        self.providers = providers

    @hookimpl
    def mypd_graph_register_resource_providers(self, register: Any) -> None:
        for provider in self.providers:
            register(provider)


def plugin_set(*providers: Provider, extra: Iterable[tuple[str, object]] = ()) -> PluginSet:
    plugins = load_plugins(
        extra=[("cstp", mypd_graph_cstp), ("test_provider", CatalogPlugin(*providers)), *extra],
        entry_points=False,
        builtins=False,
    )
    assert not plugins.failures, plugins.failures
    return plugins


async def sync(db: TestDatabase, plugins: PluginSet) -> dict[str, int]:
    async with db.sessionmaker.begin() as session:
        return await sync_resources(session, plugins)


async def snapshot(db: TestDatabase) -> dict[str, Any]:
    """Every stored resource with its element codes, keyed by external id."""
    async with db.sessionmaker() as session:
        resources = list(await session.scalars(select(models.Resource)))
        links = list(
            await session.execute(
                select(models.ResourceElement.resource_id, models.Standard.code).join(
                    models.Standard, models.Standard.id == models.ResourceElement.element_id
                )
            )
        )
    codes: dict[int, set[str]] = {}
    for resource_id, code in links:
        codes.setdefault(resource_id, set()).add(code)
    return {
        row.external_id: {
            "id": row.id,
            "provider": row.provider,
            "title": row.title,
            "format": row.format,
            "subjects": row.subjects,
            "duration": row.duration_minutes,
            "codes": codes.get(row.id, set()),
        }
        for row in resources
    }


# -------------------------------------------------------------------------
# Sync
# -------------------------------------------------------------------------


async def test_sync_stores_every_record_with_its_elements(db: TestDatabase) -> None:
    assert await sync(db, plugin_set(Provider(PROVIDER, GOOD))) == {PROVIDER: 3}
    stored = await snapshot(db)
    assert set(stored) == {"r1", "r2", "r3"}
    assert stored["r1"]["codes"] == {"1.1", "1.2"}
    assert stored["r1"]["provider"] == PROVIDER
    assert stored["r2"]["subjects"] == ["ELA", "Math"]
    assert stored["r3"]["format"] == "workshop"  # formats are keys: stored lowercase


async def test_second_sync_changes_nothing(db: TestDatabase) -> None:
    plugins = plugin_set(Provider(PROVIDER, GOOD + BAD))
    await sync(db, plugins)
    before = await snapshot(db)
    with db.count_statements() as counter:
        assert await sync(db, plugins) == {PROVIDER: 0}
    writes = [
        statement
        for statement in counter.statements
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert await snapshot(db) == before


async def test_changed_record_is_updated_in_place(db: TestDatabase) -> None:
    await sync(db, plugin_set(Provider(PROVIDER, GOOD)))
    before = await snapshot(db)
    changed = replace(MATH_TALK, title="Math talk, revised", element_codes=("1.2", "1.3"))
    result = await sync(db, plugin_set(Provider(PROVIDER, (changed, COMMUNITY, WORKSHOP))))
    assert result == {PROVIDER: 1}
    after = await snapshot(db)
    assert after["r1"]["id"] == before["r1"]["id"]  # action steps keep pointing at it
    assert (after["r1"]["title"], after["r1"]["codes"]) == ("Math talk, revised", {"1.2", "1.3"})
    assert after["r2"] == before["r2"]


async def test_same_external_id_from_two_providers_is_two_resources(db: TestDatabase) -> None:
    plugins = plugin_set(Provider(PROVIDER, GOOD), Provider("other-catalog", (MATH_TALK,)))
    assert await sync(db, plugins) == {PROVIDER: 3, "other-catalog": 1}
    async with db.sessionmaker() as session:
        providers = await session.scalars(
            select(models.Resource.provider).where(models.Resource.external_id == "r1")
        )
        assert sorted(providers) == ["other-catalog", PROVIDER]


async def test_bad_records_are_skipped_and_logged(
    db: TestDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mypd_graph.services.resources.library"):
        result = await sync(db, plugin_set(Provider(PROVIDER, GOOD + BAD)))
    assert result == {PROVIDER: 3}
    stored = await snapshot(db)
    assert set(stored) == {"r1", "r2", "r3"}
    assert stored["r1"]["title"] == MATH_TALK.title  # the first r1 wins, the repeat is skipped
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == len(BAD)
    assert all(message.startswith(f"resource provider {PROVIDER}: record ") for message in messages)
    assert f"record 'bad-codes' skipped: unknown element code(s) of {CSTP}: 9.9, X" in messages[1]
    assert "record 'no-framework' skipped: unknown framework 'nope-1'" in messages[0]
    assert "record 'negative' skipped: duration_minutes must not be negative" in messages[4]
    assert "record 'r1' skipped: listed twice" in messages[5]
    assert messages[6].endswith("expected a ResourceRecord, got dict")


async def test_failing_provider_is_logged_by_name_and_skipped(
    db: TestDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    class Raising(Provider):
        def resources(self) -> Iterator[Any]:
            raise ConnectionError("vendor API unreachable")

    plugins = plugin_set(
        Provider(PROVIDER, GOOD),
        Raising("raising-catalog", ()),
        BrokenProvider("half-catalog", (replace(MATH_TALK, external_id="half"),)),
    )
    with caplog.at_level(logging.ERROR, logger="mypd_graph.services.resources.library"):
        assert await sync(db, plugins) == {PROVIDER: 3}
    assert {row["provider"] for row in (await snapshot(db)).values()} == {PROVIDER}
    failed = " ".join(record.getMessage() for record in caplog.records)
    assert "raising-catalog" in failed and "vendor API unreachable" in failed
    assert "half-catalog" in failed and "catalog feed is down" in failed


# -------------------------------------------------------------------------
# The resources query
# -------------------------------------------------------------------------

RESOURCES = """
query ($where: ResourceFilterInput, $first: Int! = 25, $after: String) {
  resources(where: $where, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id title url format description subjects gradeBand durationMinutes provider
            elements { code } }
  }
}
"""


@pytest.fixture
async def catalog(db: TestDatabase, world: Any) -> None:
    await sync(db, plugin_set(Provider(PROVIDER, GOOD)))


async def titles(client: GraphQLClient, as_: str = TEACHER_A, **variables: Any) -> list[str]:
    data = await client.execute(RESOURCES, variables, as_=as_)
    return [node["title"] for node in data["resources"]["nodes"]]


async def test_resource_fields(client: GraphQLClient, catalog: None) -> None:
    data = await client.execute(RESOURCES, {"where": {"elementCode": "1.2"}}, as_=TEACHER_A)
    [node] = data["resources"]["nodes"]
    assert {key: value for key, value in node.items() if key != "id"} == {
        "title": MATH_TALK.title,
        "url": "https://pd.example/r1",
        "format": "course",
        "description": "Structures for academic discourse.",
        "subjects": ["Math"],
        "gradeBand": "K-5",
        "durationMinutes": 90,
        "provider": PROVIDER,
        "elements": [{"code": "1.1"}, {"code": "1.2"}],
    }
    found = await client.execute(
        "query ($id: ID!) { node(id: $id) { ... on Resource { title } } }",
        {"id": node["id"]},
        as_=OUTSIDER,
    )
    assert found["node"] == {"title": MATH_TALK.title}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (None, {"r1", "r2", "r3"}),
        ({"elementCode": "1.1"}, {"r1"}),
        ({"elementCode": "2.1"}, {"r2"}),
        ({"elementCode": "6.7"}, set()),
        ({"subject": "math"}, {"r1", "r2"}),
        ({"subject": "ELA"}, {"r2"}),
        ({"subject": "Mat"}, set()),
        ({"format": "video"}, {"r2"}),
        ({"format": "WORKSHOP"}, {"r3"}),
        ({"search": "community"}, {"r2"}),
        ({"search": "DISCOURSE"}, {"r1"}),
        ({"search": "50%"}, {"r2"}),
        ({"search": "%"}, {"r2"}),
        ({"search": "_"}, set()),
        ({"subject": "Math", "format": "course"}, {"r1"}),
        ({"subject": "Math", "elementCode": "5.1"}, set()),
    ],
)
async def test_resource_filters(
    client: GraphQLClient, catalog: None, where: dict[str, str] | None, expected: set[str]
) -> None:
    by_title = {record.title: record.external_id for record in GOOD}
    data = await client.execute(RESOURCES, {"where": where}, as_=TEACHER_A)
    assert {by_title[node["title"]] for node in data["resources"]["nodes"]} == expected
    assert data["resources"]["totalCount"] == len(expected)


async def test_element_code_means_the_districts_active_framework(
    client: GraphQLClient, db: TestDatabase, world: Any
) -> None:
    """Codes such as 1.1 repeat across frameworks; the district's own framework decides."""
    other = FrameworkDefinition(
        key="other-2024",
        name="Other Standards",
        version="2024",
        jurisdiction="Elsewhere",
        levels=(RatingLevel("low", "Low"), RatingLevel("high", "High")),
        standards=(Standard("1", "One", (Element("1.1", "Other one-one"),)),),
    )

    class OtherFramework:
        @hookimpl
        def mypd_graph_register_frameworks(self, register: Any) -> None:
            register(other)

    elsewhere = replace(
        MATH_TALK,
        external_id="o1",
        title="Other 1.1",
        framework_key="other-2024",
        element_codes=("1.1",),
    )
    plugins = plugin_set(
        Provider(PROVIDER, (MATH_TALK, elsewhere)), extra=[("other_framework", OtherFramework())]
    )
    async with db.sessionmaker.begin() as session:
        await sync_frameworks(session, plugins)
        assert await sync_resources(session, plugins) == {PROVIDER: 2}
    assert await titles(client, where={"elementCode": "1.1"}) == [MATH_TALK.title]
    assert sorted(await titles(client)) == sorted([MATH_TALK.title, "Other 1.1"])


async def test_every_signed_in_user_reads_the_catalog_without_audit(
    client: GraphQLClient, db: TestDatabase, catalog: None
) -> None:
    for viewer in (TEACHER_A, ADMIN, OUTSIDER, IMPORTER):
        assert len(await titles(client, as_=viewer)) == 3
    async with db.sessionmaker() as session:
        assert list(await session.scalars(select(models.AuditEvent))) == []


async def test_resource_paging(client: GraphQLClient, catalog: None) -> None:
    first = (await client.execute(RESOURCES, {"first": 2}, as_=TEACHER_A))["resources"]
    assert [node["title"] for node in first["nodes"]] == [MATH_TALK.title, COMMUNITY.title]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await client.execute(
            RESOURCES, {"first": 2, "after": first["pageInfo"]["endCursor"]}, as_=TEACHER_A
        )
    )["resources"]
    assert [node["title"] for node in rest["nodes"]] == [WORKSHOP.title]
    assert rest["pageInfo"]["hasNextPage"] is False
    for variables, message in [
        ({"first": 101}, "first must be between 0 and 100"),
        ({"after": "nope"}, "is not a cursor this API returned"),
    ]:
        body = await client.raw(RESOURCES, variables, as_=TEACHER_A)
        assert body["data"] is None
        assert message in body["errors"][0]["message"]


async def test_statement_count_does_not_grow_with_resources(
    client: GraphQLClient, db: TestDatabase, catalog: None
) -> None:
    with db.count_statements() as few:
        assert len(await titles(client, first=100)) == 3
    more = [
        replace(
            WORKSHOP, external_id=f"extra-{n}", title=f"Extra {n}", element_codes=("4.1", "4.2")
        )
        for n in range(30)
    ]
    await sync(db, plugin_set(Provider(PROVIDER, GOOD + tuple(more))))
    with db.count_statements() as many:
        assert len(await titles(client, first=100)) == 33
    assert many.count == few.count


async def test_resource_by_id_for_action_steps(client: GraphQLClient, catalog: None) -> None:
    """Other domains (action steps) reach resources by database id through the node loader."""
    data = await client.execute(RESOURCES, {"where": {"format": "video"}}, as_=TEACHER_A)
    [node] = data["resources"]["nodes"]
    query = "query ($id: ID!) { node(id: $id) { __typename ... on Resource { provider } } }"
    assert (await client.execute(query, {"id": node["id"]}, as_=ADMIN))["node"] == {
        "__typename": "Resource",
        "provider": PROVIDER,
    }
    missing = to_global_id("Resource", 424242)
    assert (await client.execute(query, {"id": missing}, as_=ADMIN))["node"] is None
