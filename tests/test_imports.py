"""The import pipeline on both databases: rosters, scores and PD records in; idempotent re-imports;
corrections; row errors; the bad-row threshold; rejected and failed files that leave nothing behind;
authorization; a one-off importer plugin registered in process.

The world is tests/factories.py; the roster fixture (tests/fixtures/rosters/test_unified) is a
OneRoster 1.1 export of the same district that adds a school, a teacher, students and sections.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import zipfile
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
from mypd_graph.models import Base
from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    FileRejected,
    ImporterDefinition,
    ImportSource,
    RowError,
    SchoolRecord,
)
from mypd_graph.services.access import Actor, actor_for
from mypd_graph.services.errors import PermissionDenied, UserInputError
from mypd_graph.services.imports import runs as import_service
from tests.factories import ADMIN, IMPORTER, OUTSIDER, TEACHER_A, World

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

FIXTURES = Path(__file__).parent / "fixtures"
ROSTER = FIXTURES / "rosters" / "test_unified"
TRAINING = FIXTURES / "training"
BOOKKEEPING = {"import_run", "import_row_error"}


# -------------------------------------------------------------------------
# A one-off importer plugin, registered in process
# -------------------------------------------------------------------------

SCORE_COLUMNS = ("student_id", "test", "year", "term", "score", "level")


def parse_scores(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
    """A small score format: one row per student and test; ``explode_at`` simulates a crash."""
    reader = csv.reader(source.text())
    header = next(reader, None)
    if not header:
        raise FileRejected("the file is empty: there is no header row")
    missing = [column for column in SCORE_COLUMNS if column not in header]
    if missing:
        unknown = [column for column in header if column not in SCORE_COLUMNS + ("teacher",)]
        raise FileRejected(
            f"missing columns: {', '.join(missing)}; unknown columns: {', '.join(unknown)}",
            missing=tuple(missing),
            unknown=tuple(unknown),
        )
    at = {name: header.index(name) for name in header}
    for number, row in enumerate(reader, start=2):
        if options.get("explode_at") == number:
            raise RuntimeError("the disk caught fire")
        if not row:
            continue
        try:
            score = float(row[at["score"]])
        except ValueError:
            yield RowError(number, "score is not a number", "score", row[at["score"]])
            continue
        test = row[at["test"]]
        teacher = row[at["teacher"]] if "teacher" in at else ""
        yield AssessmentResultRecord(
            row=number,
            student_local_id=row[at["student_id"]],
            assessment_key=test.lower().replace(" ", "-"),
            assessment_name=test,
            subject="Math",
            school_year=row[at["year"]],
            term=row[at["term"]],
            scale_score=score,
            achievement_level=int(row[at["level"]]) if row[at["level"]] else None,
            vendor="ACME",
            student_first_name="New",
            student_last_name=f"Student {row[at['student_id']]}",
            grade_level="4",
            school_code="N",
            teacher_names=(teacher,) if teacher else (),
        )


class ScoresPlugin:
    @hookimpl
    def mypd_graph_register_importers(self, register: Any) -> None:
        register(
            ImporterDefinition(
                name="test-scores",
                title="Test scores",
                layouts=("acme-v1",),
                record_kinds=("assessment_results",),
                parse=parse_scores,
            )
        )


@pytest.fixture(scope="module")
def import_plugins() -> PluginSet:
    loaded = load_plugins(extra=[("test_scores", ScoresPlugin())], entry_points=False)
    assert not loaded.failures, loaded.failures
    assert {"oneroster", "training_csv", "test-scores"} <= set(loaded.importers)
    return loaded


def scores_file(tmp_path: Path, rows: list[str], name: str = "scores.csv") -> Path:
    path = tmp_path / name
    path.write_text("student_id,test,year,term,score,level\n" + "".join(f"{r}\n" for r in rows))
    return path


GOOD_SCORES = [
    "s1,ACME Math,2025-26,Spring,210.5,3",
    "s2,ACME Math,2025-26,Spring,198,2",
    "s3,ACME Math,2025-26,Spring,225,4",
    "s4,ACME Math,2025-26,Spring,190,1",
    "s5,ACME Math,2025-26,Spring,205,3",
]


# -------------------------------------------------------------------------
# Helpers
# -------------------------------------------------------------------------


async def actor(db: TestDatabase, world: World, email: str) -> Actor:
    async with db.sessionmaker() as session:
        return actor_for(await session.get_one(models.User, world.id(email)))


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
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(models.Student.local_id, models.AssessmentResult.scale_score)
            .join(models.AssessmentResult, models.AssessmentResult.student_id == models.Student.id)
            .join(models.Assessment, models.Assessment.id == models.AssessmentResult.assessment_id)
            .where(
                models.Assessment.key == assessment_key,
                models.AssessmentResult.school_year == "2025-26",
                models.AssessmentResult.term == "Spring",
            )
        )
        return {local_id: score for local_id, score in rows}


# -------------------------------------------------------------------------
# Rosters (OneRoster 1.1)
# -------------------------------------------------------------------------


async def test_roster_import_creates_schools_teachers_students_sections_enrollments(
    db: TestDatabase, world: World, import_plugins: PluginSet
) -> None:
    admin = await actor(db, world, ADMIN)
    run = await run_import(db.sessionmaker, admin, "oneroster", ROSTER, plugins=import_plugins)

    assert run.status == "completed", run.message
    assert run.importer == "oneroster" and run.layout == "oneroster-1.1"
    assert run.file_name == "test_unified" and len(run.checksum) == 64
    assert run.user_id == admin.user_id and run.district_id == world.district_id
    assert run.finished_at is not None and run.finished_at >= run.started_at
    # 3 schools, 3 teachers, 7 students (s104 is tobedeleted), 3 sections (E-OLD-9 is
    # tobedeleted), 8 student enrollments (one of them tobedeleted); admins and guardians skipped.
    assert counts(run) == (24, 13, 4, 7, 0)
    assert await row_errors(db, run.id) == []

    async with db.sessionmaker() as session:
        east = await session.scalar(select(models.School).where(models.School.code == "E"))
        assert east is not None and east.name == "Eastside High School, Home of the Eagles"
        dana = await session.scalar(
            select(models.User).where(models.User.email == "dana.okafor@test.mypd")
        )
        assert dana is not None and (dana.role, dana.name) == ("teacher", "Dana Okafor")
        profile = await session.get_one(models.TeacherProfile, dana.id)
        assert profile.school_id == east.id
        students = {
            s.local_id: s
            for s in await session.scalars(
                select(models.Student).where(models.Student.district_id == world.district_id)
            )
        }
        assert {"s100", "s101", "s102", "s103"} <= students.keys() and "s104" not in students
        assert (students["s100"].first_name, students["s100"].last_name) == ("José", "Doñate")
        assert students["s102"].school_id == east.id and students["s102"].grade_level == "9"
        assert students["s1"].state_id == "1100000001"
        sections = {s.local_id: s for s in await session.scalars(select(models.Section))}
        # primary=true marks the teacher of record, whatever the order of the rows
        assert sections["N-READ-1"].teacher_id == world.id(TEACHER_A)
        assert sections["N-READ-1"].school_year == "2025-26"
        assert sections["E-BIO-3"].teacher_id == dana.id
        assert "E-OLD-9" not in sections
        enrolled = set(
            await session.execute(
                select(models.Section.local_id, models.Student.local_id)
                .join(models.Enrollment, models.Enrollment.section_id == models.Section.id)
                .join(models.Student, models.Student.id == models.Enrollment.student_id)
            )
        )
        assert ("A-MATH", "s100") in enrolled and ("E-BIO-3", "s103") in enrolled
        assert ("A-MATH", "s3") not in enrolled  # tobedeleted: the enrollment is removed
        guardian = await session.scalar(
            select(models.User).where(models.User.email == "rosa@example.com")
        )
        assert guardian is None


async def test_roster_reimport_changes_nothing_and_says_so(
    db: TestDatabase, world: World, import_plugins: PluginSet
) -> None:
    admin = await actor(db, world, ADMIN)
    await run_import(db.sessionmaker, admin, "oneroster", ROSTER, plugins=import_plugins)
    before = await snapshot(db)
    again = await run_import(db.sessionmaker, admin, "oneroster", ROSTER, plugins=import_plugins)
    assert again.status == "completed"
    assert counts(again) == (24, 0, 0, 24, 0)
    assert await snapshot(db) == before


async def test_roster_zip_is_the_same_export(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    archive = tmp_path / "oneroster.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in ROSTER.iterdir():
            zipped.write(path, f"export-2025-08-01/{path.name}")  # members inside a folder
    importer = await actor(db, world, IMPORTER)
    first = await run_import(
        db.sessionmaker, importer, "oneroster", archive, plugins=import_plugins
    )
    assert (first.status, counts(first)) == ("completed", (24, 13, 4, 7, 0))
    folder = await run_import(
        db.sessionmaker, importer, "oneroster", ROSTER, plugins=import_plugins
    )
    assert counts(folder) == (24, 0, 0, 24, 0)


async def test_corrected_roster_updates_what_changed(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    admin = await actor(db, world, ADMIN)
    await run_import(db.sessionmaker, admin, "oneroster", ROSTER, plugins=import_plugins)
    corrected = tmp_path / "corrected"
    shutil.copytree(ROSTER, corrected)
    users = (corrected / "users.csv").read_text(encoding="utf-8")
    (corrected / "users.csv").write_text(users.replace("Linh,Nguyen", "Linh,Nguyễn"), "utf-8")
    enrollments = (corrected / "enrollments.csv").read_text(encoding="utf-8")
    enrollments = enrollments.replace("t-ben,teacher,false", "t-ben,teacher,true").replace(
        "t-ana,teacher,true,2025-08-13,2026-06-05\r\ne-8",
        "t-ana,teacher,false,2025-08-13,2026-06-05\r\ne-8",
    )
    (corrected / "enrollments.csv").write_text(enrollments, "utf-8")

    run = await run_import(db.sessionmaker, admin, "oneroster", corrected, plugins=import_plugins)
    assert (run.status, counts(run)) == ("completed", (24, 0, 2, 22, 0))
    async with db.sessionmaker() as session:
        linh = await session.scalar(select(models.Student).where(models.Student.local_id == "s101"))
        assert linh is not None and linh.last_name == "Nguyễn"
        reading = await session.scalar(
            select(models.Section).where(models.Section.local_id == "N-READ-1")
        )
        assert reading is not None and reading.teacher_id == world.id("ben.teacher@test.mypd")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda folder: (folder / "manifest.csv").unlink(), "manifest.csv is missing"),
        (
            lambda folder: (folder / "users.csv").write_text(
                "sourcedId,status,orgSourcedIds,givenName,familyName,favoriteColor\n"
            ),
            "users.csv: missing columns: role; unknown columns: favoriteColor",
        ),
        (
            lambda folder: (folder / "manifest.csv").write_text(
                "propertyName,value\noneroster.version,1.2\n"
            ),
            "OneRoster version 1.2 is not supported",
        ),
        (
            lambda folder: (folder / "classes.csv").unlink(),
            "the manifest lists classes.csv but the export has no such file",
        ),
        (lambda folder: (folder / "orgs.csv").write_bytes(b""), "orgs.csv: the file is empty"),
    ],
)
async def test_a_bad_roster_is_rejected_and_nothing_is_written(
    db: TestDatabase,
    world: World,
    import_plugins: PluginSet,
    tmp_path: Path,
    damage: Any,
    message: str,
) -> None:
    folder = tmp_path / "export"
    shutil.copytree(ROSTER, folder)
    damage(folder)
    before = await snapshot(db)
    admin = await actor(db, world, ADMIN)
    run = await run_import(db.sessionmaker, admin, "oneroster", folder, plugins=import_plugins)
    assert run.status == "rejected"
    assert message in run.message
    assert counts(run)[1:4] == (0, 0, 0)
    assert await snapshot(db) == before


async def test_a_file_that_is_not_a_zip_is_rejected(
    db: TestDatabase, world: World, import_plugins: PluginSet
) -> None:
    admin = await actor(db, world, ADMIN)
    run = await run_import(
        db.sessionmaker, admin, "oneroster", b"just,some\ncsv,text\n", plugins=import_plugins
    )
    assert run.status == "rejected" and "neither a folder nor a zip" in run.message


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
