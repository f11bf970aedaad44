"""Student growth where files carry it (issue 14, item 4): the NWEA MAP preset reads the
Comprehensive Data File's fall-to-spring growth columns (conditional growth percentile, met
projected growth) and the import pipeline stores them on the spring result; a re-import with a
corrected value updates it, and a value out of range is a row error naming its column."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.students.status import stale_result_status
from tests.factories import ADMIN, World
from tests.needs_helpers import actor

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

HEADER = (
    "TermName,StudentID,Course,TestRITScore,TestPercentile,TestStartDate,"
    "FallToSpringProjectedGrowth,FallToSpringObservedGrowth,FallToSpringMetProjectedGrowth,"
    "FallToSpringConditionalGrowthIndex,FallToSpringConditionalGrowthPercentile\n"
)
ROWS = (
    "Fall 2025-2026,s1,Math K-12,201,45,09/08/2025,,,,,\n"
    "Spring 2025-2026,s1,Math K-12,214,52,05/04/2026,10,13,Yes*,0.31,62\n"
    "Spring 2025-2026,s2,Math K-12,203,30,05/04/2026,10,4,No,-0.62,27\n"
    "Spring 2025-2026,s3,Math K-12,205,35,05/04/2026,,,,,\n"
)


async def _growth(db: TestDatabase, world: World) -> dict[tuple[str, str], tuple]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(
                models.Student.local_id,
                models.AssessmentResult.term,
                models.AssessmentResult.growth_percentile,
                models.AssessmentResult.met_projected_growth,
            )
            .join(models.Student, models.Student.id == models.AssessmentResult.student_id)
            .join(models.Assessment, models.Assessment.id == models.AssessmentResult.assessment_id)
            .where(models.Assessment.key == "nwea-map-math")
        )
        return {(local_id, term): (cgp, met) for local_id, term, cgp, met in rows}


async def test_map_growth_columns_are_imported(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    who = await actor(db, world, ADMIN)
    path = tmp_path / "AssessmentResults.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    options = {"format": "nwea-map"}
    run = await run_import(db.sessionmaker, who, "csv-scores", path, options, plugins=plugins)
    assert (run.status, run.rows_inserted, run.rows_rejected) == ("completed", 4, 0), run.message
    assert await _growth(db, world) == {
        ("s1", "Fall"): (None, None),
        ("s1", "Spring"): (62, True),
        ("s2", "Spring"): (27, False),
        ("s3", "Spring"): (None, None),
    }
    async with db.sessionmaker() as session:  # the summaries count the measures as they load
        assert await stale_result_status(session, world.district_id) == []
        growth = await session.execute(
            select(
                models.TeacherSubjectStatus.growth_students,
                models.TeacherSubjectStatus.growth_short,
            )
            .where(models.TeacherSubjectStatus.school_year == "2025-26")
            .where(models.TeacherSubjectStatus.growth_students > 0)
        )
        assert growth.all() == [(2, 1)]  # s1 grew as typical or more, s2 did not

    # A corrected file: s2's growth is updated, the other rows are unchanged.
    path.write_text(HEADER + ROWS.replace("No,-0.62,27", "Yes,0.10,55"), encoding="utf-8")
    run = await run_import(db.sessionmaker, who, "csv-scores", path, options, plugins=plugins)
    assert (run.status, run.rows_updated, run.rows_unchanged) == ("completed", 1, 3), run.message
    assert (await _growth(db, world))[("s2", "Spring")] == (55, True)
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []

    # Out of range and unreadable values are row errors naming the file's column.
    path.write_text(
        HEADER
        + "Spring 2025-2026,s1,Math K-12,214,52,05/04/2026,10,13,Maybe,0.31,62\n"
        + "Spring 2025-2026,s2,Math K-12,203,30,05/04/2026,10,4,No,-0.62,100\n",
        encoding="utf-8",
    )
    run = await run_import(db.sessionmaker, who, "csv-scores", path, options, plugins=plugins)
    assert run.rows_rejected == 2
    async with db.sessionmaker() as session:
        errors = (
            await session.execute(
                select(models.ImportRowError.column, models.ImportRowError.reason).where(
                    models.ImportRowError.import_id == run.id
                )
            )
        ).all()
    assert sorted(column for column, _ in errors) == [
        "FallToSpringConditionalGrowthPercentile",
        "FallToSpringMetProjectedGrowth",
    ]
