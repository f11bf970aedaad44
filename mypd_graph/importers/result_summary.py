"""Keeping the summaries that needs read in step with the results an import writes.

``student_subject_status`` and ``teacher_subject_status`` (``services/students/status.py``) are
refreshed at the end of a result import, in its transaction, under the summaries' own lock (roster
imports take it too). Recomputing them from every result of the years written costs seconds a
million rows, so :class:`ResultSummary` follows the import as it goes: a first load of an
administration (nothing stored before) counts, per roster position, the results it inserts and
those below the proficient level, and those counts are added to the student summary instead.
Anything else (rows updated, an assessment this import did not describe, or one whose subject or
proficient level changed) falls back to recomputing, and so does a load into a teacher's classroom
assessment while the district leaves classroom results out of needs: the counts are kept per
subject, not per assessment, so they cannot tell those results apart (the recompute applies the
summaries' one definition, which knows the rule: ``status.counts_in_needs``).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

from sqlalchemy import exists, not_, select

from mypd_graph.importers import statistics
from mypd_graph.importers.bulk import Db
from mypd_graph.models import Assessment
from mypd_graph.services.students.status import (
    counts_in_needs,
    lock_summaries,
    refresh_result_status,
    refresh_teacher_status,
)

FEW_STUDENTS = 2000  # above this, the summary of the years written is recomputed whole
# What the refresh reads: results and roster first, then the student summary it wrote.
READS = ("assessment", "assessment_result", "section", "enrollment")
SUMMARY = ("student_subject_status",)


@dataclass
class StatusCounts:
    """Per roster position, one subject and school year: the deciding results this import
    inserted (those of the highest rank in the status rule, ``services.students.status.decider``),
    how many below standard, and their rank. Merged into the per-student summary at the end by
    the same rule, instead of recomputing it from every result of those years (the recompute
    costs seconds a million)."""

    scored: array  # type: ignore[type-arg]
    below: array  # type: ignore[type-arg]
    rank: array  # type: ignore[type-arg]
    growth: array  # type: ignore[type-arg]  # growth measures (every rank counts)
    short: array  # type: ignore[type-arg]  # of them, short of typical growth

    def count_growth(self, position: int, short: bool) -> None:
        self.growth[position] += 1
        if short:
            self.short[position] += 1

    def count(self, position: int, rank: int, below: bool) -> None:
        """One judged result: a higher rank replaces what was counted, the same rank adds."""
        ranks = self.rank
        if rank > ranks[position] or not self.scored[position]:
            ranks[position] = rank
            self.scored[position] = 1
            self.below[position] = 1 if below else 0
        elif rank == ranks[position]:
            self.scored[position] += 1
            if below:
                self.below[position] += 1


def written_students(
    first_rows: list[array],  # type: ignore[type-arg]
    student_ids: list[int],
) -> list[int] | None:
    """The students the import wrote results of, or None when there are more than a few."""
    students: set[int] = set()
    for rows in first_rows:
        students.update(student_ids[p] for p, first in enumerate(rows) if first)
        if len(students) > FEW_STUDENTS:
            return None
    return sorted(students)


class ResultSummary:
    """What the refresh at the end needs to know: subject and proficient level per assessment key,
    counts per (subject, year) of fresh administrations, and whether it must recompute instead
    (rows updated, or an assessment's subject or level changed)."""

    def __init__(self) -> None:
        self.assessment_info: dict[str, tuple[str, int, bool]] = {}
        self.status_counts: dict[tuple[str, str], StatusCounts] = {}
        self.recompute_years = False
        self.recompute_all = False

    def counts_for(self, subject: str, year: str, students: int) -> StatusCounts:
        """The counts of one subject and year (made for ``students`` roster positions)."""
        counts = self.status_counts.get((subject, year))
        if counts is None:
            size = 4 * students
            counts = StatusCounts(*(array("I", bytes(size)) for _ in range(5)))
            self.status_counts[(subject, year)] = counts
        return counts

    def grow(self, students: int) -> None:
        """The roster grew (students created or written by the import): room for them."""
        for counts in self.status_counts.values():
            grow = students - len(counts.scored)
            if grow > 0:
                counts.scored.extend(bytes(4 * grow))
                counts.below.extend(bytes(4 * grow))
                counts.rank.extend(bytes(4 * grow))
                counts.growth.extend(bytes(4 * grow))
                counts.short.extend(bytes(4 * grow))

    async def refresh(
        self,
        db: Db,
        years: set[str],
        first_rows: list[array],  # type: ignore[type-arg]
        student_ids: list[int],
    ) -> None:
        """Bring the summaries in step with the results written in ``years``: a first load adds
        its counts to the student summary, then recomputes the teacher summary of those years;
        anything else recomputes both for those years (only for the students written, and their
        teachers, when they are few), or every year when an assessment changed. The planner gets
        statistics of what the load filled first (:mod:`~mypd_graph.importers.statistics`)."""
        district_id = db.params["district_id"]
        await lock_summaries(db.connection, district_id)  # a roster import may refresh too
        if self.recompute_all or years:
            await statistics.analyze_stale(db, READS + SUMMARY)
        if self.recompute_all:  # even when no row was written: the assessment itself changed
            await refresh_result_status(db.connection, district_id)
        elif not years:
            return
        elif self.recompute_years or await self._writes_left_out_results(db):
            await refresh_result_status(
                db.connection,
                district_id,
                school_years=years,
                students=written_students(first_rows, student_ids),
            )
        else:
            await self._add_status_counts(db, student_ids)
            await statistics.analyze_stale(db, SUMMARY)
            await refresh_teacher_status(db.connection, district_id, school_years=years)

    async def _writes_left_out_results(self, db: Db) -> bool:
        """Whether an assessment this import counted is one whose results the summaries leave
        out (a classroom assessment while the district's rule is off): one small query."""
        if not self.assessment_info:
            return False
        left_out = select(Assessment.id).where(
            Assessment.district_id == db.params["district_id"],
            Assessment.key.in_(sorted(self.assessment_info)),
            not_(counts_in_needs()),
        )
        return bool(await db.scalar(select(exists(left_out))))

    async def _add_status_counts(self, db: Db, ids: list[int]) -> None:
        rows = [
            (
                ids[position],
                subject,
                year,
                scored,
                counts.below[position],
                counts.rank[position],
                counts.growth[position],
                counts.short[position],
            )  # fmt: skip
            for (subject, year), counts in self.status_counts.items()
            for position, scored in enumerate(counts.scored)
            if scored
        ]
        if not rows:
            return
        table = "import_status_counts"
        columns = ("student_id", "subject", "school_year", "scored", "below", "decided_by",
                   "growth_measures", "growth_short")  # fmt: skip
        await db.create_temp(
            table,
            [("student_id", "int"), ("subject", "text"), ("school_year", "text"),
             ("scored", "int"), ("below", "int"), ("decided_by", "int"),
             ("growth_measures", "int"), ("growth_short", "int")],
        )  # fmt: skip
        await db.load(table, columns, rows)
        # The status rule merged: a higher rank replaces the stored counts, the same rank adds.
        stored, new = "student_subject_status.decided_by", "excluded.decided_by"
        merged = {
            column: f"CASE WHEN {new} > {stored} THEN excluded.{column} "
            f"WHEN {new} = {stored} THEN student_subject_status.{column} + excluded.{column} "
            f"ELSE student_subject_status.{column} END"
            for column in ("scored", "below")
        }
        await db.execute(
            "INSERT INTO student_subject_status (student_id, subject, school_year, district_id, "
            "scored, below, decided_by, growth_measures, growth_short) "
            "SELECT student_id, subject, school_year, :district_id, scored, below, decided_by, "
            f"growth_measures, growth_short FROM {table} "
            "WHERE true "  # SQLite needs a WHERE to read ON CONFLICT as an upsert clause
            "ON CONFLICT (student_id, subject, school_year) DO UPDATE SET "
            f"scored = {merged['scored']}, below = {merged['below']}, "
            f"decided_by = CASE WHEN {new} > {stored} THEN {new} ELSE {stored} END, "
            "growth_measures = student_subject_status.growth_measures + excluded.growth_measures, "
            "growth_short = student_subject_status.growth_short + excluded.growth_short"
        )
        await db.drop_temp(table)
