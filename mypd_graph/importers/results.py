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

Besides the resolving and checking done here: :mod:`~mypd_graph.importers.result_rows` writes the
rows, :mod:`~mypd_graph.importers.result_summary` keeps the summaries in step, and
:mod:`~mypd_graph.importers.attribution` enrolls students with the teachers a file names.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from mypd_graph.importers.attribution import Attribution
from mypd_graph.importers.bulk import BatchResult, Db, chunks, dialect_insert, school_ids
from mypd_graph.importers.job import ResultExtras
from mypd_graph.importers.result_rows import ResultRows
from mypd_graph.importers.result_summary import ResultSummary, StatusCounts
from mypd_graph.models import Assessment, DistrictSettings, Student
from mypd_graph.models.settings import DEFAULT_PROFICIENT_PERCENTILE
from mypd_graph.plugins.types import RowError
from mypd_graph.services.students.status import TYPICAL_GROWTH_PERCENTILE as TYPICAL
from mypd_graph.services.students.status import decider_rank

RESULTS_LOCK = 0x4D595044  # the advisory lock class of result imports (with the district id)
UNKNOWN_STUDENT = "unknown student: not in the district's roster (import the roster first)"
NO_STATE_IDS = (
    "import a roster that carries them (OneRoster userIds such as {SSID:4000000000}; the "
    "oneroster importer's state_id_types option names other labels)"
)
SHARED_STATE_ID = "several students of the district have this state id: fix the roster first"
AMBIGUOUS = -1  # a state id that more than one student has
KEY_LABEL = "student, assessment, school year and term"


@dataclass
class Administration:
    """One assessment in one school year and term, as this import meets it."""

    assessment_id: int
    fresh: bool  # no results before this import: rows are plain inserts
    first_rows: array  # type: ignore[type-arg]  # per roster position: the row that had it, or 0
    proficient: int = 0  # the assessment's proficient level
    by_percentile: bool = False  # judged by percentile only (its proficiency_basis)
    cut: int = DEFAULT_PROFICIENT_PERCENTILE  # the percentile from which a result meets standard
    rank: int = 0  # its results' rank in the status rule (services.students.status.decider)
    status: StatusCounts | None = None  # a fresh administration's rows, counted as they go in


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
        self.students_created = 0
        self.rows = ResultRows(db)
        self.attribution = Attribution(db)
        self.summary = ResultSummary()  # what refresh_status needs, followed as rows go in
        # Per assessment key: (judged by percentile only, its cut); the district's cut.
        self.rules: dict[str, tuple[bool, int]] = {}
        self.district_cut: int | None = None

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
        self.summary.grow(len(ids))

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
        for row in rows:
            src, local_id, key, year, term, on, score, level, percentile, state_id = row[:10]
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
                reason = UNKNOWN_STUDENT if state_id is None else self._unknown(local_id, state_id)
                errors.append(RowError(src, reason, column, value, file))
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
            if status is not None:  # the rules of services.students.status (result_met, decider)
                below = None
                if level is not None and not administration.by_percentile:
                    below = level < administration.proficient
                elif percentile is not None:
                    below = percentile < administration.cut
                if below is not None:
                    status.count(position, administration.rank, below)
                    growth, met_growth = row[10], row[11]
                    if growth is not None or met_growth is not None:
                        short = growth < TYPICAL if growth is not None else not met_growth
                        status.count_growth(position, short)
            written = (
                administration.assessment_id,
                ids[position],
                year,
                term,
                on,
                score,
                level,
                percentile,
                row[10],
                row[11],
                run_id,
            )
            (fresh if administration.fresh else upserts).append(written)
        if fresh:
            await self.rows.insert(fresh)
            result.counts.inserted += len(fresh)
        if upserts:
            self.summary.recompute_years = True
            result.counts.add(await self.rows.upsert(upserts))
        if self.attribute_teachers and extras.attributions:
            await self.attribution.attribute(extras.attributions)
        return result

    def _unknown(self, local_id: str, state_id: str) -> str:
        """Why a result that gave a state id found no student, saying what was looked for."""
        other = f" or the student id {local_id}" if local_id and local_id != state_id else ""
        reason = f"unknown student: no student of the district has the state id {state_id}{other}"
        if not self.state_positions:
            return f"{reason}; no student of the district has a state id yet: {NO_STATE_IDS}"
        return f"{reason} (import the roster first)"

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
        info = self.summary.assessment_info.get(key)
        if info is None:
            self.summary.recompute_years = True  # not described by this import: count nothing
        elif administration.fresh:
            subject, administration.proficient, summative = info
            administration.rank = decider_rank(summative, term)
            administration.by_percentile, administration.cut = self.rules.get(
                key, (False, self.district_cut or DEFAULT_PROFICIENT_PERCENTILE)
            )
            administration.status = self.summary.counts_for(subject, year, len(self.student_ids))
        self.administrations[(key, year, term)] = administration
        return administration

    async def _assessments(self, specs: dict[str, tuple[str, str, str, int, int, bool]]) -> None:
        todo = [key for key in specs if key not in self.assessment_ids]
        if not todo:
            return
        columns = ("name", "subject", "vendor", "level_count", "proficient_level", "summative")
        if self.district_cut is None:
            self.district_cut = (
                await self.db.scalar(
                    select(DistrictSettings.proficient_percentile).where(
                        DistrictSettings.district_id == self.db.params["district_id"]
                    )
                )
                or DEFAULT_PROFICIENT_PERCENTILE
            )
        before = await self.db.execute(
            select(
                Assessment.key,
                Assessment.subject,
                Assessment.proficient_level,
                Assessment.proficiency_basis,
                Assessment.proficient_percentile,
                Assessment.summative,
            ).where(
                Assessment.district_id == self.db.params["district_id"], Assessment.key.in_(todo)
            )
        )
        for key, subject, proficient, basis, own_cut, summative in before:
            # the rule a district set for the assessment stays (the upsert leaves it)
            self.rules[key] = (basis == "percentile", own_cut or self.district_cut)
            if (subject, proficient, summative) != (specs[key][1], specs[key][4], specs[key][5]):
                self.summary.recompute_all = True  # every stored result of it is judged anew
        for key in todo:
            self.summary.assessment_info[key] = (specs[key][1], specs[key][4], specs[key][5])
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

    async def close(self) -> None:
        await self.rows.close()

    async def refresh_status(self) -> None:
        """Bring the summaries that needs read (``services.students.status``) in step with the
        results this import wrote, in its transaction (:meth:`ResultSummary.refresh` says how)."""
        await self.summary.refresh(
            self.db,
            {year for _, year, _ in self.administrations},
            [administration.first_rows for administration in self.administrations.values()],
            self.student_ids,
        )

    def notes(self) -> list[str]:
        notes: list[str] = []
        if self.students_created:
            notes.append(f"{self.students_created} students created from the file")
        unmatched = self.attribution.note()
        if unmatched is not None:
            notes.append(unmatched)
        return notes
