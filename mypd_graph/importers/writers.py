"""Where each kind of record lands, and how: one writer per kind for the length of one import.

Schools, students, sections, enrollments and assessment results are set-based upserts
(:mod:`mypd_graph.importers.bulk`), described here as SQL over the staged row ``s``. Teachers and
training records touch more than one table each (a user and a teacher profile; a record and its
aligned elements), and their files are small, so they are written row by row from Python, in
batches (:mod:`mypd_graph.importers.teachers`, :mod:`mypd_graph.importers.training_records`).
Results have a module of their own (:mod:`mypd_graph.importers.results`). :class:`Writers` hands
each batch's rows to the writer of their kind, in the order references need.
"""

from __future__ import annotations

from typing import Any

from mypd_graph.importers import statistics
from mypd_graph.importers.bulk import BatchResult, Counts, Db, Lookup, StagedKind, StagedWriter
from mypd_graph.importers.job import Chunk, ImportJob
from mypd_graph.importers.kinds import KIND_ORDER
from mypd_graph.importers.results import ResultsWriter
from mypd_graph.importers.staff import StaffWriter
from mypd_graph.importers.teachers import TeacherWriter
from mypd_graph.importers.training_records import TrainingWriter
from mypd_graph.models import Role
from mypd_graph.services.students.status import refresh_teacher_status

# Kinds that change whose students are whose: the teacher summary is recomputed after them.
ROSTER_KINDS = frozenset({"sections", "enrollments"})
# What that refresh reads, for the planner's statistics (importers/statistics.py).
ROSTER_READS = ("section", "enrollment", "student_subject_status")

SCHOOL = Lookup(
    "LEFT JOIN school sc ON sc.district_id = :district_id AND sc.code = s.school_code",
    "sc.id IS NULL",
    "school_code",
    "unknown school code",
)

STAGED: dict[str, StagedKind] = {
    "schools": StagedKind(
        kind="schools",
        table="school",
        columns=(("code", "text"), ("name", "text")),
        key_size=1,
        key_label="school code",
        values=(
            ("district_id", ":district_id"),
            ("code", "s.code"),
            ("name", "s.name"),
            ("grade_band", "''"),
            ("created_at", ":now"),
        ),
        conflict=("district_id", "code"),
        updates=("name",),
    ),
    "students": StagedKind(
        kind="students",
        table="student",
        columns=(
            ("local_id", "text"),
            ("first_name", "text"),
            ("last_name", "text"),
            ("grade_level", "text"),
            ("state_id", "text"),
            ("school_code", "text"),
        ),
        key_size=1,
        key_label="student id",
        lookups=(
            Lookup(
                SCHOOL.join,
                "s.school_code IS NOT NULL AND sc.id IS NULL",
                "school_code",
                SCHOOL.reason,
            ),
        ),
        values=(
            ("district_id", ":district_id"),
            ("school_id", "sc.id"),
            ("local_id", "s.local_id"),
            ("state_id", "s.state_id"),
            ("first_name", "s.first_name"),
            ("last_name", "s.last_name"),
            ("grade_level", "s.grade_level"),
            ("created_at", ":now"),
        ),
        conflict=("district_id", "local_id"),
        updates=("school_id", "state_id", "first_name", "last_name", "grade_level"),
        keep_stored=("school_id", "state_id"),
        keep_stored_text=("grade_level",),
    ),
    "sections": StagedKind(
        kind="sections",
        table="section",
        columns=(
            ("school_code", "text"),
            ("local_id", "text"),
            ("name", "text"),
            ("school_year", "text"),
            ("teacher_email", "text"),
            ("subject", "text"),
            ("grade_level", "text"),
        ),
        key_size=2,
        key_label="school and section id",
        lookups=(
            SCHOOL,
            Lookup(
                "LEFT JOIN app_user u ON u.district_id = :district_id AND u.email = s.teacher_email",
                "u.id IS NULL",
                "teacher_email",
                "unknown teacher of record: no user of the district has this email",
            ),
            Lookup(
                "",
                f"u.role <> '{Role.TEACHER.value}'",
                "teacher_email",
                "the teacher of record is not a teacher in mypd (a principal, coach or "
                "administrator): a roster import does not make them one, nor a section's teacher",
            ),
        ),
        values=(
            ("school_id", "sc.id"),
            ("teacher_id", "u.id"),
            ("local_id", "s.local_id"),
            ("name", "s.name"),
            ("subject", "s.subject"),
            ("grade_level", "s.grade_level"),
            ("school_year", "s.school_year"),
            ("created_at", ":now"),
        ),
        conflict=("school_id", "local_id"),
        updates=("teacher_id", "name", "subject", "grade_level", "school_year"),
        keep_stored_text=("subject", "grade_level"),
    ),
    "enrollments": StagedKind(
        kind="enrollments",
        table="enrollment",
        columns=(
            ("school_code", "text"),
            ("section_local_id", "text"),
            ("student_local_id", "text"),
            ("deleted", "int"),
        ),
        key_size=3,
        key_label="section and student",
        lookups=(
            SCHOOL,
            Lookup(
                "LEFT JOIN section sec ON sec.school_id = sc.id "
                "AND sec.local_id = s.section_local_id",
                "sec.id IS NULL",
                "section_local_id",
                "unknown section",
            ),
            Lookup(
                "LEFT JOIN student st ON st.district_id = :district_id "
                "AND st.local_id = s.student_local_id",
                "st.id IS NULL",
                "student_local_id",
                "unknown student",
            ),
        ),
        values=(("section_id", "sec.id"), ("student_id", "st.id")),
        conflict=("section_id", "student_id"),
        delete_flag="deleted",
    ),
}


