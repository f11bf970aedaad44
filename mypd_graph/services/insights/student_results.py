"""Students' results by school and subject: the share below standard, small groups suppressed.

Aggregates the students the viewer may read (a principal only their own school's) and writes one
audit event per request naming the schools aggregated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Role,
)
from mypd_graph.services.access import Actor
from mypd_graph.services.insights.district import scope_teachers
from mypd_graph.services.personalization.settings import (
    load_settings,
)
from mypd_graph.services.students.figures import (
    SchoolResults,
    record_aggregate_read,
    school_results,
)
from mypd_graph.services.students.window import Basis

# --- students' results by school ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchoolSubjectResults:
    school_id: int | None
    subject: str
    school_year: str
    suppressed: bool
    students: int | None
    share_below: float | None
    window: str | None = None  # the data window in words (None: the year was asked for)


@dataclass(frozen=True, slots=True)
class StudentResultsView:
    rows: list[SchoolSubjectResults]
    minimum_group_size: int
    suppressed_groups: int
    years: tuple[str, ...] = ()  # "Math: 2025-26, the most recent complete year", per subject

    @property
    def note(self) -> str:
        if not self.suppressed_groups:
            note = f"every group has at least {self.minimum_group_size} students"
        else:
            plural = "group has" if self.suppressed_groups == 1 else "groups have"
            note = (
                f"{self.suppressed_groups} {plural} fewer than {self.minimum_group_size} "
                "students; their figures are suppressed"
            )
        if self.years:
            note += "; years used: " + "; ".join(self.years)
        return note


_BASIS_WORDS = {
    Basis.CURRENT: "the current school year",
    Basis.COMPLETE: "the most recent complete year",
    Basis.PARTIAL: "the current school year, few results so far",
}


def _years_used(found: list[SchoolResults]) -> tuple[str, ...]:
    """Per subject, the years the groups' figures come from and why (a school may differ)."""
    used: dict[str, set[tuple[str, Basis]]] = {}
    for row in found:
        if row.basis is not None:
            used.setdefault(row.subject, set()).add((row.school_year, row.basis))
    return tuple(
        f"{subject}: "
        + ", ".join(f"{year} ({_BASIS_WORDS[basis]})" for year, basis in sorted(years))
        for subject, years in sorted(used.items())
    )


async def student_results_by_school(
    session: AsyncSession,
    actor: Actor,
    school_id: int | None = None,
    school_year: str | None = None,
    as_of: date | None = None,
) -> StudentResultsView:
    """Students below standard per school and subject, in ``school_year`` or the year the data
    window chooses for each school and subject (said per row and in the note); small groups
    suppressed."""
    scope_teachers(actor, school_id)  # the same refusal as every other view
    settings = await load_settings(session, actor.district_id)
    if actor.role is Role.PRINCIPAL:
        school_id = actor.school_id if school_id in (None, actor.school_id) else -1
    found, window = await school_results(session, actor, school_id, school_year, as_of)
    minimum = settings.minimum_group_size

    def explained(row: SchoolResults) -> str | None:
        if window is None or row.basis is None:
            return None
        return window.explain(row.subject, row.school_year, row.basis, "the school's students")

    rows = [
        SchoolSubjectResults(
            row.school_id, row.subject, row.school_year, True, None, None, explained(row)
        )
        if row.students < minimum
        else SchoolSubjectResults(
            row.school_id,
            row.subject,
            row.school_year,
            False,
            row.students,
            round(row.below / row.students, 4),
            explained(row),
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
    return StudentResultsView(
        rows, minimum, sum(1 for row in rows if row.suppressed), _years_used(found)
    )
