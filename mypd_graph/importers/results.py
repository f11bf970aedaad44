"""Assessment results: the high-volume kind, with the assessments they bring along and, for files
without a roster, the students they create and the teachers they are attributed to.

A score file has a million rows, so results skip the staging joins the other kinds use: the
district's roster is read once (local id to student id, in memory: the size of the roster, not of
the file), and each batch is resolved, checked for duplicates and written straight into
``assessment_result``:

- an *administration* (assessment, school year, term) that has no results yet when the import
  first meets it is *fresh*: its rows are plain inserts (``COPY`` on PostgreSQL, one
  ``executemany`` on SQLite), counted as inserted, with nothing to compare;
- the rows of other administrations are upserts by natural key, written only when something
  differs (PostgreSQL: ``COPY`` into a staging table, then ``INSERT ... SELECT ... ON CONFLICT``;
  SQLite: one ``executemany`` of the upsert), so a re-import changes nothing and counts so.

Duplicates inside the file are found in memory without keeping the file's keys: per
administration, an array holds the first row number of each roster student (4 bytes a student).
Fresh is decided once per administration and stays true because nobody else writes the district's
results meanwhile: SQLite has one writer, and on PostgreSQL result imports of one district take an
advisory lock for their transaction (a second import of the same file waits, then finds every row
unchanged). The summaries needs read are refreshed at the end under a lock of their own, which
roster imports take too (``services/students/status.py``).
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from mypd_graph.importers.bulk import (
    BatchResult,
    Counts,
    Db,
    chunks,
    dialect_insert,
    school_ids,
)
from mypd_graph.importers.reader import ResultExtras
from mypd_graph.models import Assessment, Enrollment, Section, Student, TeacherProfile, User
from mypd_graph.plugins.types import RowError
from mypd_graph.services.students.status import (
    lock_summaries,
    refresh_result_status,
    refresh_teacher_status,
)

FEW_STUDENTS = 2000  # above this, the summary of the years written is recomputed whole
RESULTS_LOCK = 0x4D595044  # the advisory lock class of result imports (with the district id)
UNKNOWN_STUDENT = "unknown student: not in the district's roster (import the roster first)"
SHARED_STATE_ID = "several students of the district have this state id: fix the roster first"
AMBIGUOUS = -1  # a state id that more than one student has
KEY_LABEL = "student, assessment, school year and term"
COLUMNS = (
    "assessment_id",
    "student_id",
    "school_year",
    "term",
    "administered_on",
    "scale_score",
    "achievement_level",
    "percentile",
    "import_id",
)
COMPARED = ("administered_on", "scale_score", "achievement_level", "percentile")
STAGE = "import_stage_results"


def upsert_sql(postgres: bool, source: str) -> str:
    """``INSERT ... ON CONFLICT (natural key) DO UPDATE ... WHERE something differs``."""
    distinct = "IS DISTINCT FROM" if postgres else "IS NOT"
    assignments = ", ".join(f"{c} = excluded.{c}" for c in (*COMPARED, "import_id"))
    differs = " OR ".join(f"assessment_result.{c} {distinct} excluded.{c}" for c in COMPARED)
    return (
        f"INSERT INTO assessment_result ({', '.join(COLUMNS)}) {source} "
        "ON CONFLICT (student_id, assessment_id, school_year, term) "
        f"DO UPDATE SET {assignments} WHERE {differs}"
    )


@dataclass
class Administration:
    """One assessment in one school year and term, as this import meets it."""

    assessment_id: int
    fresh: bool  # no results before this import: rows are plain inserts
    first_rows: array  # type: ignore[type-arg]  # per roster position: the row that had it, or 0
    proficient: int = 0  # the assessment's proficient level
    status: StatusCounts | None = None  # a fresh administration's rows, counted as they go in


@dataclass
class StatusCounts:
    """Per roster position, one subject and school year: results this import inserted, and how
    many below the proficient level. Added to the per-student summary at the end, instead of
    recomputing it from every result of those years (the recompute costs seconds a million)."""

    scored: array  # type: ignore[type-arg]
    below: array  # type: ignore[type-arg]


_HONORIFIC = re.compile(r"^(mr|mrs|ms|miss|dr|mx)\.?\s+", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """``"Smith, Jane"``, ``"Ms. Jane Smith"`` and ``"jane  smith"`` all become ``"jane smith"``."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}"
    return _HONORIFIC.sub("", name).casefold()


