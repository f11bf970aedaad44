"""Attributing results to teachers: score files without a roster name each student's teachers.

With ``attribute_teachers``, each result's student is enrolled in a section of each teacher the row
names, made for the purpose (``attributed:<teacher>:<year>:<subject>``) at the teacher's school.
Names are matched loosely (:func:`normalize_name`) against the district's active teachers; names
that match nobody are reported in the Import record's message instead of failing rows.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from mypd_graph.importers.bulk import Db, chunks, dialect_insert, school_ids
from mypd_graph.models import Enrollment, Section, Student, TeacherProfile, User

_HONORIFIC = re.compile(r"^(mr|mrs|ms|miss|dr|mx)\.?\s+", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """``"Smith, Jane"``, ``"Ms. Jane Smith"`` and ``"jane  smith"`` all become ``"jane smith"``."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}"
    return _HONORIFIC.sub("", name).casefold()


class Attribution:
    """The attributed sections and enrollments of one import's results."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.unmatched: set[str] = set()  # teacher names that match no teacher of the district
        self._teachers: dict[str, tuple[int, int | None]] | None = None

    async def _teacher_names(self) -> dict[str, tuple[int, int | None]]:
        if self._teachers is None:
            rows = await self.db.execute(
                select(User.id, User.name, TeacherProfile.school_id, User.school_id)
                .join(TeacherProfile, TeacherProfile.user_id == User.id)
                .where(User.district_id == self.db.params["district_id"], User.active.is_(True))
            )
            self._teachers = {
                normalize_name(name): (user_id, profile_school or user_school)
                for user_id, name, profile_school, user_school in rows
            }
        return self._teachers

    async def attribute(self, attributions: set[tuple[str, str, str, str, str | None]]) -> None:
        db = self.db
        teachers = await self._teacher_names()
        schools = await school_ids(db, (a[4] for a in attributions if a[4]))
        sections: dict[tuple[int, str], dict[str, Any]] = {}
        wanted: list[tuple[tuple[int, str], str]] = []
        for local_id, teacher_name, school_year, subject, school_code in attributions:
            teacher = teachers.get(normalize_name(teacher_name))
            school_id = teacher[1] if teacher else None
            school_id = school_id or (schools.get(school_code) if school_code else None)
            if teacher is None or school_id is None:
                self.unmatched.add(teacher_name)
                continue
            section_id = f"attributed:{teacher[0]}:{school_year}:{subject}"[:64]
            sections[(school_id, section_id)] = {
                "school_id": school_id,
                "teacher_id": teacher[0],
                "local_id": section_id,
                "name": f"{subject or 'Assessed'} {school_year} (attributed by score file)"[:200],
                "subject": subject[:64],
                "grade_level": "",
                "school_year": school_year,
                "created_at": db.params["now"],
            }
            wanted.append(((school_id, section_id), local_id))
        if not wanted:
            return
        await db.execute(
            dialect_insert(db, Section).on_conflict_do_nothing(
                index_elements=["school_id", "local_id"]
            ),
            list(sections.values()),
        )
        section_ids = {}
        for part in chunks(sorted({local for _, local in sections})):
            rows = await db.execute(
                select(Section.school_id, Section.local_id, Section.id).where(
                    Section.local_id.in_(part)
                )
            )
            section_ids.update({(school, local): sid for school, local, sid in rows})
        student_ids = {}
        for part in chunks(sorted({local_id for _, local_id in wanted})):
            rows = await db.execute(
                select(Student.local_id, Student.id).where(
                    Student.district_id == db.params["district_id"], Student.local_id.in_(part)
                )
            )
            student_ids.update({local_id: student_id for local_id, student_id in rows})
        enrollments = [
            {"section_id": section_id, "student_id": student_id}
            for section_id, student_id in sorted(
                {
                    (section_ids[key], student_ids[local_id])
                    for key, local_id in wanted
                    if key in section_ids and local_id in student_ids
                }
            )
        ]
        if enrollments:
            await db.execute(
                dialect_insert(db, Enrollment).on_conflict_do_nothing(
                    index_elements=["section_id", "student_id"]
                ),
                enrollments,
            )

    def note(self) -> str | None:
        """The Import record's note on the teachers no result could be attributed to."""
        if not self.unmatched:
            return None
        names = sorted(self.unmatched)
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        return f"results not attributed to these teachers (no such teacher): {shown}"
