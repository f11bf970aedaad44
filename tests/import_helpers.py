"""What the import tests share besides their plugin (:mod:`tests.import_plugin`): the fixture
files' paths, and readers of what an import left behind (runs, row errors, results, the summaries,
a snapshot of every table).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.models import Base
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import Actor, actor_for
from tests.factories import ADMIN, World

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

FIXTURES = Path(__file__).parent / "fixtures"
ROSTER = FIXTURES / "rosters" / "test_unified"
TRAINING = FIXTURES / "training"
# A run is recorded, and its end is an event for webhooks and emails, whatever it wrote.
BOOKKEEPING = {"import_run", "import_row_error", "outbox_event"}


async def actor(db: TestDatabase, world: World, email: str) -> Actor:
    async with db.sessionmaker() as session:
        return actor_for(await session.get_one(models.User, world.id(email)))


async def import_roster(
    db: TestDatabase,
    world: World,
    plugins: PluginSet,
    folder: Path = ROSTER,
    options: dict[str, Any] | None = None,
) -> models.ImportRun:
    """A OneRoster export (the fixture's unless ``folder`` says) imported by the district admin."""
    admin = await actor(db, world, ADMIN)
    return await run_import(db.sessionmaker, admin, "oneroster", folder, options, plugins=plugins)


async def snapshot(db: TestDatabase) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the import bookkeeping: "nothing written" means equal."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with db.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in rows]
    return tables


async def row_errors(db: TestDatabase, run_id: int) -> list[models.ImportRowError]:
    async with db.sessionmaker() as session:
        return list(
            await session.scalars(
                select(models.ImportRowError)
                .where(models.ImportRowError.import_id == run_id)
                .order_by(models.ImportRowError.id)
            )
        )


def counts(run: models.ImportRun) -> tuple[int, int, int, int, int]:
    return (
        run.rows_read,
        run.rows_inserted,
        run.rows_updated,
        run.rows_unchanged,
        run.rows_rejected,
    )


async def results_of(db: TestDatabase, assessment_key: str) -> dict[str, float | None]:
    """Spring 2025-26 scores on one assessment, by student id."""
    return await by_student(
        db,
        assessment_key,
        models.AssessmentResult.scale_score,
        models.AssessmentResult.school_year == "2025-26",
        models.AssessmentResult.term == "Spring",
    )


async def by_student(
    db: TestDatabase, assessment_key: str, column: Any, *where: Any
) -> dict[str, Any]:
    """One column of an assessment's results (``where`` narrows them), by student id."""
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(models.Student.local_id, column)
            .join(models.AssessmentResult, models.AssessmentResult.student_id == models.Student.id)
            .join(models.Assessment, models.Assessment.id == models.AssessmentResult.assessment_id)
            .where(models.Assessment.key == assessment_key, *where)
        )
        return {local_id: value for local_id, value in rows}


async def result_keys(db: TestDatabase) -> set[tuple[str, str]]:
    """(student id, assessment key) of every result stored."""
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(models.Student.local_id, models.Assessment.key)
            .join(models.AssessmentResult, models.AssessmentResult.student_id == models.Student.id)
            .join(models.Assessment, models.Assessment.id == models.AssessmentResult.assessment_id)
        )
        return {(local_id, key) for local_id, key in rows}


async def stored(session: AsyncSession, student_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    rows = await session.execute(
        select(
            models.StudentSubjectStatus.subject,
            models.StudentSubjectStatus.school_year,
            models.StudentSubjectStatus.scored,
            models.StudentSubjectStatus.below,
        ).where(models.StudentSubjectStatus.student_id == student_id)
    )
    return {(subject, year): (scored, below) for subject, year, scored, below in rows}


async def teacher_rows(
    session: AsyncSession, teacher_id: int, district_id: int | None = None
) -> dict[tuple, tuple[int, int]]:
    """``{(subject, year): (students, below)}`` of one district, or keyed with the district too."""
    summary = models.TeacherSubjectStatus
    rows = await session.execute(
        select(
            summary.subject,
            summary.school_year,
            summary.district_id,
            summary.students,
            summary.below,
        ).where(summary.teacher_id == teacher_id)
    )
    if district_id is None:
        return {(subject, year, district): (n, below) for subject, year, district, n, below in rows}
    return {
        (subject, year): (n, below)
        for subject, year, district, n, below in rows
        if district == district_id
    }
