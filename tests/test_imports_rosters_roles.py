"""A roster import never changes a non-teacher's school or role (issue 10, section 6): a OneRoster
export listing the principal as a teacher at another school, teacher of record of a class there.
The row is a row error naming the conflict; his school, role and name stay; the class he would
teach is rejected like any section whose teacher of record does not resolve, and its enrollments
follow. On both databases."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.plugins.manager import PluginSet
from tests.factories import PRINCIPAL_NORTH, World
from tests.import_helpers import ROSTER, import_roster, row_errors
from tests.import_plugin import import_plugins

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin

NORTH, EAST = "9f1c2a60-0000-4000-8000-000000000010", "9f1c2a60-0000-4000-8000-000000000030"
PAT = f"a-pat,,2025-08-01T07:00:00.000Z,true,{NORTH},administrator,"


def principal_teaching_at_east(tmp_path: Path, drop: str = "") -> Path:
    """The fixture roster with Pat North (the district's principal at North) listed as a teacher
    at Eastside and the primary teacher of its Biology class, Dana second; ``drop`` removes an
    enrollment row by its sourcedId."""
    folder = tmp_path / "roster"
    shutil.copytree(ROSTER, folder)
    users = (folder / "users.csv").read_text(encoding="utf-8")
    assert PAT in users
    users = users.replace(PAT, f"a-pat,,2025-08-01T07:00:00.000Z,true,{EAST},teacher,")
    (folder / "users.csv").write_text(users, encoding="utf-8")
    enrollments = (folder / "enrollments.csv").read_text(encoding="utf-8").splitlines()
    enrollments = [
        line.replace("t-dana,teacher,true", "t-dana,teacher,false")
        for line in enrollments
        if not (drop and line.startswith(f"{drop},"))
    ]
    enrollments.append(
        f"e-15,,2025-08-01T07:00:00.000Z,E-BIO-3,{EAST},a-pat,teacher,true,2025-08-13,2026-06-05"
    )
    (folder / "enrollments.csv").write_text("\r\n".join(enrollments) + "\r\n", encoding="utf-8")
    return folder


async def principal(db: TestDatabase, world: World) -> tuple[models.User, bool]:
    async with db.sessionmaker() as session:
        user = await session.get_one(models.User, world.id(PRINCIPAL_NORTH))
        profile = await session.get(models.TeacherProfile, user.id)
        return user, profile is not None


async def biology(db: TestDatabase) -> tuple[int | None, set[str]]:
    """E-BIO-3's teacher of record and the students enrolled in it (None: no such section)."""
    async with db.sessionmaker() as session:
        section = await session.scalar(
            select(models.Section).where(models.Section.local_id == "E-BIO-3")
        )
        if section is None:
            return None, set()
        students = set(
            await session.scalars(
                select(models.Student.local_id)
                .join(models.Enrollment, models.Enrollment.student_id == models.Student.id)
                .where(models.Enrollment.section_id == section.id)
            )
        )
        return section.teacher_id, students


async def test_a_principal_listed_as_a_teacher_elsewhere_stays_where_and_what_he_is(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    folder = principal_teaching_at_east(tmp_path)
    run = await import_roster(db, world, import_plugins, folder, {"max_error_share": 0.5})
    assert run.status == "completed", run.message

    user, has_profile = await principal(db, world)
    assert (user.role, user.school_id, user.name) == (
        "principal",
        world.school_ids["N"],
        "Pat North",
    )
    assert not has_profile, "no teacher profile either"
    errors = {(error.file, error.row): error for error in await row_errors(db, run.id)}
    conflict = errors[("users.csv", 5)]
    assert (conflict.column, conflict.value) == ("email", PRINCIPAL_NORTH)
    assert conflict.reason.startswith(
        "principal.north@test.mypd is a principal at school N in mypd, and users.csv lists them "
        "as a teacher at school E: a roster import never changes a principal's school or role"
    )
    # The class he would teach is rejected, as one whose teacher of record is unknown would be,
    # and so are its students' enrollments in it (the section does not exist).
    section = errors[("classes.csv", 4)]
    assert (section.column, section.value) == ("teacher_email", PRINCIPAL_NORTH)
    assert "not a teacher in mypd" in section.reason
    assert await biology(db) == (None, set())
    assert {row for file, row in errors if file == "enrollments.csv"} == {12, 13}
    assert all("unknown section" in errors[("enrollments.csv", row)].reason for row in (12, 13))


async def test_an_existing_class_keeps_its_teacher_and_its_students(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    """Eastside's Biology exists (the first import); the second export names the principal as
    its teacher and no longer lists Marco (s103). The rejected class row changes nothing of it:
    neither its teacher of record nor, though the enrollments file is bulk, its students."""
    first = await import_roster(db, world, import_plugins)
    assert first.status == "completed", first.message
    dana, students = await biology(db)
    assert dana is not None and students == {"s102", "s103"}

    folder = principal_teaching_at_east(tmp_path, drop="e-12")
    run = await import_roster(db, world, import_plugins, folder, {"max_error_share": 0.5})
    assert run.status == "completed", run.message
    assert await biology(db) == (dana, {"s102", "s103"})
    user, has_profile = await principal(db, world)
    assert (user.role, user.school_id, has_profile) == ("principal", world.school_ids["N"], False)
    rejected = {(error.file, error.row) for error in await row_errors(db, run.id)}
    assert rejected == {("users.csv", 5), ("classes.csv", 4)}
    assert "enrollments removed" not in run.message
