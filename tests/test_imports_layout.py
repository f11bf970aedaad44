"""The layout a file was recognized as is recorded and shown (issue 10, section 7): on the Import
record, as the GraphQL ``format`` of the run, and in the command's summary, whether the file is
parsed in a thread or (a large file) in a process of its own; on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mypd_graph.importers.pipeline import run_import
from mypd_graph.importers.worker import PROCESS_MIN_BYTES
from mypd_graph.plugins.manager import PluginSet
from tests.factories import ADMIN, World
from tests.import_helpers import actor
from tests.test_csv_scores import FIXTURES
from tests.test_imports_api import UploadClient, cli, uploads

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

__all__ = ["uploads"]  # the fixture, from tests.test_imports_api

RUNS = "{ imports(first: 5) { nodes { fileName importer format status } } }"


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("caaspp_toms_extract.zip", "caaspp-toms"),
        ("caaspp_cers_export.csv", "caaspp-cers"),
        ("nwea_map_cdf.zip", "nwea-map"),
        ("iready_diagnostic_results_ela.csv", "iready-diagnostic"),
        ("nwea_map_excel_unicode_text.txt", "nwea-map"),
    ],
)
async def test_the_recognized_layout_is_recorded(
    db: TestDatabase, world: World, plugins: PluginSet, name: str, layout: str
) -> None:
    admin = await actor(db, world, ADMIN)
    run = await run_import(
        db.sessionmaker, admin, "csv-scores", FIXTURES / name, {"max_error_share": 1},
        plugins=plugins,
    )  # fmt: skip
    assert run.status == "completed", run.message
    assert run.layout == layout


async def test_a_large_file_parsed_in_its_own_process_records_its_layout_too(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    path = tmp_path / "AssessmentResults.csv"
    notes = "n" * 2000
    with path.open("w", encoding="utf-8") as out:
        out.write("TermName,StudentID,Course,TestRITScore,Notes\n")
        for number in range(PROCESS_MIN_BYTES // len(notes) + 50):
            out.write(f"Fall 2025-2026,x{number},Math 6+,215,{notes}\n")
    assert path.stat().st_size >= PROCESS_MIN_BYTES
    admin = await actor(db, world, ADMIN)
    run = await run_import(
        db.sessionmaker, admin, "csv-scores", path, {"max_error_share": 1}, plugins=plugins
    )  # no such students: every row is rejected, and the run still completes
    assert (run.status, run.layout) == ("completed", "nwea-map")


async def test_graphql_shows_the_layout_as_the_runs_format(uploads: UploadClient) -> None:
    content = (FIXTURES / "caaspp_cers_export.csv").read_bytes()
    payload = await uploads.upload(
        ADMIN, "csv-scores", "cers.csv", content, options={"max_error_share": 1}
    )
    assert payload["userErrors"] == []
    assert payload["importRun"]["format"] == "caaspp-cers"
    listed = await uploads.query(ADMIN, RUNS)
    assert listed["imports"]["nodes"][0]["format"] == "caaspp-cers"


async def test_the_command_summary_names_the_layout(db: TestDatabase, world: World) -> None:
    def exercise() -> None:
        done = cli(
            db.url, "import", "scores", str(FIXTURES / "caaspp_toms_extract.zip"),
            "-o", "max_error_share=1", "--as", ADMIN,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "completed: caaspp_toms_extract.zip (csv-scores, caaspp-toms)" in done.stdout

    await asyncio.to_thread(exercise)
