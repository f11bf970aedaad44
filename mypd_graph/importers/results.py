"""Assessment results: the high-volume kind, with the assessments they bring along and, for files
without a roster, the students they create and the teachers they are attributed to."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select

from mypd_graph.importers.bulk import (
    BatchResult,
    Db,
    Lookup,
    StagedKind,
    StagedWriter,
    chunks,
    dialect_insert,
    school_ids,
)
from mypd_graph.importers.reader import ResultExtras
from mypd_graph.models import Assessment, Enrollment, Section, Student, TeacherProfile, User


def results_kind(db: Db) -> StagedKind:
    return StagedKind(
        kind="assessment_results",
        table="assessment_result",
        columns=(
            ("student_local_id", "text"),
            ("assessment_key", "text"),
            ("school_year", "text"),
            ("term", "text"),
            ("administered_on", "date"),
            ("scale_score", "float"),
            ("achievement_level", "int"),
            ("percentile", "int"),
        ),
        key_size=4,
        key_label="student, assessment, school year and term",
        lookups=(
            Lookup(
                "LEFT JOIN student st ON st.district_id = :district_id "
                "AND st.local_id = s.student_local_id",
                "st.id IS NULL",
                "student_local_id",
                "unknown student: not in the district's roster (import the roster first)",
            ),
            Lookup(
                "JOIN assessment a ON a.district_id = :district_id AND a.key = s.assessment_key"
            ),
        ),
        values=(
            ("assessment_id", "a.id"),
            ("student_id", "st.id"),
            ("school_year", "s.school_year"),
            ("term", "s.term"),
            ("administered_on", db.date("s.administered_on")),
            ("scale_score", "s.scale_score"),
            ("achievement_level", "s.achievement_level"),
            ("percentile", "s.percentile"),
            ("import_id", ":run_id"),
        ),
        conflict=("student_id", "assessment_id", "school_year", "term"),
        updates=("administered_on", "scale_score", "achievement_level", "percentile"),
        touch=("import_id",),
    )


_HONORIFIC = re.compile(r"^(mr|mrs|ms|miss|dr|mx)\.?\s+", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """``"Smith, Jane"``, ``"Ms. Jane Smith"`` and ``"jane  smith"`` all become ``"jane smith"``."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}"
    return _HONORIFIC.sub("", name).casefold()


class ResultsWriter:
    """Assessment results: set-based upsert, after their assessments (upserted by district and key)
    and, with ``create_students``, the students they name; with ``attribute_teachers``, each result's
    student is enrolled in an attributed section of each teacher the file names."""

    def __init__(self, db: Db, create_students: bool, attribute_teachers: bool) -> None:
        self.db = db
        self.staged = StagedWriter(db, results_kind(db))
        self.create_students = create_students
        self.attribute_teachers = attribute_teachers
        self.known_assessments: set[str] = set()
        self.students_created = 0
        self.unmatched_teachers: set[str] = set()
        self._teachers: dict[str, tuple[int, int | None]] | None = None

    async def write(
        self, rows: list[tuple[Any, ...]], file: str = "", extras: ResultExtras | None = None
    ) -> BatchResult:
        extras = extras or ResultExtras()
        await self._assessments(extras.assessments)
        if self.create_students and extras.students:
            await self._create_students(extras.students)
        result = await self.staged.write(rows, file)
        if self.attribute_teachers and extras.attributions:
            await self._attribute(extras.attributions)
        return result

    async def _assessments(self, specs: dict[str, tuple[str, str, str, int, int]]) -> None:
        todo = [key for key in specs if key not in self.known_assessments]
        if not todo:
            return
        columns = ("name", "subject", "vendor", "level_count", "proficient_level")
        statement = dialect_insert(self.db, Assessment)
        statement = statement.on_conflict_do_update(
            index_elements=["district_id", "key"],
            set_={column: statement.excluded[column] for column in columns},
            where=or_(
                *(
                    getattr(Assessment, column).is_distinct_from(statement.excluded[column])
                    for column in columns
                )
            ),
        )
        district_id = self.db.params["district_id"]
        await self.db.execute(
            statement,
            [
                {
                    "district_id": district_id,
                    "key": key,
                    **dict(zip(columns, specs[key], strict=True)),
                }
                for key in todo
            ],
        )
        self.known_assessments.update(todo)

    async def _create_students(self, students: dict[str, tuple[str, str, str, str | None]]) -> None:
        schools = await school_ids(self.db, (info[3] for info in students.values() if info[3]))
        values = [
            {
                "district_id": self.db.params["district_id"],
                "school_id": schools.get(code) if code else None,
                "local_id": local_id,
                "state_id": None,
                "first_name": first,
                "last_name": last,
                "grade_level": grade,
                "created_at": self.db.params["now"],
            }
            for local_id, (first, last, grade, code) in students.items()
        ]
        statement = dialect_insert(self.db, Student).on_conflict_do_nothing(
            index_elements=["district_id", "local_id"]
        )
        created = await self.db.execute(statement.returning(Student.id), values)
        self.students_created += len(list(created))

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

    async def _attribute(self, attributions: set[tuple[str, str, str, str, str | None]]) -> None:
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
                self.unmatched_teachers.add(teacher_name)
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

    async def close(self) -> None:
        await self.staged.close()

    def notes(self) -> list[str]:
        notes = []
        if self.students_created:
            notes.append(f"{self.students_created} students created from the file")
        if self.unmatched_teachers:
            names = sorted(self.unmatched_teachers)
            shown = ", ".join(names[:10]) + (
                f" and {len(names) - 10} more" if len(names) > 10 else ""
            )
            notes.append(f"results not attributed to these teachers (no such teacher): {shown}")
        return notes
