"""The import pipeline on both databases: scores and PD records in; idempotent re-imports;
corrections; row errors; the bad-row threshold; rejected and failed files that leave nothing behind;
a large file parsed in a process of its own; authorization. Rosters are in test_imports_rosters,
the pipeline's other ways of running in test_imports_pipeline; the one-off importer plugin in tests/import_plugin.py, the helpers in
tests/import_helpers.py.

The world is tests/factories.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.importers import worker
from mypd_graph.importers.pipeline import prepare_job, run_import
from mypd_graph.importers.reader import Reader
from mypd_graph.importers.source import open_source
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.plugins.types import ImporterDefinition, ImportSource
from mypd_graph.services.errors import PermissionDenied, UserInputError
from mypd_graph.services.imports import runs as import_service
from tests.factories import ADMIN, IMPORTER, OUTSIDER, TEACHER_A, World
from tests.import_helpers import ROSTER, TRAINING, actor, counts, results_of, row_errors, snapshot
from tests.import_plugin import GOOD_SCORES, import_plugins, parse_scores, scores_file

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin


# -------------------------------------------------------------------------
# Scores through an in-process plugin: idempotency, corrections, row errors, the threshold
# -------------------------------------------------------------------------


async def test_scores_import_then_reimport_then_correct(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    importer = await actor(db, world, IMPORTER)
    path = scores_file(tmp_path, GOOD_SCORES)
    first = await run_import(db.sessionmaker, importer, "test-scores", path, plugins=import_plugins)
    assert (first.status, first.layout, counts(first)) == ("completed", "acme-v1", (5, 5, 0, 0, 0))
    assert await results_of(db, "acme-math") == {
        "s1": 210.5,
        "s2": 198.0,
        "s3": 225.0,
        "s4": 190.0,
        "s5": 205.0,
    }

    before = await snapshot(db)
    again = await run_import(db.sessionmaker, importer, "test-scores", path, plugins=import_plugins)
    assert counts(again) == (5, 0, 0, 5, 0)
    assert await snapshot(db) == before

    corrected = scores_file(tmp_path, [GOOD_SCORES[0].replace("210.5", "212"), *GOOD_SCORES[1:]])
    fixed = await run_import(
        db.sessionmaker, importer, "test-scores", corrected, plugins=import_plugins
    )
    assert counts(fixed) == (5, 0, 1, 4, 0)
    assert (await results_of(db, "acme-math"))["s1"] == 212.0
    async with db.sessionmaker() as session:
        result = await session.scalar(
            select(models.AssessmentResult)
            .join(models.Student)
            .where(models.Student.local_id == "s1", models.AssessmentResult.term == "Spring")
        )
        assert result is not None and result.import_id == fixed.id  # who last wrote it


async def test_bad_rows_are_reported_and_good_rows_imported(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    rows = [
        *GOOD_SCORES,
        "s6,ACME Math,2025-26,Spring,210,3",
        "s7,ACME Math,2025-26,Spring,211,3",
        "s1,ACME Math,2025-26,Fall,180,2",
        "s2,ACME Math,2025-26,Fall,181,2",
        "s3,ACME Math,2025-26,Fall,182,2",
        "s4,ACME Math,2025-26,Fall,183,2",
        "s5,ACME Math,2025-26,Fall,184,2",
        "s6,ACME Math,2025-26,Fall,185,2",
        "s7,ACME Math,2025-26,Fall,186,2",
        "s1,ACME Math,2024-25,Spring,170,2",
        "s2,ACME Math,2024-25,Spring,171,2",
        "s3,ACME Math,2024-25,Spring,172,2",
        "s4,ACME Math,2024-25,Spring,173,2",
        "s5,ACME Math,2024-25,Spring,174,2",
        "ghost,ACME Math,2025-26,Spring,200,3",  # row 21: an unknown student
        "s2,ACME Math,2025-26,Spring,199,2",  # row 22: a duplicate of row 3
        "x1,ACME Math,2025-26,Spring,200,3",  # row 23: another district's student
    ]
    path = scores_file(tmp_path, rows)
    admin = await actor(db, world, ADMIN)
    run = await run_import(
        db.sessionmaker,
        admin,
        "test-scores",
        path,
        {"max_error_share": 0.2},
        plugins=import_plugins,
        batch_size=4,  # duplicates across batches are found too
    )
    assert (run.status, counts(run)) == ("completed", (22, 19, 0, 0, 3))
    errors = [(e.row, e.column, e.value, e.reason) for e in await row_errors(db, run.id)]
    assert errors[0][:3] == (21, "student_local_id", "ghost")
    assert "unknown student" in errors[0][3]
    assert errors[1][0] == 22 and "duplicate of row 3" in errors[1][3]
    assert errors[2][:3] == (23, "student_local_id", "x1")
    assert (await results_of(db, "acme-math"))["s2"] == 198.0  # the first row wins


async def test_past_the_threshold_the_whole_file_is_rejected_with_every_error_kept(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    path = scores_file(
        tmp_path,
        [*GOOD_SCORES, "s6,ACME Math,2025-26,Spring,lots,3", "ghost,ACME Math,2025-26,Spring,1,1"],
    )
    admin = await actor(db, world, ADMIN)
    before = await snapshot(db)
    run = await run_import(db.sessionmaker, admin, "test-scores", path, plugins=import_plugins)
    assert run.status == "rejected"
    assert "2 of 7 rows (28.6%) were rejected, more than the 10% allowed" in run.message
    assert counts(run) == (7, 0, 0, 0, 2)
    assert [(e.row, e.reason) for e in await row_errors(db, run.id)] == [
        (7, "score is not a number"),
        (8, "unknown student: not in the district's roster (import the roster first)"),
    ]
    assert await snapshot(db) == before
    allowed = await run_import(
        db.sessionmaker,
        admin,
        "test-scores",
        path,
        {"max_error_share": 0.5},
        plugins=import_plugins,
    )
    assert (allowed.status, counts(allowed)) == ("completed", (7, 5, 0, 0, 2))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"student_id,test,year,term,score,level\r\n\r\n", "the file has no data rows"),
        (
            b"student,test,year,term,score,level,colour\n1,a,b,c,1,1,red\n",
            "missing columns: student_id; unknown columns: student, colour",
        ),
    ],
)
async def test_empty_header_only_and_wrong_header_files_are_rejected(
    db: TestDatabase, world: World, import_plugins: PluginSet, content: bytes, message: str
) -> None:
    admin = await actor(db, world, ADMIN)
    before = await snapshot(db)
    run = await run_import(db.sessionmaker, admin, "test-scores", content, plugins=import_plugins)
    assert run.status == "rejected" and message in run.message
    assert await snapshot(db) == before


async def test_a_windows_1252_file_is_read_and_noted(
    db: TestDatabase, world: World, import_plugins: PluginSet
) -> None:
    content = "student_id,test,year,term,score,level\r\ns1,Évaluation Maths,2025-26,Spring,1,1\r\n"
    admin = await actor(db, world, ADMIN)
    run = await run_import(
        db.sessionmaker, admin, "test-scores", content.encode("cp1252"), plugins=import_plugins
    )
    assert run.status == "completed" and "Windows-1252" in run.message
    async with db.sessionmaker() as session:
        names = set(await session.scalars(select(models.Assessment.name)))
    assert "Évaluation Maths" in names


async def test_a_failure_mid_import_rolls_everything_back(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    rows = [f"s{i % 7 + 1},ACME Math,20{10 + i // 7}-{11 + i // 7},Spring,{i},1" for i in range(60)]
    path = scores_file(tmp_path, rows)
    admin = await actor(db, world, ADMIN)
    before = await snapshot(db)
    run = await run_import(
        db.sessionmaker,
        admin,
        "test-scores",
        path,
        {"explode_at": 50},
        plugins=import_plugins,
        batch_size=10,  # four batches were upserted before the importer failed
    )
    assert run.status == "failed"
    assert "RuntimeError: the disk caught fire" in run.message
    assert await snapshot(db) == before
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(models.Assessment)) == 1


async def test_large_files_are_parsed_in_a_process_of_their_own(
    db: TestDatabase,
    world: World,
    import_plugins: PluginSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker, "PROCESS_MIN_BYTES", 0)  # every file on disk is "large"
    definition = import_plugins.importers["test-scores"].item
    admin = await actor(db, world, ADMIN)
    path = scores_file(tmp_path, [*GOOD_SCORES, "s1,ACME Math,2025-26,Spring,1,1"])
    job = prepare_job(admin, definition)
    with open_source(path) as source:
        reader = worker.open_reader(job, source, 2)
        assert isinstance(reader, worker.ProcessReader)
        reader.close()

    run = await run_import(
        db.sessionmaker,
        admin,
        "test-scores",
        path,
        {"max_error_share": 0.5},
        plugins=import_plugins,
        batch_size=2,
    )
    assert (run.status, counts(run)) == ("completed", (6, 5, 0, 0, 1))
    assert [e.reason for e in await row_errors(db, run.id)] == [
        "duplicate of row 2: the same student, assessment, school year and term appears twice"
    ]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("student,score\ns1,1\n")
    rejected = await run_import(
        db.sessionmaker, admin, "test-scores", wrong, plugins=import_plugins
    )
    assert rejected.status == "rejected" and "missing columns: student_id" in rejected.message
    failed = await run_import(
        db.sessionmaker,
        admin,
        "test-scores",
        path,
        {"explode_at": 4},
        plugins=import_plugins,
        batch_size=2,
    )
    assert failed.status == "failed" and "RuntimeError: the disk caught fire" in failed.message

    def closure(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
        yield from parse_scores(source, options)  # cannot be pickled: read in a thread instead

    local = ImporterDefinition("local", "Local", (), ("assessment_results",), closure)
    with open_source(path) as source:
        assert isinstance(worker.open_reader(prepare_job(admin, local), source, 2), Reader)
    again = await run_import(db.sessionmaker, admin, local, path, {"max_error_share": 0.5})
    assert counts(again) == (6, 0, 0, 5, 1)


# -------------------------------------------------------------------------
# Training records
# -------------------------------------------------------------------------


async def test_training_records_import_idempotently_with_their_elements(
    db: TestDatabase, world: World, import_plugins: PluginSet
) -> None:
    importer = await actor(db, world, IMPORTER)
    path = TRAINING / "pd_transcripts.csv"
    run = await run_import(db.sessionmaker, importer, "training_csv", path, plugins=import_plugins)
    assert (run.status, counts(run)) == ("completed", (6, 6, 0, 0, 0))
    async with db.sessionmaker() as session:
        record = await session.scalar(
            select(models.TrainingRecord).where(
                models.TrainingRecord.title == "Number Talks: Building Fluency in Grades 3-5"
            )
        )
        assert record is not None and record.hours == 6 and record.teacher_id == world.id(TEACHER_A)
        codes = set(
            await session.scalars(
                select(models.Standard.code)
                .join(
                    models.TrainingRecordElement,
                    models.TrainingRecordElement.element_id == models.Standard.id,
                )
                .where(models.TrainingRecordElement.training_record_id == record.id)
            )
        )
    assert codes == {"4.1", "5.2"}
    before = await snapshot(db)
    again = await run_import(
        db.sessionmaker, importer, "training_csv", path, plugins=import_plugins
    )
    assert counts(again) == (6, 0, 0, 6, 0)
    assert await snapshot(db) == before


async def test_training_records_with_errors(
    db: TestDatabase, world: World, import_plugins: PluginSet
) -> None:
    importer = await actor(db, world, IMPORTER)
    path = TRAINING / "pd_transcripts_with_errors.csv"
    run = await run_import(
        db.sessionmaker,
        importer,
        "training_csv",
        path,
        {"max_error_share": 0.7},
        plugins=import_plugins,
    )
    assert (run.status, counts(run)) == ("completed", (10, 4, 0, 0, 6))
    reasons = {e.row: e.reason for e in await row_errors(db, run.id)}
    assert reasons[3].startswith("unknown teacher")
    assert reasons[4].startswith("hours must be")
    assert reasons[5].startswith("unknown element code")
    assert reasons[6].startswith("not a date")
    assert reasons[8].startswith("duplicate of row 7")
    assert reasons[9].startswith("unknown teacher")  # another district's admin


# -------------------------------------------------------------------------
# Authorization
# -------------------------------------------------------------------------


async def test_only_admins_and_the_importer_service_import(
    db: TestDatabase, world: World, import_plugins: PluginSet
) -> None:
    teacher = await actor(db, world, TEACHER_A)
    with pytest.raises(PermissionDenied):
        await run_import(db.sessionmaker, teacher, "oneroster", ROSTER, plugins=import_plugins)
    admin = await actor(db, world, ADMIN)
    with pytest.raises(UserInputError, match="no importer named 'nope'"):
        await run_import(db.sessionmaker, admin, "nope", ROSTER, plugins=import_plugins)
    with pytest.raises(UserInputError, match="has no format 'v9'"):
        await run_import(
            db.sessionmaker, admin, "oneroster", ROSTER, {"format": "v9"}, plugins=import_plugins
        )
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(models.ImportRun)) == 0


async def test_runs_are_visible_to_their_district_importers_only(
    db: TestDatabase, world: World, import_plugins: PluginSet
) -> None:
    admin = await actor(db, world, ADMIN)
    run = await run_import(
        db.sessionmaker,
        admin,
        "training_csv",
        TRAINING / "pd_transcripts_with_errors.csv",
        plugins=import_plugins,
    )
    where = import_service.ImportFilter()
    async with db.sessionmaker() as session:
        for email, visible in (
            (ADMIN, True),
            (IMPORTER, True),
            (OUTSIDER, False),
            (TEACHER_A, False),
        ):
            viewer = await actor(db, world, email)
            page = await import_service.imports_page(session, viewer, where, 10, None)
            assert [r.id for r in page.items] == ([run.id] if visible else []), email
            assert await import_service.imports_by_ids(session, viewer, [run.id]) == (
                [page.items[0]] if visible else [None]
            )
            key = import_service.ErrorPageKey(run.id, 100)
            [errors] = await import_service.row_error_pages(session, viewer, [key])
            assert len(errors.items) == (6 if visible else 0)