class ResultsWriter:
    """Assessment results, after their assessments (upserted by district and key) and, with
    ``create_students``, the students they name; with ``attribute_teachers``, each result's
    student is enrolled in an attributed section of each teacher the file names."""

    def __init__(self, db: Db, create_students: bool, attribute_teachers: bool) -> None:
        self.db = db
        self.create_students = create_students
        self.attribute_teachers = attribute_teachers
        self.assessment_ids: dict[str, int] = {}
        self.positions: dict[str, int] | None = None  # local id -> position in student_ids
        self.state_positions: dict[str, int] = {}  # state id -> position (or AMBIGUOUS)
        self.student_ids: list[int] = []
        self.administrations: dict[tuple[str, str, str], Administration] = {}
        self.dates: dict[str, date] = {}
        self.staged = False
        self.students_created = 0
        self.unmatched_teachers: set[str] = set()
        self._teachers: dict[str, tuple[int, int | None]] | None = None
        # What the per-student summary needs (refresh_status): subject and proficient level per
        # assessment key, counts per (subject, year) of fresh administrations, and whether it
        # must be recomputed instead (rows updated, or an assessment's subject or level changed).
        self.assessment_info: dict[str, tuple[str, int]] = {}
        self.status_counts: dict[tuple[str, str], StatusCounts] = {}
        self.recompute_years = False
        self.recompute_all = False

    async def lock(self) -> None:
        """PostgreSQL: wait for any other result import of the district to finish (see above)."""
        if self.db.postgres:
            await self.db.execute(
                "SELECT pg_advisory_xact_lock(:lock, :district_id)", {"lock": RESULTS_LOCK}
            )

    async def _read_roster(self, local_ids: list[str] | None = None) -> None:
        """The district's students (all of them, or those ``local_ids`` names)."""
        if self.positions is None:
            self.positions = {}
        query = select(Student.local_id, Student.id, Student.state_id).where(
            Student.district_id == self.db.params["district_id"]
        )
        if local_ids is None:
            self._add_students(await self.db.execute(query))
            return
        for part in chunks(sorted(local_ids)):
            self._add_students(await self.db.execute(query.where(Student.local_id.in_(part))))

    async def students_written(self, local_ids: list[str]) -> None:
        """The same import wrote students (a file with student records): know the new ones."""
        if self.positions is not None:
            await self._read_roster([key for key in local_ids if key not in self.positions])

    def _add_students(self, rows: Any) -> None:
        """``(local id, id, state id)`` rows of students to know."""
        positions, ids, states = self.positions, self.student_ids, self.state_positions
        assert positions is not None
        for local_id, student_id, state_id in rows:
            if local_id in positions:
                continue
            position = positions[local_id] = len(ids)
            ids.append(student_id)
            if state_id:
                states[state_id] = AMBIGUOUS if state_id in states else position
        for administration in self.administrations.values():
            grow = len(ids) - len(administration.first_rows)
            if grow > 0:
                administration.first_rows.extend(bytes(4 * grow))
        for counts in self.status_counts.values():
            grow = len(ids) - len(counts.scored)
            if grow > 0:
                counts.scored.extend(bytes(4 * grow))
                counts.below.extend(bytes(4 * grow))

    async def write(
        self, rows: list[tuple[Any, ...]], file: str = "", extras: ResultExtras | None = None
    ) -> BatchResult:
        """Resolve, check and write one batch of prepared rows (``kinds.prepare_result``)."""
        extras = extras or ResultExtras()
        if self.positions is None:
            await self._read_roster()
        await self._assessments(extras.assessments)
        if self.create_students and extras.students:
            await self._create_students(extras.students)
        result = BatchResult()
        errors = result.errors
        fresh: list[tuple[Any, ...]] = []
        upserts: list[tuple[Any, ...]] = []
        positions, ids = self.positions, self.student_ids
        assert positions is not None
        position_of, administrations = positions.get, self.administrations
        state_of = self.state_positions.get
        run_id = self.db.params["run_id"]
        # Once per row of the file: local names and plain operations only.
        for src, local_id, key, year, term, on, score, level, percentile, state_id in rows:
            position = position_of(local_id) if local_id else None
            if position is None and state_id is not None:
                position = state_of(state_id)
                if position == AMBIGUOUS:
                    errors.append(
                        RowError(src, SHARED_STATE_ID, "student_state_id", state_id, file)
                    )
                    continue
            if position is None:
                column, value = (
                    ("student_local_id", local_id)
                    if local_id or state_id is None
                    else ("student_state_id", state_id)
                )
                errors.append(RowError(src, UNKNOWN_STUDENT, column, value, file))
                continue
            administration = administrations.get((key, year, term))
            if administration is None:
                administration = await self._administration(key, year, term)
            first_rows = administration.first_rows
            first = first_rows[position]
            if first:
                shown = f"{local_id or state_id} / {key} / {year} / {term}"
                reason = f"duplicate of row {first}: the same {KEY_LABEL} appears twice"
                errors.append(RowError(src, reason, None, shown, file))
                continue
            first_rows[position] = src
            status = administration.status
            if status is not None and level is not None:
                status.scored[position] += 1
                if level < administration.proficient:
                    status.below[position] += 1
            row = (
                administration.assessment_id,
                ids[position],
                year,
                term,
                on,
                score,
                level,
                percentile,
                run_id,
            )
            (fresh if administration.fresh else upserts).append(row)
        if fresh:
            await self._insert(fresh)
            result.counts.inserted += len(fresh)
        if upserts:
            self.recompute_years = True
            result.counts.add(await self._upsert(upserts))
        if self.attribute_teachers and extras.attributions:
            await self._attribute(extras.attributions)
        return result

    async def _administration(self, key: str, year: str, term: str) -> Administration:
        """Meet an administration: fresh when no result of it is stored yet."""
        assessment_id = self.assessment_ids[key]
        stored = await self.db.scalar(
            "SELECT 1 FROM assessment_result WHERE assessment_id = :assessment "
            "AND school_year = :year AND term = :term LIMIT 1",
            {"assessment": assessment_id, "year": year, "term": term},
        )
        administration = Administration(
            assessment_id, stored is None, array("I", bytes(4 * len(self.student_ids)))
        )
        info = self.assessment_info.get(key)
        if info is None:
            self.recompute_years = True  # not described by this import: count nothing
        elif administration.fresh:
            subject, administration.proficient = info
            counts = self.status_counts.get((subject, year))
            if counts is None:
                size = 4 * len(self.student_ids)
                counts = StatusCounts(array("I", bytes(size)), array("I", bytes(size)))
                self.status_counts[(subject, year)] = counts
            administration.status = counts
        self.administrations[(key, year, term)] = administration
        return administration

    def _typed(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """PostgreSQL's binary COPY wants dates, not the ISO text rows are staged with."""
        dates = self.dates
        typed = []
        for row in rows:
            on = row[4]
            if on is not None:
                day = dates.get(on)
                if day is None:
                    day = dates[on] = date.fromisoformat(on)
                row = (*row[:4], day, *row[5:])
            typed.append(row)
        return typed

    async def _driver(self) -> Any:
        """The driver's own connection (same transaction): asyncpg for ``COPY``; aiosqlite for an
        ``executemany`` without SQLAlchemy's per-statement work."""
        raw = await self.db.connection.get_raw_connection()
        assert raw.driver_connection is not None
        return raw.driver_connection

    async def _copy(self, table: str, rows: list[tuple[Any, ...]], columns: Any) -> None:
        driver = await self._driver()
        await driver.copy_records_to_table(table, records=rows, columns=list(columns))

    async def _executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        cursor = await (await self._driver()).executemany(sql, rows)
        await cursor.close()

    async def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        if self.db.postgres:
            await self._copy("assessment_result", self._typed(rows), COLUMNS)
        else:
            marks = ", ".join("?" for _ in COLUMNS)
            await self._executemany(
                f"INSERT INTO assessment_result ({', '.join(COLUMNS)}) VALUES ({marks})", rows
            )

    async def _upsert(self, rows: list[tuple[Any, ...]]) -> Counts:
        db = self.db
        if db.postgres:
            if not self.staged:
                await db.execute(
                    f"CREATE TEMPORARY TABLE {STAGE} (assessment_id BIGINT, student_id BIGINT, "
                    "school_year TEXT, term TEXT, administered_on DATE, "
                    "scale_score DOUBLE PRECISION, achievement_level INTEGER, percentile INTEGER, "
                    "import_id BIGINT)"
                )
                self.staged = True
            else:
                await db.execute(f"TRUNCATE {STAGE}")
            await self._copy(STAGE, self._typed(rows), COLUMNS)
            written_sql = upsert_sql(True, f"SELECT {', '.join(COLUMNS)} FROM {STAGE}")
            inserted, written = (
                await db.execute(
                    f"WITH written AS ({written_sql} RETURNING (xmax = 0) AS inserted) "
                    "SELECT count(*) FILTER (WHERE inserted), count(*) FROM written"
                )
            ).one()
            return Counts(inserted, written - inserted, len(rows) - written)
        # One writer at a time on SQLite, and a new row's id is always the largest id plus one: the
        # growth of max(id) counts the inserted rows, total_changes() the inserted and updated.
        before_id = await db.scalar("SELECT max(id) FROM assessment_result") or 0
        before_changes = await db.scalar("SELECT total_changes()")
        marks = ", ".join("?" for _ in COLUMNS)
        await self._executemany(upsert_sql(False, f"VALUES ({marks})"), rows)
        written = await db.scalar("SELECT total_changes()") - before_changes
        inserted = (await db.scalar("SELECT max(id) FROM assessment_result") or 0) - before_id
        return Counts(inserted, written - inserted, len(rows) - written)

    async def _assessments(self, specs: dict[str, tuple[str, str, str, int, int]]) -> None:
        todo = [key for key in specs if key not in self.assessment_ids]
        if not todo:
            return
        columns = ("name", "subject", "vendor", "level_count", "proficient_level")
        before = await self.db.execute(
            select(Assessment.key, Assessment.subject, Assessment.proficient_level).where(
                Assessment.district_id == self.db.params["district_id"], Assessment.key.in_(todo)
            )
        )
        for key, subject, proficient in before:
            if (subject, proficient) != (specs[key][1], specs[key][4]):
                self.recompute_all = True  # every stored result of it is judged anew
        for key in todo:
            self.assessment_info[key] = (specs[key][1], specs[key][4])
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
        found = await self.db.execute(
            select(Assessment.key, Assessment.id).where(
                Assessment.district_id == district_id, Assessment.key.in_(todo)
            )
        )
        self.assessment_ids.update(dict(found.all()))

    async def _create_students(
        self, students: dict[str, tuple[str, str, str, str | None, str | None]]
    ) -> None:
        """Students the roster lacks (neither their local id nor their state id is known)."""
        assert self.positions is not None
        students = {
            key: info
            for key, info in students.items()
            if key not in self.positions and not (info[4] and info[4] in self.state_positions)
        }
        if not students:
            return
        schools = await school_ids(self.db, (info[3] for info in students.values() if info[3]))
        values = [
            {
                "district_id": self.db.params["district_id"],
                "school_id": schools.get(code) if code else None,
                "local_id": local_id,
                "state_id": state_id,
                "first_name": first,
                "last_name": last,
                "grade_level": grade,
                "created_at": self.db.params["now"],
            }
            for local_id, (first, last, grade, code, state_id) in students.items()
        ]
        statement = dialect_insert(self.db, Student).on_conflict_do_nothing(
            index_elements=["district_id", "local_id"]
        )
        created = list(
            await self.db.execute(
                statement.returning(Student.local_id, Student.id, Student.state_id), values
            )
        )
        self.students_created += len(created)
        self._add_students(created)
        if len(created) < len(students):  # a roster import created some meanwhile
            await self._read_roster(sorted(set(students) - {row[0] for row in created}))

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
        if self.staged:
            await self.db.execute(f"DROP TABLE IF EXISTS {STAGE}")

    async def refresh_status(self) -> None:
        """Bring the summaries that needs read (``services.students.status``) in step with the results this
        import wrote, in its transaction. A first load of its administrations adds the counts
        taken as rows went in to the student summary, then recomputes the teacher summary of the
        years written; anything else recomputes both for the years written (only for the
        students written, and their teachers, when they are few), or every year when an
        assessment changed."""
        district_id = self.db.params["district_id"]
        years = {year for _, year, _ in self.administrations}
        await lock_summaries(self.db.connection, district_id)  # a roster import may refresh too
        if self.recompute_all:  # even when no row was written: the assessment itself changed
            await refresh_result_status(self.db.connection, district_id)
        elif not years:
            return
        elif self.recompute_years:
            await refresh_result_status(
                self.db.connection,
                district_id,
                school_years=years,
                students=self._written_students(),
            )
        else:
            await self._add_status_counts()
            await refresh_teacher_status(self.db.connection, district_id, school_years=years)

    def _written_students(self) -> list[int] | None:
        ids = self.student_ids
        students: set[int] = set()
        for administration in self.administrations.values():
            students.update(ids[p] for p, first in enumerate(administration.first_rows) if first)
            if len(students) > FEW_STUDENTS:
                return None
        return sorted(students)

    async def _add_status_counts(self) -> None:
        db, ids = self.db, self.student_ids
        rows = [
            (ids[position], subject, year, scored, counts.below[position])
            for (subject, year), counts in self.status_counts.items()
            for position, scored in enumerate(counts.scored)
            if scored
        ]
        if not rows:
            return
        table = "import_status_counts"
        columns = ("student_id", "subject", "school_year", "scored", "below")
        await db.create_temp(
            table,
            [("student_id", "int"), ("subject", "text"), ("school_year", "text"),
             ("scored", "int"), ("below", "int")],
        )  # fmt: skip
        await db.load(table, columns, rows)
        await db.execute(
            "INSERT INTO student_subject_status "
            "(student_id, subject, school_year, district_id, scored, below) "
            f"SELECT student_id, subject, school_year, :district_id, scored, below FROM {table} "
            "WHERE true "  # SQLite needs a WHERE to read ON CONFLICT as an upsert clause
            "ON CONFLICT (student_id, subject, school_year) DO UPDATE SET "
            "scored = student_subject_status.scored + excluded.scored, "
            "below = student_subject_status.below + excluded.below"
        )
        await db.drop_temp(table)

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