class Writers:
    """The writers of one import, one per record kind, made when their kind first appears."""

    def __init__(self, db: Db, job: ImportJob) -> None:
        self.db = db
        self.job = job
        self.by_kind: dict[str, Any] = {}
        self.complete_sections: set[tuple[str, str]] = set()
        self.enrollments_removed = 0

    def _writer(self, kind: str) -> Any:
        writer = self.by_kind.get(kind)
        if writer is None:
            if kind == "teachers":
                writer = TeacherWriter(self.db)
            elif kind == "staff":
                writer = StaffWriter(self.db)
            elif kind == "training_records":
                writer = TrainingWriter(self.db)
            elif kind == "assessment_results":
                writer = ResultsWriter(
                    self.db, self.job.create_students, self.job.attribute_teachers
                )
            else:
                writer = StagedWriter(self.db, STAGED[kind])
            self.by_kind[kind] = writer
        return writer

    async def start(self) -> None:
        """Before the first batch: result imports take their district's lock (PostgreSQL)."""
        if "assessment_results" in self.job.definition.record_kinds:
            await self._writer("assessment_results").lock()

    async def write(self, chunk: Chunk) -> BatchResult:
        total = BatchResult()
        self.complete_sections |= chunk.extras.complete_sections
        for kind in KIND_ORDER:
            part = chunk.parts.get(kind)
            if part is None or not part.rows:
                continue
            writer = self._writer(kind)
            if kind == "assessment_results":
                result = await writer.write(part.rows, part.file, chunk.extras)
            else:
                result = await writer.write(part.rows, part.file)
                results = self.by_kind.get("assessment_results")
                if kind == "students" and results is not None:
                    await results.students_written([row[1] for row in part.rows])
                if kind == "sections" and result.unresolved:
                    # A rejected section row leaves its enrollments alone, as one the reader
                    # rejected does: they are not replaced by the import's list.
                    self.complete_sections -= {
                        (row[1], row[2]) for row in part.rows if row[0] in result.unresolved
                    }
            total.counts.add(result.counts)
            total.errors.extend(result.errors)
        return total

    async def finish(self) -> Counts:
        """After the last batch: enrollments of complete sections the import did not list go
        (counted as updated, like enrollments a file marks deleted)."""
        if not self.complete_sections:
            return Counts()
        db = self.db
        await db.create_temp(
            "import_complete_sections", [("school_code", "text"), ("local_id", "text")]
        )
        await db.load(
            "import_complete_sections", ["school_code", "local_id"], sorted(self.complete_sections)
        )
        listed = "1 = 0"
        if "enrollments" in self.by_kind and self.by_kind["enrollments"].batches:
            listed = (
                "EXISTS (SELECT 1 FROM import_seen_enrollments seen WHERE "
                "seen.school_code = sc.code AND seen.section_local_id = sec.local_id "
                "AND seen.student_local_id = st.local_id)"
            )
        removed = await db.execute(
            "DELETE FROM enrollment WHERE id IN (SELECT e.id FROM enrollment e "
            "JOIN section sec ON sec.id = e.section_id "
            "JOIN school sc ON sc.id = sec.school_id AND sc.district_id = :district_id "
            "JOIN student st ON st.id = e.student_id "
            "JOIN import_complete_sections c ON c.school_code = sc.code "
            f"AND c.local_id = sec.local_id WHERE NOT {listed})"
        )
        await db.drop_temp("import_complete_sections")
        self.enrollments_removed = removed.rowcount or 0
        return Counts(updated=self.enrollments_removed)

    async def refresh_rosters(self) -> None:
        """After sections or enrollments were written (or enrollments removed), recompute the
        district's teacher summary (``services.students.status``) in the import's transaction: whose
        students are whose changed, in any year the file touched."""
        if self.enrollments_removed or not self.by_kind.keys().isdisjoint(ROSTER_KINDS):
            await statistics.analyze_stale(self.db, ROSTER_READS)
            await refresh_teacher_status(self.db.connection, self.db.params["district_id"])

    async def close(self) -> None:
        for writer in self.by_kind.values():
            await writer.close()

    def notes(self) -> list[str]:
        results = self.by_kind.get("assessment_results")
        notes = results.notes() if results is not None else []
        staff = self.by_kind.get("staff")
        notes += staff.notes() if staff is not None else []
        if self.enrollments_removed:
            notes.append(
                f"{self.enrollments_removed} enrollments removed: their sections' complete lists "
                "(a bulk roster) no longer include them"
            )
        return notes
