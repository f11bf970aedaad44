"""docs/importing.md describes every layout the importers declare, each with an example file, and
its commands work (issue 10, section 7): they are run here, in the page's order, against the demo
district, on both databases. The ``--format`` help lists the layouts from the plugin registry."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pytest
from click.testing import CliRunner

from mypd_graph import cli
from mypd_graph.demo import load_demo
from mypd_graph.importers.formats import LayoutOption
from mypd_graph.plugins.manager import PluginSet, load_plugins
from tests.conftest import SECRET
from tests.import_plugin import ScoresPlugin

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "importing.md"
SECTION = re.compile(r"^### `(?P<layout>[^`]+)` .*\(importer `(?P<importer>[^`]+)`\)$", re.M)
EXAMPLE = re.compile(r"\]\((?P<path>examples/[^)]+)\)")
COMMAND = re.compile(r"^```sh\n(?P<command>mypd-graph [^\n]+)\n```$", re.M)
WIDE = {"terminal_width": 500, "max_content_width": 500}


def documented() -> list[tuple[str, str, list[str], str]]:
    """(importer, layout, example files, command) of each section of the page, in order."""
    text = PAGE.read_text(encoding="utf-8")
    heads = list(SECTION.finditer(text))
    sections = []
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        body = text[head.end() : following.start() if following else len(text)]
        command = COMMAND.search(body)
        assert command, f"the {head['layout']} section has no command"
        examples = [match["path"] for match in EXAMPLE.finditer(body)]
        sections.append((head["importer"], head["layout"], examples, command["command"]))
    return sections


def declared(plugins: PluginSet) -> set[tuple[str, str]]:
    return {
        (name, layout)
        for name, contribution in plugins.importers.items()
        for layout in contribution.item.layouts
    }


def test_every_layout_is_documented_with_an_example(plugins: PluginSet) -> None:
    sections = documented()
    assert {(importer, layout) for importer, layout, _, _ in sections} == declared(plugins)
    for _, layout, examples, command in sections:
        assert examples, f"{layout}: no example file"
        for example in examples:
            assert (PAGE.parent / example).exists(), example
        assert any(f"docs/{example.rstrip('/')}" in command for example in examples), command


async def test_the_documented_commands_import_their_examples(
    db: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
    monkeypatch.chdir(ROOT)  # the page's commands run from the repository's root
    env = {"MYPD_DATABASE_URL": db.url, "MYPD_SECRET_KEY": SECRET}

    def exercise() -> None:
        for importer, layout, _, command in documented():
            args = shlex.split(command)[1:]
            done = CliRunner().invoke(cli.main, args, env=env)
            assert done.exit_code == 0, (command, done.output)
            assert "completed: " in done.stdout and f"({importer}, {layout})" in done.stdout
            assert ", 0 rejected" in done.stdout, done.stdout

    await asyncio.to_thread(exercise)


def test_the_format_help_lists_the_layouts_of_the_installed_importers() -> None:
    runner = CliRunner()
    scores = runner.invoke(cli.main, ["import", "scores", "--help"], **WIDE)
    assert scores.exit_code == 0, scores.output
    layouts = "csv-scores: nwea-map, caaspp-cers, caaspp-toms, iready-diagnostic, generic"
    assert layouts in scores.output
    assert "oneroster" not in scores.output, "scores: the importers of results only"
    every = runner.invoke(cli.main, ["import", "file", "--help"], **WIDE)
    assert layouts in every.output
    assert "oneroster: oneroster-1.1" in every.output
    assert "training_csv: training-csv" in every.output


def test_the_format_help_comes_from_the_registry() -> None:
    with_acme = load_plugins(extra=[("test_scores", ScoresPlugin())], entry_points=False)

    @click.command()
    @click.option(
        "--format", cls=LayoutOption, kind="assessment_results", plugins=lambda: with_acme
    )
    def command(format: str | None) -> None:
        """Import scores."""

    shown = CliRunner().invoke(command, ["--help"], **WIDE).output
    assert "test-scores: acme-v1" in shown and "docs/importing.md" in shown
