"""Roster imports (OneRoster 1.1) through the pipeline, on both databases: schools, teachers,
students, sections and enrollments in; a re-import that changes nothing; a zip of the same export;
corrections; damaged exports rejected with nothing written.

The roster fixture (tests/fixtures/rosters/test_unified) is a OneRoster 1.1 export of the world's
district (tests/factories.py) that adds a school, a teacher, students and sections.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from tests.factories import ADMIN, IMPORTER, TEACHER_A, World
from tests.import_helpers import ROSTER, actor, counts, row_errors, snapshot
from tests.import_plugin import import_plugins

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin


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
    # tobedeleted), 8 student enrollments (one of them tobedeleted), Pat North (an administrator
    # at North, already its principal: unchanged); guardians skipped.
    assert counts(run) == (25, 13, 4, 8, 0)
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
    assert counts(again) == (25, 0, 0, 25, 0)
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
    assert (first.status, counts(first)) == ("completed", (25, 13, 4, 8, 0))
    folder = await run_import(
        db.sessionmaker, importer, "oneroster", ROSTER, plugins=import_plugins
    )
    assert counts(folder) == (25, 0, 0, 25, 0)


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
    assert (run.status, counts(run)) == ("completed", (25, 0, 2, 23, 0))
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
