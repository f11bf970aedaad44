"""An out-of-tree vendor importer (tests/plugin_packages/acme_importer), installed with pip as its
own distribution and found through the ``mypd_graph`` entry points: no change to the core."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import load_plugins
from mypd_graph.plugins.types import AssessmentResultRecord, FileRejected, RowError, StudentRecord
from tests.conftest import TestDatabase
from tests.helpers import installed_distribution
from tests.test_csv_scores import FIXTURES, FixtureSource
from tests.test_csv_scores_pipeline import lakeview

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "tests" / "plugin_packages" / "acme_importer"


@pytest.fixture(scope="module")
def acme_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """pip-install the ACME distribution into a fresh directory on sys.path."""
    with installed_distribution(ACME, tmp_path_factory.mktemp("acme"), "mypd_graph_acme") as site:
        yield site


def test_the_vendor_importer_is_discovered_beside_csv_scores(acme_site: Path) -> None:
    loaded = load_plugins(allow=("acme", "csv_scores"))
    assert not loaded.failures
    infos = {info.name: info for info in loaded.plugins}
    assert (infos["acme"].distribution, infos["acme"].version) == (
        "mypd-graph-acme-importer",
        "0.3.0",
    )
    assert loaded.offered_by("acme")["importers"] == ["acme-checkpoint"]
    assert loaded.importers["csv-scores"].plugin == "csv_scores"
    importer = loaded.importers["acme-checkpoint"].item
    module = sys.modules[importer.parse.__module__]
    assert str(acme_site) in str(module.__file__), "loaded from the installed distribution"


def test_the_vendor_importer_parses_its_own_format(acme_site: Path) -> None:
    importer = load_plugins(allow=("acme",)).importers["acme-checkpoint"].item
    items = list(importer.parse(FixtureSource.fixture("acme_checkpoint.jsonl"), {}))
    records = [item for item in items if isinstance(item, AssessmentResultRecord)]
    assert [(r.row, r.assessment_key, r.term, r.achievement_level) for r in records] == [
        (2, "acme-checkpoint-math", "Fall", 3),
        (3, "acme-checkpoint-ela", "Fall", 2),
        (4, "acme-checkpoint-math", "Fall", 1),
    ]
    assert records[0].student_last_name == "Muñoz" and records[0].school_year == "2025-26"
    assert [s.local_id for s in items if isinstance(s, StudentRecord)] == ["100234", "100235"]
    assert [(e.row, e.column) for e in items if isinstance(e, RowError)] == [
        (5, "checkpoint.window"),
        (6, None),
    ]


def test_the_vendor_importer_rejects_files_that_are_not_its_format(acme_site: Path) -> None:
    importer = load_plugins(allow=("acme",)).importers["acme-checkpoint"].item
    with pytest.raises(FileRejected, match="not an ACME Checkpoint export"):
        list(importer.parse(FixtureSource.fixture("nwea_map_assessment_results.csv"), {}))


async def test_the_vendor_importer_runs_through_the_core_pipeline(
    acme_site: Path, db: TestDatabase
) -> None:
    loaded = load_plugins(allow=("acme", "cstp", "csv_scores"))
    actor = await lakeview(db)
    run = await run_import(
        db.sessionmaker,
        actor,
        "acme-checkpoint",
        FIXTURES / "acme_checkpoint.jsonl",
        {"max_error_share": 0.5},
        plugins=loaded,
    )
    assert run.status == "completed", run.message
    assert (run.importer, run.rows_read, run.rows_inserted, run.rows_rejected) == (
        "acme-checkpoint",
        5,
        5,
        2,
    ), "inserted: three results and the two students they name"
    async with db.sessionmaker() as session:
        keys = set(await session.scalars(select(models.Assessment.key)))
        results = len(list(await session.scalars(select(models.AssessmentResult.id))))
        names = set(
            await session.execute(select(models.Student.first_name, models.Student.last_name))
        )
    assert keys == {"acme-checkpoint-math", "acme-checkpoint-ela"} and results == 3
    assert names == {("José", "Muñoz"), ("Aoife", "O'Brien, Jr.")}, "its StudentRecords landed"
