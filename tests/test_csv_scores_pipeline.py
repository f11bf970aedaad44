"""csv-scores through the core pipeline (``run_import``), on SQLite and PostgreSQL: every preset's
realistic fixture lands, re-imports change nothing, bad files are rejected with nothing written."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.models import Role
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import Actor
from mypd_graph.services.students.status import stale_result_status
from tests.conftest import TestDatabase
from tests.import_helpers import by_student
from tests.test_csv_scores import FIXTURES, MAPPING

SMALL_FILE_SHARE = 0.5  # the fixtures are a handful of rows, each with a deliberate bad one


async def lakeview(db: TestDatabase) -> Actor:
    """A district with one school, its admin and two teachers (no students: no roster yet)."""
    async with db.sessionmaker.begin() as session:
        district = models.District(key="lakeview", name="Lakeview Unified")
        session.add(district)
        await session.flush()
        school = models.School(district_id=district.id, code="LINC", name="Lincoln Elementary")
        admin = models.User(
            district_id=district.id,
            email="admin@lakeview.test",
            name="Ada Admin",
            role=Role.DISTRICT_ADMIN.value,
        )
        session.add_all([school, admin])
        await session.flush()
        for email, name in (
            ("ann.lee@lakeview.test", "Ann Lee"),
            ("c.ruiz@lakeview.test", "Carlos Ruiz"),
        ):
            teacher = models.User(
                district_id=district.id,
                school_id=school.id,
                email=email,
                name=name,
                role=Role.TEACHER.value,
            )
            session.add(teacher)
            await session.flush()
            session.add(models.TeacherProfile(user_id=teacher.id, school_id=school.id))
        return Actor(admin.id, district.id, None, Role.DISTRICT_ADMIN, admin.email)


async def roster(db: TestDatabase, actor: Actor, *local_ids: str) -> None:
    async with db.sessionmaker.begin() as session:
        session.add_all(
            models.Student(
                district_id=actor.district_id,
                local_id=local_id,
                first_name=f"First{local_id}",
                last_name=f"Last{local_id}",
            )
            for local_id in local_ids
        )


async def load(
    db: TestDatabase, actor: Actor, plugins: PluginSet, file: str | Path, **options: Any
) -> models.ImportRun:
    path = file if isinstance(file, Path) else FIXTURES / file
    return await run_import(db.sessionmaker, actor, "csv-scores", path, options, plugins=plugins)


async def count(db: TestDatabase, model: type) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def row_errors(db: TestDatabase, run: models.ImportRun) -> list[tuple[Any, ...]]:
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(
                models.ImportRowError.row,
                models.ImportRowError.column,
                models.ImportRowError.value,
                models.ImportRowError.reason,
            )
            .where(models.ImportRowError.import_id == run.id)
            .order_by(models.ImportRowError.row)
        )
        return [tuple(row) for row in rows]


async def score_of(db: TestDatabase, local_id: str, key: str, year: str, term: str) -> Any:
    async with db.sessionmaker() as session:
        return (
            await session.execute(
                select(
                    models.AssessmentResult.scale_score,
                    models.AssessmentResult.achievement_level,
                    models.AssessmentResult.percentile,
                )
                .join(models.Student, models.Student.id == models.AssessmentResult.student_id)
                .join(
                    models.Assessment, models.Assessment.id == models.AssessmentResult.assessment_id
                )
                .where(
                    models.Student.local_id == local_id,
                    models.Assessment.key == key,
                    models.AssessmentResult.school_year == year,
                    models.AssessmentResult.term == term,
                )
            )
        ).one_or_none()


PRESET_FIXTURES = [
    # file, options, results inserted, rows rejected, rows skipped,
    # one result: (student, key, year, term, score)
    ("nwea_map_assessment_results.csv", {"format": "nwea-map"}, 6, 0, 0,
     ("100234", "nwea-map-math", "2025-26", "Fall", 215.0)),
    ("nwea_map_assessment_results_pre2015.csv", {"format": "nwea-map"}, 5, 0, 1,
     ("200102", "nwea-map-math", "2013-14", "Spring", 196.0)),
    ("nwea_map_cdf.zip", {"format": "nwea-map"}, 3, 0, 0,
     ("100235", "nwea-map-math", "2024-25", "Spring", 201.0)),
    ("nwea_map_excel_unicode_text.txt", {}, 2, 0, 0,
     ("100234", "nwea-map-reading", "2025-26", "Fall", 208.0)),
    ("caaspp_cers_export.csv", {"format": "caaspp-cers"}, 6, 0, 1,
     ("4012345678", "caaspp-sb-ela", "2024-25", "Spring", 2478.0)),
    ("caaspp_toms_extract.zip", {"format": "caaspp-toms"}, 4, 0, 2,
     ("4012345682", "caaspp-cast", "2024-25", "Spring", 195.0)),
    ("iready_diagnostic_results_math.csv", {"format": "iready-diagnostic"}, 3, 1, 0,
     ("100236", "iready-diagnostic-math", "2025-26", "Winter", 498.0)),
    ("iready_diagnostic_results_ela.csv", {}, 2, 0, 0,
     ("100238", "iready-diagnostic-reading", "2025-26", "Fall", 471.0)),
    ("generic_district_benchmark.tsv", {"format": "generic", "mapping": MAPPING, "vendor": "Lakeview"}, 3, 0, 0,
     ("100235", "lakeview-math", "2025-26", "Fall", 1422.0)),
]  # fmt: skip


# AssessmentResults.csv alone names no students: their results need the roster loaded first
ROSTERS = {"nwea_map_assessment_results_pre2015.csv": ("200101", "200102", "200103")}


@pytest.mark.parametrize(
    ("name", "options", "inserted", "rejected", "skipped", "sample"),
    PRESET_FIXTURES,
    ids=[case[0] for case in PRESET_FIXTURES],
)
async def test_every_preset_imports_its_realistic_fixture(
    db: TestDatabase,
    plugins: PluginSet,
    name: str,
    options: dict[str, Any],
    inserted: int,
    rejected: int,
    skipped: int,
    sample: tuple[str, str, str, str, float],
) -> None:
    actor = await lakeview(db)
    await roster(db, actor, *ROSTERS.get(name, ()))
    run = await load(
        db, actor, plugins, name, create_students=True, max_error_share=SMALL_FILE_SHARE, **options
    )
    assert run.status == "completed", run.message
    assert (run.rows_inserted, run.rows_rejected, run.rows_skipped) == (
        inserted,
        rejected,
        skipped,
    ), run.message
    assert await count(db, models.AssessmentResult) == inserted
    assert len(await row_errors(db, run)) == rejected
    student, key, year, term, score = sample
    stored = await score_of(db, student, key, year, term)
    assert stored is not None and stored[0] == score


async def test_reimport_changes_nothing_and_a_corrected_file_updates(
    db: TestDatabase, plugins: PluginSet, tmp_path: Path
) -> None:
    actor = await lakeview(db)
    first = await load(db, actor, plugins, "nwea_map_assessment_results.csv", create_students=True)
    assert (first.rows_inserted, first.rows_updated) == (6, 0)
    again = await load(db, actor, plugins, "nwea_map_assessment_results.csv", create_students=True)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 6)
    assert await count(db, models.AssessmentResult) == 6

    corrected = tmp_path / "nwea_map_assessment_results.csv"
    data = (FIXTURES / "nwea_map_assessment_results.csv").read_bytes()
    corrected.write_bytes(data.replace(b",215.0,3.1,62,", b",216,3.1,63,", 1))
    fixed = await load(db, actor, plugins, corrected, create_students=True)
    assert (fixed.rows_inserted, fixed.rows_updated, fixed.rows_unchanged) == (0, 1, 5)
    assert await score_of(db, "100234", "nwea-map-math", "2025-26", "Fall") == (216.0, None, 63)


async def test_cers_and_toms_of_one_year_do_not_count_a_summative_score_twice(
    db: TestDatabase, plugins: PluginSet
) -> None:
    """Nor does TOMS, which carries no test date, blank the dates CERS gave (issue 10.7)."""
    actor = await lakeview(db)
    options = {"create_students": True, "max_error_share": SMALL_FILE_SHARE}
    cers = await load(db, actor, plugins, "caaspp_cers_export.csv", **options)
    assert cers.status == "completed", cers.message
    before = await count(db, models.AssessmentResult)
    dated = await by_student(db, "caaspp-sb-ela", models.AssessmentResult.administered_on)
    assert dated == {"4012345678": date(2025, 4, 22), "4012345679": date(2025, 4, 23)}
    toms = await load(db, actor, plugins, "caaspp_toms_extract.zip", **options)
    assert toms.status == "completed", toms.message
    assert toms.rows_inserted == 0, "TOMS's four summative scores are the ones CERS loaded"
    assert await count(db, models.AssessmentResult) == before
    assert (toms.rows_updated, toms.rows_unchanged) == (0, 4), "and no date to add"
    assert await by_student(db, "caaspp-sb-ela", models.AssessmentResult.administered_on) == dated
    math = await by_student(db, "caaspp-sb-math", models.AssessmentResult.administered_on)
    assert math["4012345678"] == date(2025, 4, 29)


BAD_FILES = [
    ("bad_missing_columns.csv", {"format": "nwea-map"}, "missing 'StudentID', 'TestRITScore'"),
    ("bad_empty.csv", {"format": "nwea-map"}, "empty"),
    ("bad_header_only.csv", {"format": "nwea-map"}, "no data rows"),
    ("bad_utf16_no_bom.csv", {}, "UTF-16"),
    ("bad_excel_workbook.xlsx", {}, "Excel workbook"),
    (
        "bad_toms_comma_delimited.csv",
        {"format": "caaspp-toms", "delimiter": "^"},
        "comma-delimited",
    ),
    ("nwea_map_assessment_results.csv", {"format": "caaspp-cers"}, "missing 'StudentIdentifier'"),
]


@pytest.mark.parametrize(("name", "options", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
async def test_bad_files_are_rejected_with_a_clear_message_and_nothing_written(
    db: TestDatabase, plugins: PluginSet, name: str, options: dict[str, Any], message: str
) -> None:
    actor = await lakeview(db)
    run = await load(db, actor, plugins, name, create_students=True, **options)
    assert run.status == "rejected"
    assert message in run.message
    assert await count(db, models.AssessmentResult) == 0
    assert await count(db, models.Assessment) == 0
    assert await count(db, models.Student) == 0


async def test_too_many_bad_rows_reject_the_file_fewer_are_reported_row_by_row(
    db: TestDatabase, plugins: PluginSet
) -> None:
    actor = await lakeview(db)
    await roster(db, actor, *(f"1002{n}" for n in range(34, 42)))
    rejected = await load(db, actor, plugins, "bad_non_numeric_scores.csv")
    assert rejected.status == "rejected", "7 bad rows of 9 is over the default 10%"
    assert await count(db, models.AssessmentResult) == 0

    run = await load(db, actor, plugins, "bad_non_numeric_scores.csv", max_error_share=1)
    assert run.status == "completed"
    assert (run.rows_read, run.rows_inserted, run.rows_rejected) == (9, 2, 7)
    errors = await row_errors(db, run)
    assert errors[0] == (3, "TestRITScore", "N/A", "the score is not a number")
    assert [error[1] for error in errors] == [
        "TestRITScore",
        "TestRITScore",
        "StudentID",
        "TermName",
        "TestStartDate",
        "TestPercentile",
        "Course",
    ]


async def test_duplicate_rows_in_one_file_are_loaded_once(
    db: TestDatabase, plugins: PluginSet
) -> None:
    actor = await lakeview(db)
    await roster(db, actor, "100234", "100235")
    run = await load(db, actor, plugins, "bad_duplicate_rows.csv", max_error_share=SMALL_FILE_SHARE)
    assert (run.rows_inserted, run.rows_rejected) == (2, 1)
    [(row, _, _, reason)] = await row_errors(db, run)
    assert row == 4 and "duplicate of row 2" in reason


async def test_results_for_students_outside_the_roster_are_rejected_when_it_is_required(
    db: TestDatabase, plugins: PluginSet
) -> None:
    actor = await lakeview(db)
    await roster(db, actor, "100234")
    run = await load(db, actor, plugins, "nwea_map_assessment_results.csv", max_error_share=0.6)
    assert run.status == "completed", run.message
    assert (run.rows_inserted, run.rows_rejected) == (3, 3), "José's three results only"
    errors = await row_errors(db, run)
    assert [row for row, *_ in errors] == [4, 5, 6]
    assert all("unknown student" in reason for *_, reason in errors)
    assert await count(db, models.Student) == 1, "no student is created without create_students"


async def test_iready_class_teachers_attribute_students_when_there_is_no_roster(
    db: TestDatabase, plugins: PluginSet
) -> None:
    actor = await lakeview(db)
    run = await load(
        db,
        actor,
        plugins,
        "iready_diagnostic_results_math.csv",
        create_students=True,
        max_error_share=SMALL_FILE_SHARE,
    )
    assert run.status == "completed", run.message
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(models.User.name, models.Student.local_id)
            .join(models.Section, models.Section.teacher_id == models.User.id)
            .join(models.Enrollment, models.Enrollment.section_id == models.Section.id)
            .join(models.Student, models.Student.id == models.Enrollment.student_id)
        )
        taught: dict[str, set[str]] = {}
        for teacher, student in rows:
            taught.setdefault(teacher, set()).add(student)
        # the attributed classes count in the teachers' figures that needs read
        assert await stale_result_status(session, actor.district_id) == []
        summarized = await session.execute(
            select(models.User.name, models.TeacherSubjectStatus.students).join(
                models.TeacherSubjectStatus,
                models.TeacherSubjectStatus.teacher_id == models.User.id,
            )
        )
        assert dict(summarized.all()) == {"Ann Lee": 2, "Carlos Ruiz": 2}
    assert taught == {
        "Ann Lee": {"100234", "100235"},  # "Lee, Ann" and "Lee, Ann; Ruiz, Carlos"
        "Carlos Ruiz": {"100235", "100236"},  # "Ruiz, Carlos" and "Carlos Ruiz, Dana Kim"
    }
    assert "Dana Kim" in run.message, "a teacher the district does not have is named"


async def test_a_zip_upload_goes_through_the_cores_source(
    db: TestDatabase, plugins: PluginSet
) -> None:
    actor = await lakeview(db)
    data = (FIXTURES / "nwea_map_cdf.zip").read_bytes()
    run = await run_import(
        db.sessionmaker, actor, "csv-scores", data, {"create_students": True}, plugins=plugins
    )
    assert run.status == "completed", run.message
    assert run.rows_inserted == 3
    async with db.sessionmaker() as session:
        names = set(
            await session.execute(select(models.Student.first_name, models.Student.last_name))
        )
    assert ("José", "Muñoz") in names, "StudentsBySchool.csv (Windows-1252) joined in the zip"
