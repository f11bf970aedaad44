"""Plugins that ship frameworks as CASE packages (mypd_graph_register_case_packages), on both
databases: the start-up sync imports the installed InTASC plugin's package through the CASE
importer into the right tree with its crosswalk to CSTP, a restart writes nothing, a new version of
the package is a new version of the framework, an admin's import of the key is left alone, a bad
package is reported without stopping the start-up, and the demo switches to InTASC and back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import mypd_graph_intasc
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.app import create_app, prepare_database
from mypd_graph.auth import mint_token
from mypd_graph.case import parse as case_parse
from mypd_graph.case import store as case_store
from mypd_graph.demo import DEMO_ADMIN_EMAIL, DEMO_TEACHER_EMAIL, load_demo
from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.plugins.types import CasePackage, Element, FrameworkDefinition, RatingLevel
from mypd_graph.plugins.types import Standard as StandardDefinition
from mypd_graph.services.frameworks.registry import CaseImporter, sync_frameworks
from tests.conftest import SECRET
from tests.test_case_import import snapshot as case_snapshot
from tests.test_cli import cli

KEY = "intasc-2013"
CASE = CaseImporter(case_parse.parse_package, case_store.import_package)
WRITES = ("INSERT", "UPDATE", "DELETE")


def installed() -> PluginSet:
    """The installed distributions, as a deployment with CSTP and InTASC loads them."""
    plugins = load_plugins(allow=("cstp", "intasc"))
    assert not plugins.failures, plugins.failures
    assert KEY in plugins.case_packages, "mypd-graph-intasc must be installed (make install)"
    return plugins


def shipping(*packages: CasePackage, name: str = "intasc") -> PluginSet:
    """A one-off plugin registered in process, shipping the given packages."""

    @hookimpl
    def mypd_graph_register_case_packages(register):  # type: ignore[no-untyped-def]
        for package in packages:
            register(package)

    plugin = SimpleNamespace(mypd_graph_register_case_packages=mypd_graph_register_case_packages)
    return load_plugins(extra=[(name, plugin)], entry_points=False)


async def framework_state(db: Any) -> dict[str, Any]:
    """Everything the import writes for InTASC, to compare before and after."""
    async with db.sessionmaker() as session:
        framework = await session.scalar(
            select(models.Framework).where(models.Framework.key == KEY)
        )
        assert framework is not None
        nodes = list(
            await session.scalars(
                select(models.Standard)
                .where(models.Standard.framework_id == framework.id)
                .order_by(models.Standard.position)
            )
        )
        levels = list(
            await session.scalars(
                select(models.RatingLevel)
                .where(models.RatingLevel.framework_id == framework.id)
                .order_by(models.RatingLevel.position)
            )
        )
        crosswalk = await session.scalar(
            select(func.count())
            .select_from(models.Crosswalk)
            .where(models.Crosswalk.source == "plugin:intasc")
        )
        versions = await session.scalar(
            select(func.count())
            .select_from(models.FrameworkVersion)
            .where(models.FrameworkVersion.framework_id == framework.id)
        )
    by_id = {node.id: node for node in nodes}
    return {
        "framework": (
            framework.id,
            framework.source,
            framework.plugin,
            framework.identifier,
            framework.version,
            framework.checksum,
            framework.synced_at,
            framework.jurisdiction,
            framework.subject_elements,
        ),
        "nodes": [
            (
                n.id,
                n.code,
                n.text,
                n.is_element,
                n.retired,
                n.identifier,
                n.item_type,
                by_id[n.parent_id].code if n.parent_id else None,
            )
            for n in nodes
        ],  # fmt: skip
        "levels": [(level.id, level.key, level.label, level.identifier) for level in levels],
        "crosswalk": crosswalk,
        "versions": versions,
    }


async def test_start_up_imports_the_plugin_package_through_the_case_path(db, settings) -> None:
    await prepare_database(db.engine, settings, installed())
    state = await framework_state(db)
    shipped = json.loads(mypd_graph_intasc.PACKAGE.read_text(encoding="utf-8"))
    _, source, plugin, identifier, version, *_, jurisdiction, subjects = state["framework"]
    assert (source, plugin, version) == ("case", "intasc", "2013")
    assert identifier == shipped["CFDocument"]["identifier"], "the package's own identifiers"
    assert jurisdiction == "United States (model standards)"
    assert subjects == {k: list(v) for k, v in mypd_graph_intasc.SUBJECT_ELEMENTS.items()}

    nodes = state["nodes"]
    groups = [(code, text) for _, code, text, _, _, _, _, parent in nodes if parent is None]
    assert groups == [
        ("LL", "The Learner and Learning"),
        ("CK", "Content Knowledge"),
        ("IP", "Instructional Practice"),
        ("PR", "Professional Responsibility"),
    ]
    rated = [(code, parent) for _, code, _, element, _, _, _, parent in nodes if element]
    assert rated == [
        ("1", "LL"), ("2", "LL"), ("3", "LL"), ("4", "CK"), ("5", "CK"),
        ("6", "IP"), ("7", "IP"), ("8", "IP"), ("9", "PR"), ("10", "PR"),
    ]  # fmt: skip
    items = {item["humanCodingScheme"]: item for item in shipped["CFItems"]}
    for _, code, text, _, retired, node_identifier, item_type, _ in nodes:
        assert text == items[code]["fullStatement"] and not retired, code
        assert (node_identifier, item_type) == (
            items[code]["identifier"],
            items[code]["CFItemType"],
        )
    indicators = [n for n in nodes if n[6] == "Performance"]
    assert len(indicators) == 75 and not any(n[3] for n in indicators), "indicators are not rated"
    assert [(key, label) for _, key, label, _ in state["levels"]] == [
        ("level-1", "Level 1"),
        ("level-2", "Level 2"),
        ("level-3", "Level 3"),
    ]
    assert state["crosswalk"] == 39, "the plugin's crosswalk to CSTP is loaded at start-up"


async def test_a_restart_changes_nothing(db, settings) -> None:
    plugins = installed()
    await prepare_database(db.engine, settings, plugins)
    before = await framework_state(db)
    await prepare_database(db.engine, settings, plugins)
    assert await framework_state(db) == before

    start = len(db.statements)
    async with db.sessionmaker.begin() as session:
        assert await sync_frameworks(session, plugins, CASE) == {"cstp-2009": False, KEY: False}
    writes = [s for s in db.statements[start:] if s.lstrip().upper().startswith(WRITES)]
    assert writes == [], "an unchanged package writes nothing"


async def test_a_new_version_of_the_package_is_a_new_version(db, tmp_path) -> None:
    async with db.sessionmaker.begin() as session:
        await sync_frameworks(session, installed(), CASE)
    before = await framework_state(db)

    data = json.loads(mypd_graph_intasc.PACKAGE.read_text(encoding="utf-8"))
    data["CFDocument"]["version"] = "2013.1"
    dropped = next(i for i in data["CFItems"] if i["humanCodingScheme"] == "10(k)")
    data["CFItems"].remove(dropped)
    data["CFAssociations"] = [
        a
        for a in data["CFAssociations"]
        if a["originNodeURI"]["identifier"] != dropped["identifier"]
    ]
    nine = next(i for i in data["CFItems"] if i["humanCodingScheme"] == "9")
    nine["fullStatement"] += " (revised)"
    newer = tmp_path / "intasc-2013.json"
    newer.write_text(json.dumps(data), encoding="utf-8")
    package = mypd_graph_intasc.case_package()
    plugins = shipping(
        CasePackage(
            key=KEY,
            path=newer,
            jurisdiction=package.jurisdiction,
            subject_elements=package.subject_elements,
            crosswalks=package.crosswalks,
        )
    )
    async with db.sessionmaker.begin() as session:
        assert await sync_frameworks(session, plugins, CASE) == {KEY: True}
    after = await framework_state(db)

    assert after["framework"][0] == before["framework"][0], "the same framework row"
    assert after["framework"][4] == "2013.1" and after["versions"] == before["versions"] + 1
    old = {n[1]: n for n in before["nodes"]}
    new = {n[1]: n for n in after["nodes"]}
    assert new["9"][0] == old["9"][0] and new["9"][2].endswith("(revised)"), "changed in place"
    assert new["10(k)"][0] == old["10(k)"][0] and new["10(k)"][4], "retired, never deleted"
    assert after["crosswalk"] == before["crosswalk"]
    async with db.sessionmaker() as session:
        latest = await session.scalar(
            select(models.FrameworkVersion)
            .where(models.FrameworkVersion.framework_id == after["framework"][0])
            .order_by(models.FrameworkVersion.id.desc())
            .limit(1)
        )
    assert latest is not None and latest.version == "2013.1"
    assert [change["code"] for change in latest.changed] == ["9"]


async def test_an_admin_import_of_the_key_is_left_alone(db, caplog) -> None:
    async with db.sessionmaker.begin() as session:
        parsed = case_parse.parse_package(mypd_graph_intasc.PACKAGE.read_bytes())
        await case_store.import_package(session, parsed, key=KEY)
    caplog.set_level(logging.WARNING)
    async with db.sessionmaker.begin() as session:
        assert await sync_frameworks(session, installed(), CASE) == {"cstp-2009": False}
    state = await framework_state(db)
    assert state["framework"][2] == "", "still the admin's import"
    assert state["crosswalk"] == 0
    assert "plugin intasc ships framework intasc-2013" in caplog.text


async def test_a_refused_package_is_reported_and_the_start_up_goes_on(
    db, settings, tmp_path, caplog
) -> None:
    data = json.loads(mypd_graph_intasc.PACKAGE.read_text(encoding="utf-8"))
    data["CFItems"][5]["fullStatement"] = ""
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_bytes(mypd_graph_intasc.PACKAGE.read_bytes())
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text(
        "from_framework,from_code,to_framework,to_code,relation\n"
        "other-1,1,other-2,1.1,isRelatedTo\n",
        encoding="utf-8",
    )
    plugins = shipping(
        CasePackage(key="broken-1", path=broken),
        CasePackage(key=KEY, path=good, crosswalks=(elsewhere,)),
    )
    caplog.set_level(logging.WARNING)
    await prepare_database(db.engine, settings, plugins)
    async with db.sessionmaker() as session:
        keys = set(await session.scalars(select(models.Framework.key)))
    assert {"cstp-2009", KEY} <= keys and "broken-1" not in keys
    assert "plugin intasc: framework broken-1 not imported" in caplog.text
    assert "has no fullStatement" in caplog.text
    assert "crosswalk elsewhere.csv not loaded: line 2: no framework with key 'other-1'" in (
        caplog.text
    )
    state = await framework_state(db)
    assert state["crosswalk"] == 0 and len(state["nodes"]) == 89


def test_one_key_whether_a_definition_or_a_package() -> None:
    definition = FrameworkDefinition(
        key=KEY,
        name="Not InTASC",
        version="1",
        jurisdiction="Test",
        levels=(RatingLevel("a", "A"), RatingLevel("b", "B")),
        standards=(StandardDefinition("1", "One", (Element("1.1", "Does one thing"),)),),
    )

    @hookimpl
    def mypd_graph_register_frameworks(register):  # type: ignore[no-untyped-def]
        register(definition)

    rival = SimpleNamespace(mypd_graph_register_frameworks=mypd_graph_register_frameworks)
    loaded = load_plugins(allow=("intasc",), extra=[("rival", rival)])
    assert KEY in loaded.frameworks and KEY not in loaded.case_packages
    (failure,) = loaded.failures
    assert failure.plugin == "intasc"
    assert "'intasc-2013' is offered by both rival and intasc" in failure.reason


def test_a_package_file_that_is_not_there_disables_the_plugin(tmp_path: Path) -> None:
    loaded = shipping(CasePackage(key="ghost-1", path=tmp_path / "missing.json"))
    assert not loaded.case_packages
    assert [f.plugin for f in loaded.failures] == ["intasc"]
    assert "missing.json is not a file" in loaded.failures[0].reason


SWITCH = """
mutation($key: String!, $preview: Boolean!) {
  activateFramework(input: {key: $key, preview: $preview}) {
    district { activeFramework { key source plugin levels { label }
      standards { code elements { code indicators { code } } } } }
    swap { preview totals { focusMapped focusUnmapped goalElementsMapped goalElementsUnmapped
      selfRatingsMapped selfRatingsUnmapped observedRatingsMapped observedRatingsUnmapped } }
    userErrors { code message }
  }
}
"""


def nothing_left_behind(totals: dict[str, int]) -> None:
    """The plugin's crosswalk maps every CSTP element, and back: a swap either way finds a
    counterpart for every focus element, open goal's element and latest rating."""
    assert totals["focusMapped"] > 0 and totals["goalElementsMapped"] > 0, totals
    unmapped = {name: count for name, count in totals.items() if name.endswith("Unmapped")}
    assert set(unmapped.values()) == {0}, totals


