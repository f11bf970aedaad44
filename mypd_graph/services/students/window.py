"""The data window: which school year's results speak for a teacher (or a school) in a subject.

In the first weeks of a school year the newest year with any result holds a handful of fall
scores; letting it speak would replace a full year of results with almost nothing (issue 14). The
rule, stated once here and in docs/student-results.md:

- The **current school year** (July to June, of the day asked about) speaks for a group (a
  teacher's students, a school's) in a subject once at least ``current_year_minimum_students`` of
  the group's students have results in it (a district setting, 10 by default), or, when the
  district set ``current_year_from``, from that day on once any have.
- Until then the **most recent complete year** speaks: the district's newest school year before
  the current one with results in the subject, when the group has results there.
- A group with results only in the current year keeps them (``partial``): never an empty year
  over a full one, and never nothing over a few.

Years after the current one (files dated ahead) never speak.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Assessment, AssessmentResult, DistrictSettings
from mypd_graph.models.settings import DEFAULT_CURRENT_YEAR_MINIMUM_STUDENTS
from mypd_graph.services.students.status import counts_in_needs


def school_year_of(day: date) -> str:
    """The school year (``2026-27``) a day falls in; years run July to June."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


WINDOW_RULE = (
    "The current school year's results speak for a teacher (or a school) in a subject once at "
    "least the district's minimum of their students have results in it (10 by default), or "
    "from the district's chosen date on once any have; until then the most recent complete "
    "year with results speaks; a year with only a few results speaks when no earlier one has any."
)


class Basis(enum.StrEnum):
    """Why a year speaks for a group."""

    CURRENT = "current"  # the current year, with enough results
    COMPLETE = "complete"  # the most recent complete year, the current one has too few
    PARTIAL = "partial"  # the current year's few results: no complete year has any


class Counted(Protocol):
    @property
    def students(self) -> int: ...


Row = TypeVar("Row", bound=Counted)


@dataclass(frozen=True)
class DataWindow:
    """What the rule needs for one district on one day: the current year, the setting, and per
    subject the most recent complete year and the assessments with results in each year."""

    today: date
    current: str
    minimum_students: int
    current_from: date | None
    complete: Mapping[str, str]  # subject -> newest year before the current with results
    assessments: Mapping[tuple[str, str], tuple[str, ...]]  # (subject, year) -> names

    def years(self) -> set[str]:
        """The years a group may be read from: the current one and each subject's complete one."""
        return {self.current, *self.complete.values()}

    def current_speaks(self, students: int) -> bool:
        if students <= 0:
            return False
        if students >= self.minimum_students:
            return True
        return self.current_from is not None and self.today >= self.current_from

    def choose(self, subject: str, by_year: Mapping[str, Row]) -> tuple[Row, Basis] | None:
        """The row that speaks for a group in ``subject``, from its rows per year, and why."""
        current = by_year.get(self.current)
        if current is not None and self.current_speaks(current.students):
            return current, Basis.CURRENT
        year = self.complete.get(subject)
        complete = None if year is None else by_year.get(year)
        if complete is not None and complete.students > 0:
            return complete, Basis.COMPLETE
        if current is not None and current.students > 0:
            return current, Basis.PARTIAL
        return None

    def explain(self, subject: str, year: str, basis: Basis, whose: str) -> str:
        """The window in words: the year, why it speaks and the assessments behind it;
        ``whose`` names the group ("your students", "the school's students")."""
        names = self.assessments.get((subject, year), ())
        if basis is Basis.CURRENT:
            why = f"{year} is the current school year"
        elif basis is Basis.COMPLETE:
            why = (
                f"{year} is the most recent complete year (fewer than {self.minimum_students} "
                f"of {whose} have results in {self.current} so far)"
            )
        else:
            why = (
                f"{year} is the current school year, with few results so far and no earlier "
                f"year of {whose} to read instead"
            )
        return f"{why}; results of {_joined(names)}" if names else why


def _joined(names: tuple[str, ...]) -> str:
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def choose_rows(
    window: DataWindow, rows: Iterable[Row], key: Callable[[Row], tuple[object, str, str]]
) -> list[tuple[Row, Basis]]:
    """Per group (``key(row)`` is ``(owner, subject, year)``): the row that speaks, and why."""
    by_group: dict[tuple[object, str], dict[str, Row]] = defaultdict(dict)
    for row in rows:
        owner, subject, year = key(row)
        by_group[(owner, subject)][year] = row
    chosen = []
    for (_, subject), by_year in by_group.items():
        found = window.choose(subject, by_year)
        if found is not None:
            chosen.append(found)
    return chosen


async def data_window(session: AsyncSession, district_id: int, today: date) -> DataWindow:
    """The district's window on ``today`` in one statement: per assessment (by the
    ``(assessment_id, school_year)`` index, not a scan of the results) its newest year before the
    current one and whether it has results in the current one, with the district's setting."""
    current = school_year_of(today)
    result = AssessmentResult
    before = (
        select(func.max(result.school_year))
        .where(result.assessment_id == Assessment.id, result.school_year < current)
        .correlate(Assessment)
        .scalar_subquery()
    )
    has_current = (
        exists()
        .where(result.assessment_id == Assessment.id, result.school_year == current)
        .correlate(Assessment)
    )
    settings = DistrictSettings
    minimum = (
        select(settings.current_year_minimum_students)
        .where(settings.district_id == district_id)
        .scalar_subquery()
    )
    starts = (
        select(settings.current_year_from)
        .where(settings.district_id == district_id)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Assessment.subject, Assessment.name, before, has_current, minimum, starts)
            .where(Assessment.district_id == district_id, counts_in_needs())
            .order_by(Assessment.name)
        )
    ).all()
    complete: dict[str, str] = {}
    for subject, _, year, _, _, _ in rows:
        if year is not None and year > complete.get(subject, ""):
            complete[subject] = year
    names: dict[tuple[str, str], list[str]] = defaultdict(list)
    for subject, name, year, in_current, _, _ in rows:
        if in_current:
            names[(subject, current)].append(name)
        if year is not None and year == complete.get(subject):
            names[(subject, year)].append(name)
    setting = rows[0][4] if rows and rows[0][4] is not None else None
    starts_on = rows[0][5] if rows else None
    if isinstance(starts_on, str):  # a scalar subquery's date comes back as text on SQLite
        starts_on = date.fromisoformat(starts_on)
    return DataWindow(
        today=today,
        current=current,
        minimum_students=setting or DEFAULT_CURRENT_YEAR_MINIMUM_STUDENTS,
        current_from=starts_on,
        complete=complete,
        assessments={key: tuple(value) for key, value in names.items()},
    )


__all__ = ["WINDOW_RULE", "Basis", "DataWindow", "choose_rows", "data_window", "school_year_of"]
