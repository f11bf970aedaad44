"""Where each kind of record lands, and how: one writer per kind for the length of one import.

Schools, students, sections, enrollments and assessment results are set-based upserts
(:mod:`mypd_graph.importers.bulk`), described here as SQL over the staged row ``s``. Teachers and
training records touch more than one table each (a user and a teacher profile; a record and its
aligned elements), and their files are small, so they are written row by row from Python, in
batches. Results have a module of their own (:mod:`mypd_graph.importers.results`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from mypd_graph.importers.bulk import (
    BatchResult,
    Counts,
    Db,
    Lookup,
    StagedKind,
    StagedWriter,
    chunks,
    dialect_insert,
    school_ids,
)
from mypd_graph.importers.kinds import KIND_ORDER
from mypd_graph.importers.results import ResultsWriter
from mypd_graph.models import (
    District,
    Role,
    Standard,
    TeacherProfile,
    TrainingRecord,
    TrainingRecordElement,
    User,
)
from mypd_graph.plugins.types import RowError
from mypd_graph.services.students.status import refresh_teacher_status

if TYPE_CHECKING:
    from mypd_graph.importers.pipeline import ImportJob
    from mypd_graph.importers.reader import Chunk

# Kinds that change whose students are whose: the teacher summary is recomputed after them.
ROSTER_KINDS = frozenset({"sections", "enrollments"})

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


@dataclass
class InMemoryKeys:
    """Natural keys already written by this import (teachers, training: small files)."""

    label: str
    seen: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def fresh(self, rows: list[tuple[Any, ...]], size: int, file: str, result: BatchResult):
        kept = []
        for row in rows:
            key = row[1 : 1 + size]
            first = self.seen.setdefault(key, row[0])
            if first != row[0]:
                shown = " / ".join(str(part) for part in key)
                reason = f"duplicate of row {first}: the same {self.label} appears twice"
                result.errors.append(RowError(row[0], reason, None, shown, file))
            else:
                kept.append(row)
        return kept


class TeacherWriter:
    """Teachers are users matched by email: new ones become teachers of the district with a profile;
    known ones get their name and school updated (their role is left alone)."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.district_id = db.params["district_id"]
        self.keys = InMemoryKeys("email")

    async def write(self, rows: list[tuple[Any, ...]], file: str = "") -> BatchResult:
        db, result = self.db, BatchResult()
        rows = self.keys.fresh(rows, 1, file, result)
        schools = await school_ids(db, (row[3] for row in rows if row[3]))
        users = {}
        for part in chunks([row[1] for row in rows]):
            found = await db.execute(
                select(
                    User.id, User.email, User.district_id, User.name, User.school_id, User.role
                ).where(User.email.in_(part))
            )
            users.update({user.email: user for user in found})
        new_users: list[dict[str, Any]] = []
        known: list[tuple[int, int | None, bool, bool]] = []  # id, school, changed, is teacher
        for src, email, name, code in rows:
            school_id = schools.get(code) if code else None
            if code and school_id is None:
                result.errors.append(
                    RowError(src, "unknown school code", "school_code", code, file)
                )
                continue
            user = users.get(email)
            if user is None:
                if not name:
                    reason = "a teacher new to the district needs a name"
                    result.errors.append(RowError(src, reason, "name", "", file))
                    continue
                new_users.append(
                    {
                        "district_id": self.district_id,
                        "school_id": school_id,
                        "email": email,
                        "name": name,
                        "role": Role.TEACHER.value,
                        "active": True,
                        "created_at": db.params["now"],
                    }
                )
                continue
            if user.district_id != self.district_id:
                reason = "this email belongs to a user of another district"
                result.errors.append(RowError(src, reason, "email", email, file))
                continue
            change: dict[str, Any] = {}
            if name and name != user.name:
                change["name"] = name
            if school_id is not None and school_id != user.school_id:
                change["school_id"] = school_id
            if change:
                await db.execute(update(User).where(User.id == user.id).values(**change))
            known.append((user.id, school_id, bool(change), user.role == Role.TEACHER.value))
        if new_users:
            statement = dialect_insert(db, User).on_conflict_do_nothing(index_elements=["email"])
            created = list(
                await db.execute(statement.returning(User.id, User.school_id), new_users)
            )
            await self._ensure_profiles([(row.id, row.school_id) for row in created])
            result.counts.inserted += len(created)
            result.counts.unchanged += len(new_users) - len(created)  # another import was faster
        profile_changed = await self._ensure_profiles(
            [(user_id, school_id) for user_id, school_id, _, teacher in known if teacher]
        )
        for user_id, _, changed, _ in known:
            if changed or user_id in profile_changed:
                result.counts.updated += 1
            else:
                result.counts.unchanged += 1
        return result

    async def _ensure_profiles(self, teachers: list[tuple[int, int | None]]) -> set[int]:
        """Each teacher gets a profile at their school; returns the ids whose profile changed."""
        db, changed = self.db, set()
        profiles: dict[int, int | None] = {}
        for part in chunks([user_id for user_id, _ in teachers]):
            found = await db.execute(
                select(TeacherProfile.user_id, TeacherProfile.school_id).where(
                    TeacherProfile.user_id.in_(part)
                )
            )
            profiles.update({row.user_id: row.school_id for row in found})
        missing = []
        for user_id, school_id in teachers:
            if user_id not in profiles:
                missing.append(
                    {
                        "user_id": user_id,
                        "school_id": school_id,
                        "subjects": [],
                        "grade_levels": [],
                        "bio": "",
                    }
                )
                changed.add(user_id)
            elif school_id is not None and profiles[user_id] != school_id:
                await db.execute(
                    update(TeacherProfile)
                    .where(TeacherProfile.user_id == user_id)
                    .values(school_id=school_id)
                )
                changed.add(user_id)
        if missing:
            statement = dialect_insert(db, TeacherProfile).on_conflict_do_nothing(
                index_elements=["user_id"]
            )
            await db.execute(statement, missing)
        return changed

    async def close(self) -> None:
        return None


