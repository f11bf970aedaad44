"""The plugin system: discovery of real distributions, allow/deny, failures reported by name,
validation of what plugins offer, idempotent framework sync, and the documented hook contract."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import mypd_graph_cstp
import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.plugins import hookimpl, hookspecs
from mypd_graph.plugins.builtins import BUILTIN_PLUGINS
from mypd_graph.plugins.manager import BUILT_IN, load_plugins
from mypd_graph.plugins.types import Element, FrameworkDefinition, RatingLevel, Standard
from mypd_graph.services.frameworks.registry import sync_framework, sync_frameworks
from tests.helpers import installed_distribution

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "plugin_packages" / "example"


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Install the out-of-tree example plugin as its own distribution, visible to this process."""
    with installed_distribution(
        EXAMPLE, tmp_path_factory.mktemp("example"), "mypd_graph_example"
    ) as site:
        yield site


def framework(
    key: str = "tiny-1", levels: int = 2, text: str = "Does one thing"
) -> FrameworkDefinition:
    return FrameworkDefinition(
        key=key,
        name="Tiny",
        version="1",
        jurisdiction="Test",
        levels=tuple(RatingLevel(f"l{i}", f"Level {i}") for i in range(1, levels + 1)),
        standards=(Standard("1", "One", (Element("1.1", text), Element("1.2", "Another"))),),
    )


def plugin_offering(*definitions: FrameworkDefinition) -> SimpleNamespace:
    @hookimpl
    def mypd_graph_register_frameworks(register):  # type: ignore[no-untyped-def]
        for definition in definitions:
            register(definition)

    return SimpleNamespace(mypd_graph_register_frameworks=mypd_graph_register_frameworks)


def test_installed_plugins_are_discovered_by_entry_point() -> None:
    loaded = load_plugins()
    names = {info.name: info for info in loaded.plugins}
    assert names["cstp"].distribution == "mypd-graph-cstp"
    assert "mypd_graph_register_frameworks" in names["cstp"].hooks
    assert loaded.frameworks["cstp-2009"].plugin == "cstp"
    assert loaded.offered_by("cstp")["frameworks"] == ["cstp-2009"]
    assert not loaded.failures


def test_out_of_tree_distribution_is_used_and_bad_plugins_are_reported(example_site: Path) -> None:
    loaded = load_plugins()
    infos = {info.name: info for info in loaded.plugins}
    assert infos["example"].distribution == "mypd-graph-example"
    assert infos["example"].version == "1.2.3"
    assert loaded.frameworks["example-2025"].plugin == "example"
    assert "example-catalog" in loaded.resource_providers
    failures = {failure.plugin: failure.reason for failure in loaded.failures}
    assert "vendor library" in failures["example_broken"]
    assert "mypd_graph_register_framework" in failures["example_misspelled"]
    assert "example_broken" not in infos and "example_misspelled" not in infos
    assert "cstp-2009" in loaded.frameworks, "a broken plugin must not take the others down"


def test_allowlist_and_denylist(example_site: Path) -> None:
    only_cstp = load_plugins(allow=("cstp",))
    assert [info.name for info in only_cstp.plugins if info.distribution != BUILT_IN] == ["cstp"]
    assert not only_cstp.failures
    without = load_plugins(deny=("cstp", "example_broken", "example_misspelled"))
    assert "cstp-2009" not in without.frameworks
    assert "example-2025" in without.frameworks
    assert not without.failures


def test_builtin_plugins_load_like_any_other_and_can_be_denied() -> None:
    loaded = load_plugins(entry_points=False)
    assert {info.name for info in loaded.plugins} == set(BUILTIN_PLUGINS)
    assert all(info.distribution == BUILT_IN for info in loaded.plugins)
    denied = load_plugins(entry_points=False, deny=tuple(BUILTIN_PLUGINS))
    assert denied.plugins == []