async def test_the_demo_switches_to_intasc_and_back(db, settings) -> None:
    """Over HTTP as the demo's district admin, with the swap's preview first each way."""
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
    plugins = installed()
    await prepare_database(db.engine, settings, plugins)
    async with db.sessionmaker() as session:
        admin = await session.scalar(
            select(models.User).where(models.User.email == DEMO_ADMIN_EMAIL)
        )
    assert admin is not None
    headers = {"Authorization": f"Bearer {mint_token(SECRET, admin.id, admin.email)}"}
    app = create_app(settings, plugins=plugins, engine=db.engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:

        async def activate(key: str, preview: bool = False) -> dict[str, Any]:
            response = await http.post(
                "/graphql",
                json={"query": SWITCH, "variables": {"key": key, "preview": preview}},
                headers=headers,
            )
            body = response.json()
            assert "errors" not in body, body
            payload = body["data"]["activateFramework"]
            assert payload["userErrors"] == [] and payload["swap"]["preview"] is preview
            totals = payload["swap"]["totals"]
            nothing_left_behind(totals)
            if key == KEY:  # the demo's ratings are on CSTP elements: they map to InTASC
                assert totals["selfRatingsMapped"] > 0, totals
            return payload["district"]["activeFramework"]

        assert (await activate(KEY, preview=True))["key"] == "cstp-2009", (
            "a preview changes nothing"
        )
        active = await activate(KEY)
        assert (active["source"], active["plugin"]) == ("case", "intasc")
        assert [level["label"] for level in active["levels"]] == ["Level 1", "Level 2", "Level 3"]
        assert [group["code"] for group in active["standards"]] == ["LL", "CK", "IP", "PR"]
        rated = [e for group in active["standards"] for e in group["elements"]]
        assert [e["code"] for e in rated] == [str(n) for n in range(1, 11)]
        assert [i["code"] for i in rated[0]["indicators"]] == ["1(a)", "1(b)", "1(c)"]

        # Elena's needs speak InTASC now: her CSTP self-ratings count through the crosswalk.
        async with db.sessionmaker() as session:
            elena = await session.scalar(
                select(models.User).where(models.User.email == DEMO_TEACHER_EMAIL)
            )
        assert elena is not None
        response = await http.post(
            "/graphql",
            json={
                "query": "{ viewer { teacher { needs(first: 3) { element { code } score "
                "signals { kind present } } } } }"
            },
            headers={"Authorization": f"Bearer {mint_token(SECRET, elena.id, elena.email)}"},
        )
        needs = response.json()["data"]["viewer"]["teacher"]["needs"]
        assert needs and all(need["score"] is not None for need in needs), needs
        assert {need["element"]["code"] for need in needs} <= {str(n) for n in range(1, 11)}
        carried = [
            signal
            for need in needs
            for signal in need["signals"]
            if signal["kind"] == "SELF_ASSESSMENT" and signal["present"]
        ]
        assert carried, needs

        assert (await activate("cstp-2009", preview=True))["key"] == KEY
        back = await activate("cstp-2009")
        assert back["plugin"] == "cstp" and len(back["standards"]) == 6


async def test_intasc_round_trip_through_export_case_is_exact(db, settings, tmp_path) -> None:
    """What CSTP's round trip proves (test_case_import.py), for the framework a plugin shipped
    as a package: exported and imported under a new key, the same tree, codes, texts, order and
    levels."""
    await prepare_database(db.engine, settings, installed())
    exported = tmp_path / "intasc.json"
    env = {"MYPD_DATABASE_URL": db.url}
    await asyncio.to_thread(
        cli, "frameworks", "export-case", KEY, "--output", str(exported), env=env
    )
    done = await asyncio.to_thread(
        cli, "frameworks", "import-case", str(exported), "--key", "intasc-copy", env=env
    )
    assert "imported framework intasc-copy: 89 items, 10 rated" in done.stdout
    original = await case_snapshot(db, KEY)
    copied = await case_snapshot(db, "intasc-copy")
    assert (copied["tree"], copied["levels"]) == (original["tree"], original["levels"])
    assert [code for code, _, _ in copied["tree"]["LL"]] == ["1", "2", "3"]


async def test_the_demo_switches_with_the_frameworks_commands(db, settings) -> None:
    """The commands the README proposes for trying InTASC on the demo, once the service has
    started (its start-up imports the plugin's package): preview, switch, and back."""
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
    await prepare_database(db.engine, settings, installed())
    env = {"MYPD_DATABASE_URL": db.url}

    async def run(*args: str) -> str:
        result = await asyncio.to_thread(cli, "frameworks", "activate", *args, env=env)
        return result.stdout

    preview = await run(KEY, "--preview")
    assert preview.startswith("would switch from cstp-2009 to intasc-2013: 40 teachers"), preview
    counts = preview.splitlines()[1:]
    assert len(counts) == 4 and all(line.endswith(", 0 do not") for line in counts), preview
    switched = await run(KEY)
    assert switched.startswith("switched from cstp-2009 to intasc-2013"), switched
    back = await run("cstp-2009")
    assert back.startswith("switched from intasc-2013 to cstp-2009"), back
    async with db.sessionmaker() as session:
        active = await session.scalar(
            select(models.Framework.key).join(
                models.District, models.District.active_framework_id == models.Framework.id
            )
        )
    assert active == "cstp-2009"


def test_the_demo_command_loads_plugin_packages_without_a_start(tmp_path) -> None:
    """`db upgrade` and `demo load` on a fresh database, no service started: the plugin's CASE
    package is there, and the README's switch works at once."""
    env = {"MYPD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"}
    cli("db", "upgrade", env=env)
    cli("demo", "load", env=env)
    listed = cli("frameworks", "list", env=env).stdout
    assert KEY in listed, listed
    switched = cli("frameworks", "activate", KEY, env=env).stdout
    assert switched.startswith("switched from cstp-2009 to intasc-2013"), switched


async def test_two_switches_at_once_move_the_district_once(db, settings) -> None:
    """Two admins' requests to switch the demo to InTASC at once: one switch is recorded and the
    focus elements are carried once; the other request is a no-op (SQLite: it runs after) or is
    told the framework changed (PostgreSQL: it waited on the district's row)."""
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
    plugins = installed()
    await prepare_database(db.engine, settings, plugins)
    async with db.sessionmaker() as session:
        admin = await session.scalar(
            select(models.User).where(models.User.email == DEMO_ADMIN_EMAIL)
        )
        focus_before = await session.scalar(select(func.count(models.FocusElement.teacher_id)))
    assert admin is not None
    headers = {"Authorization": f"Bearer {mint_token(SECRET, admin.id, admin.email)}"}
    app = create_app(settings, plugins=plugins, engine=db.engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    "/graphql",
                    json={"query": SWITCH, "variables": {"key": KEY, "preview": False}},
                    headers=headers,
                )
                for _ in range(2)
            )
        )
    payloads = [answer.json()["data"]["activateFramework"] for answer in answers]
    codes = sorted(error["code"] for p in payloads for error in p["userErrors"])
    assert codes in ([], ["FRAMEWORK_CHANGED"]), payloads
    async with db.sessionmaker() as session:
        swaps = await session.scalar(select(func.count(models.FrameworkSwap.id)))
        focus_after = await session.scalar(select(func.count(models.FocusElement.teacher_id)))
    assert swaps == 1
    assert focus_after <= focus_before  # carried once, never doubled