class TrainingWriter:
    """Past PD by (teacher, title, completion date); hours, provider and aligned elements update."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.district_id = db.params["district_id"]
        self.keys = InMemoryKeys("teacher, title and date")
        self._elements: dict[str, int] | None = None

    async def elements(self) -> dict[str, int]:
        """Element codes of the district's active framework (read once per import)."""
        if self._elements is None:
            rows = await self.db.execute(
                select(Standard.code, Standard.id)
                .join(District, District.active_framework_id == Standard.framework_id)
                .where(District.id == self.district_id, Standard.is_element.is_(True))
            )
            self._elements = {code: element_id for code, element_id in rows}
        return self._elements

    async def _teachers(self, refs: set[str]) -> dict[str, int]:
        """``email`` or ``#id`` → user id, for users of the district only."""
        found: dict[str, int] = {}
        emails = sorted(ref for ref in refs if not ref.startswith("#"))
        ids = sorted(int(ref[1:]) for ref in refs if ref.startswith("#"))
        in_district = User.district_id == self.district_id
        for part in chunks(emails):
            rows = await self.db.execute(
                select(User.email, User.id).where(in_district, User.email.in_(part))
            )
            found.update({email: user_id for email, user_id in rows})
        for part in chunks(ids):
            rows = await self.db.execute(select(User.id).where(in_district, User.id.in_(part)))
            found.update({f"#{user_id}": user_id for (user_id,) in rows})
        return found

    async def write(self, rows: list[tuple[Any, ...]], file: str = "") -> BatchResult:
        db, result = self.db, BatchResult()
        rows = self.keys.fresh(rows, 3, file, result)
        teachers = await self._teachers({row[1] for row in rows})
        elements = await self.elements()
        valid = []
        for src, ref, title, completed_on, hours, provider, codes in rows:
            teacher_id = teachers.get(ref)
            if teacher_id is None:
                column = "teacher_id" if ref.startswith("#") else "teacher_email"
                reason = "unknown teacher: no user of the district has this " + (
                    "id" if ref.startswith("#") else "email"
                )
                result.errors.append(RowError(src, reason, column, ref.lstrip("#"), file))
                continue
            unknown = [code for code in codes if code not in elements]
            if unknown:
                reason = "unknown element code(s) of the district's active framework"
                result.errors.append(
                    RowError(src, reason, "element_codes", "; ".join(unknown), file)
                )
                continue
            element_ids = frozenset(elements[code] for code in codes)
            valid.append((teacher_id, title, completed_on, hours, provider, element_ids))
        existing = await self._existing({row[0] for row in valid})
        links = await self._links([record.id for record in existing.values()])
        new = []
        for teacher_id, title, completed_on, hours, provider, element_ids in valid:
            record = existing.get((teacher_id, title, completed_on))
            if record is None:
                new.append((teacher_id, title, completed_on, hours, provider, element_ids))
                continue
            changed = False
            if record.hours != hours or record.provider != provider:
                await db.execute(
                    update(TrainingRecord)
                    .where(TrainingRecord.id == record.id)
                    .values(hours=hours, provider=provider)
                )
                changed = True
            if links.get(record.id, frozenset()) != element_ids:
                await self._replace_links(record.id, links.get(record.id, frozenset()), element_ids)
                changed = True
            if changed:
                result.counts.updated += 1
            else:
                result.counts.unchanged += 1
        await self._insert(new, result)
        return result

    async def _existing(self, teacher_ids: set[int]) -> dict[tuple[Any, ...], Any]:
        found = {}
        for part in chunks(sorted(teacher_ids)):
            rows = await self.db.execute(
                select(
                    TrainingRecord.id,
                    TrainingRecord.teacher_id,
                    TrainingRecord.title,
                    TrainingRecord.completed_on,
                    TrainingRecord.hours,
                    TrainingRecord.provider,
                ).where(TrainingRecord.teacher_id.in_(part))
            )
            found.update({(row.teacher_id, row.title, row.completed_on): row for row in rows})
        return found

    async def _links(self, record_ids: list[int]) -> dict[int, frozenset[int]]:
        grouped: dict[int, set[int]] = {}
        for part in chunks(record_ids):
            rows = await self.db.execute(
                select(
                    TrainingRecordElement.training_record_id, TrainingRecordElement.element_id
                ).where(TrainingRecordElement.training_record_id.in_(part))
            )
            for record_id, element_id in rows:
                grouped.setdefault(record_id, set()).add(element_id)
        return {record_id: frozenset(ids) for record_id, ids in grouped.items()}

    async def _replace_links(
        self, record_id: int, old: frozenset[int], new: frozenset[int]
    ) -> None:
        if old - new:
            await self.db.execute(
                delete(TrainingRecordElement).where(
                    TrainingRecordElement.training_record_id == record_id,
                    TrainingRecordElement.element_id.in_(sorted(old - new)),
                )
            )
        if new - old:
            await self.db.execute(
                dialect_insert(self.db, TrainingRecordElement).on_conflict_do_nothing(),
                [{"training_record_id": record_id, "element_id": e} for e in sorted(new - old)],
            )

    async def _insert(self, new: list[tuple[Any, ...]], result: BatchResult) -> None:
        if not new:
            return
        now = self.db.params["now"]
        values = [
            {
                "teacher_id": teacher_id,
                "title": title,
                "completed_on": completed_on,
                "hours": hours,
                "provider": provider,
                "created_at": now,
            }
            for teacher_id, title, completed_on, hours, provider, _ in new
        ]
        statement = dialect_insert(self.db, TrainingRecord).on_conflict_do_nothing(
            index_elements=["teacher_id", "title", "completed_on"]
        )
        created = await self.db.execute(
            statement.returning(
                TrainingRecord.id,
                TrainingRecord.teacher_id,
                TrainingRecord.title,
                TrainingRecord.completed_on,
            ),
            values,
        )
        ids = {(row.teacher_id, row.title, row.completed_on): row.id for row in created}
        links = [
            {"training_record_id": ids[(teacher_id, title, completed_on)], "element_id": element}
            for teacher_id, title, completed_on, _, _, elements in new
            if (teacher_id, title, completed_on) in ids
            for element in sorted(elements)
        ]
        if links:
            await self.db.execute(dialect_insert(self.db, TrainingRecordElement), links)
        result.counts.inserted += len(ids)
        result.counts.unchanged += len(new) - len(ids)  # written by a concurrent import meanwhile

    async def close(self) -> None:
        return None


class Writers:
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
            await refresh_teacher_status(self.db.connection, self.db.params["district_id"])

    async def close(self) -> None:
        for writer in self.by_kind.values():
            await writer.close()

    def notes(self) -> list[str]:
        results = self.by_kind.get("assessment_results")
        notes = results.notes() if results is not None else []
        if self.enrollments_removed:
            notes.append(
                f"{self.enrollments_removed} enrollments removed: their sections' complete lists "
                "(a bulk roster) no longer include them"
            )
        return notes
