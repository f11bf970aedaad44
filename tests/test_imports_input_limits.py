"""Files meet the same input limits as the API (mypd_graph/services/inputs.py): text no stored
value may hold and implausible days are row errors, and the rest of the file still loads."""

from __future__ import annotations

from pathlib import Path

from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from tests.conftest import TestDatabase
from tests.factories import IMPORTER, World
from tests.import_helpers import actor, counts, row_errors
from tests.import_plugin import import_plugins as import_plugins


async def test_training_rows_meet_the_apis_limits(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    path = tmp_path / "transcripts.csv"
    path.write_text(
        "teacher_email,title,provider,completed_on,hours,elements\n"
        "ana.teacher@test.mypd,Number Talks,County Office,2025-08-12,6,5.2\n"
        "ana.teacher@test.mypd,Bell \x07 Course,County Office,2025-08-13,2,\n"
        "ana.teacher@test.mypd,Old Course,County Office,1900-01-01,2,\n"
        "ana.teacher@test.mypd,Provider,Esc\x1b[31m,2025-08-14,2,\n",
        encoding="utf-8",
    )
    importer = await actor(db, world, IMPORTER)
    run = await run_import(
        db.sessionmaker,
        importer,
        "training_csv",
        path,
        {"max_error_share": 0.9},
        plugins=import_plugins,
    )
    assert (run.status, counts(run)) == ("completed", (4, 1, 0, 0, 3))
    reasons = {error.row: (error.column, error.reason) for error in await row_errors(db, run.id)}
    assert reasons[3] == ("title", "title holds control characters or invalid text")
    assert reasons[4][0] == "completed_on" and "between 1990-01-01 and today" in reasons[4][1]
    assert reasons[5] == ("provider", "provider holds control characters or invalid text")
