"""Students' results by school and subject: the share below standard, small groups suppressed.

Aggregates the students the viewer may read (a principal only their own school's) and writes one
audit event per request naming the schools aggregated.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Role,
)
from mypd_graph.services.access import Actor
from mypd_graph.services.insights.district import scope_teachers
from mypd_graph.services.personalization.settings import (
    load_settings,
)
from mypd_graph.services.students.figures import record_aggregate_read, school_results

# --- students' results by school ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchoolSubjectResults:
    school_id: int | None
    subject: str
    school_year: str
    suppressed: bool
    students: int | None
    share_below: float | None


@dataclass(frozen=True, slots=True)
class StudentResultsView:
    rows: list[SchoolSubjectResults]
    minimum_group_size: int
    suppressed_groups: int

    @property
    def note(self) -> str:
        if not self.suppressed_groups:
            return f"every group has at least {self.minimum_group_size} students"
        plural = "group has" if self.suppressed_groups == 1 else "groups have"
        return (
            f"{self.suppressed_groups} {plural} fewer than {self.minimum_group_size} students; "
            "their figures are suppressed"
        )


async def student_results_by_school(
    session: AsyncSession,
    actor: Actor,
    school_id: int | None = None,
    school_year: str | None = None,
) -> StudentResultsView:
    """Students below standard per school, subject and year; small groups suppressed."""
    scope_teachers(actor, school_id)  # the same refusal as every other view
    settings = await load_settings(session, actor.district_id)
    if actor.role is Role.PRINCIPAL:
        school_id = actor.school_id if school_id in (None, actor.school_id) else -1
    found = await school_results(session, actor, school_id, school_year)
    minimum = settings.minimum_group_size
    rows = [
        SchoolSubjectResults(row.school_id, row.subject, row.school_year, True, None, None)
        if row.students < minimum
        else SchoolSubjectResults(
            row.school_id,
            row.subject,
            row.school_year,
            False,
            row.students,
            round(row.below / row.students, 4),
        )
        for row in found
    ]
    rows.sort(key=lambda r: (r.school_id or 0, r.subject, r.school_year))
    if found:
        record_aggregate_read(
            session,
            actor,
            {row.school_id for row in found if row.school_id is not None},
            "district view: students' results by school",
        )
    return StudentResultsView(rows, minimum, sum(1 for row in rows if row.suppressed))