def test_clashing_keys_name_both_plugins() -> None:
    loaded = load_plugins(
        extra=[("first", plugin_offering(framework())), ("second", plugin_offering(framework()))],
        entry_points=False,
    )
    assert loaded.frameworks["tiny-1"].plugin == "first"
    [failure] = loaded.failures
    assert failure.plugin == "second"
    assert "first" in failure.reason and "second" in failure.reason


def test_invalid_definitions_and_raising_hooks_are_pinned_on_their_plugin() -> None:
    @hookimpl
    def mypd_graph_register_importers(register):  # type: ignore[no-untyped-def]
        raise RuntimeError("catalog server down")

    loaded = load_plugins(
        extra=[
            ("one_level", plugin_offering(framework(levels=1))),
            (
                "raises",
                SimpleNamespace(mypd_graph_register_importers=mypd_graph_register_importers),
            ),
            ("good", plugin_offering(framework(key="good-1"))),
        ],
        entry_points=False,
    )
    failures = {failure.plugin: failure.reason for failure in loaded.failures}
    assert "at least two rating levels" in failures["one_level"]
    assert "catalog server down" in failures["raises"]
    assert list(loaded.frameworks) == ["good-1"]


def test_hook_may_take_fewer_arguments_than_the_spec() -> None:
    @hookimpl
    def mypd_graph_register_frameworks():  # type: ignore[no-untyped-def]
        return None

    loaded = load_plugins(
        extra=[
            (
                "quiet",
                SimpleNamespace(mypd_graph_register_frameworks=mypd_graph_register_frameworks),
            )
        ],
        entry_points=False,
    )
    assert not loaded.failures
    assert [info.name for info in loaded.plugins if info.distribution != BUILT_IN] == ["quiet"]


async def test_framework_sync_is_idempotent_and_keeps_retired_elements(db) -> None:
    plugins = load_plugins(extra=[("cstp", mypd_graph_cstp)], entry_points=False)
    async with db.sessionmaker.begin() as session:
        assert await sync_frameworks(session, plugins) == {"cstp-2009": False}
    async with db.sessionmaker.begin() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(models.Standard)
            .join(models.Framework)
            .where(models.Framework.key == "cstp-2009", models.Standard.is_element.is_(True))
        )
    assert count == 38

    async with db.sessionmaker.begin() as session:
        _, changed = await sync_framework(session, framework(), "tiny")
        assert changed
    smaller = FrameworkDefinition(
        key="tiny-1",
        name="Tiny",
        version="2",
        jurisdiction="Test",
        levels=framework().levels,
        standards=(Standard("1", "One", (Element("1.1", "Does one thing, better"),)),),
    )
    async with db.sessionmaker.begin() as session:
        fw, changed = await sync_framework(session, smaller, "tiny")
        assert changed and fw.version == "2"
    async with db.sessionmaker() as session:
        rows = {
            row.code: row
            for row in await session.scalars(
                select(models.Standard).where(models.Standard.framework_id == fw.id)
            )
        }
    assert rows["1.1"].text == "Does one thing, better" and not rows["1.1"].retired
    assert rows["1.2"].retired, "a dropped element is retired, never deleted"


def test_every_hook_is_documented() -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    specs = [name for name in dir(hookspecs) if name.startswith("mypd_graph_")]
    assert specs
    for name in specs:
        assert re.search(rf"^#+ `?{name}\(", docs, re.MULTILINE), f"{name} is not documented"


def test_plugins_list_cli(example_site: Path) -> None:
    env_path = f"{example_site}"
    result = subprocess.run(
        [sys.executable, "-m", "mypd_graph", "plugins", "list"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    assert "cstp (mypd-graph-cstp 0.1.0)" in result.stdout
    assert "frameworks: cstp-2009" in result.stdout
    assert "example (mypd-graph-example 1.2.3)" in result.stdout
    assert "resource_providers: example-catalog" in result.stdout
    assert "example_broken: FAILED" in result.stdout
    assert result.returncode == 1, "a failed plugin makes the listing exit non-zero"
