"""How the pipeline runs an import, on both databases: importers that break their contract or
yield what the database cannot hold; results that create students and attribute them to teachers;
an import inside the caller's transaction; two imports of one file at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    ImporterDefinition,
    ImportSource,
    SchoolRecord,
)
from tests.conftest import TestDatabase
from tests.factories import ADMIN, TEACHER_A, World
from tests.import_helpers import actor, counts, row_errors, snapshot
from tests.import_plugin import GOOD_SCORES, import_plugins, scores_file

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin


async def test_an_importer_breaking_its_contract_fails_the_import(
    db: TestDatabase, world: World
) -> None:
    def parse(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
        yield SchoolRecord(2, "Z", "Zed School")

    sneaky = ImporterDefinition("sneaky", "Sneaky", (), ("assessment_results",), parse)
    admin = await actor(db, world, ADMIN)
    run = await run_import(db.sessionmaker, admin, sneaky, b"anything")
    assert run.status == "failed"
    assert "yielded a SchoolRecord but declares only the record kinds assessment_results" in (
        run.message
    )


async def test_records_the_database_cannot_hold_are_row_errors(
    db: TestDatabase, world: World
) -> None:
    def parse(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
        for row in range(2, 7):
            yield AssessmentResultRecord(
                row, f"s{row - 1}", "nameless", "", "Math", "2025-26", "Fall", scale_score=1.0
            )
        yield AssessmentResultRecord(7, "s1", "ok", "OK", "Math", "2025-26", "F" * 17)
        yield AssessmentResultRecord(
            8, "s1", "ok", "OK", "Math", "2025-26", "Fall", achievement_level=5
        )
        yield {"row": 9}

    odd = ImporterDefinition("odd", "Odd", (), ("assessment_results",), parse)
    admin = await actor(db, world, ADMIN)
    run = await run_import(db.sessionmaker, admin, odd, b"x", batch_size=2)
    assert run.status == "failed" and "which is not a record or RowError" in run.message
    assert len(await row_errors(db, run.id)) == 6  # the batches judged before it failed

    def no_dict(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
        yield from (item for item in parse(source, options) if not isinstance(item, dict))

    run = await run_import(
        db.sessionmaker,
        admin,
        ImporterDefinition("odd", "Odd", (), ("assessment_results",), no_dict),
        b"x",
        {"max_error_share": 1},
        batch_size=2,
    )
    assert (run.status, counts(run)) == ("completed", (7, 0, 0, 0, 7))
    assert [(e.row, e.column, e.reason) for e in await row_errors(db, run.id)] == [
        *((row, None, "assessment_name is required") for row in range(2, 7)),
        (7, "term", "term is longer than 16 characters"),
        (8, "achievement_level", "achievement level must be between 1 and 4"),
    ]


async def test_results_can_create_students_and_attribute_them_to_teachers(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    path = tmp_path / "iready.csv"
    path.write_text(
        "student_id,test,year,term,score,level,teacher\n"
        'n1,ACME Math,2025-26,Fall,410,2,"Alvarez, Ana"\n'
        "n2,ACME Math,2025-26,Fall,420,3,Ms. Ana Alvarez\n"
        "n3,ACME Math,2025-26,Fall,430,3,Nobody Known\n"
    )
    admin = await actor(db, world, ADMIN)
    strict = await run_import(db.sessionmaker, admin, "test-scores", path, plugins=import_plugins)
    assert strict.status == "rejected"  # unknown students, with a roster required
    run = await run_import(
        db.sessionmaker,
        admin,
        "test-scores",
        path,
        {"create_students": True},
        plugins=import_plugins,
    )
    assert (run.status, counts(run)) == ("completed", (3, 3, 0, 0, 0))
    assert "3 students created" in run.message and "Nobody Known" in run.message
    async with db.sessionmaker() as session:
        attributed = set(
            await session.scalars(
                select(models.Student.local_id)
                .join(models.Enrollment, models.Enrollment.student_id == models.Student.id)
                .join(models.Section, models.Section.id == models.Enrollment.section_id)
                .where(models.Section.teacher_id == world.id(TEACHER_A))
            )
        )
    assert {"n1", "n2"} <= attributed and "n3" not in attributed


async def test_imports_inside_a_callers_transaction(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    admin = await actor(db, world, ADMIN)
    before = await snapshot(db)
    async with db.sessionmaker.begin() as session:
        rejected = await run_import(
            session,
            admin,
            "test-scores",
            scores_file(tmp_path, ["ghost,A,2025-26,Fall,1,1"]),
            plugins=import_plugins,
        )
        assert rejected.status == "rejected"
    assert await snapshot(db) == before
    async with db.sessionmaker.begin() as session:
        done = await run_import(
            session,
            admin,
            "test-scores",
            scores_file(tmp_path, GOOD_SCORES),
            plugins=import_plugins,
        )
    assert (done.status, counts(done)) == ("completed", (5, 5, 0, 0, 0))
    async with db.sessionmaker() as session:
        statuses = list(
            await session.scalars(select(models.ImportRun.status).order_by(models.ImportRun.id))
        )
    assert statuses == ["rejected", "completed"]


@pytest.mark.postgres_only
async def test_concurrent_imports_of_the_same_file_insert_once(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    rows = [
        f"s{i % 7 + 1},ACME Math,{2000 + i // 7}-{(i // 7 + 1) % 100:02d},Spring,{i},1"
        for i in range(700)
    ]
    path = scores_file(tmp_path, rows)
    admin = await actor(db, world, ADMIN)
    first, second = await asyncio.gather(
        *(
            run_import(
                db.sessionmaker, admin, "test-scores", path, plugins=import_plugins, batch_size=50
            )
            for _ in range(2)
        )
    )
    assert first.status == second.status == "completed"
    assert first.rows_inserted + second.rows_inserted == 700
    assert first.rows_unchanged + second.rows_unchanged == 700
    async with db.sessionmaker() as session:
        stored = await session.scalar(
            select(func.count())
            .select_from(models.AssessmentResult)
            .join(models.Assessment)
            .where(models.Assessment.key == "acme-math")
        )
    assert stored == 700
