"""District settings for personalization: signal weights, the minimum group size, the subject map.

A district without a ``district_settings`` row runs on the defaults in :mod:`mypd_graph.models.settings`.
Everyone in the district may read the settings (they explain every need score); only a district admin
changes them (and the sharing rules: who sees what of a teacher's record by default, docs/privacy.md).
The subject → element map starts from the active framework's ``subject_elements``
(the framework plugin's) and a district overrides it subject by subject.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import District, DistrictSettings, Framework, Standard, utcnow
from mypd_graph.models.growth import Audience
from mypd_graph.models.settings import (
    DEFAULT_CURRENT_YEAR_MINIMUM_STUDENTS,
    DEFAULT_DISTRICT_AUDIENCE,
    DEFAULT_MINIMUM_GROUP_SIZE,
    DEFAULT_PROFICIENT_PERCENTILE,
    DEFAULT_TRAINING_FULL_HOURS,
    DEFAULT_TRAINING_WINDOW_MONTHS,
    DEFAULT_WEIGHTS,
)
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import PermissionDenied, Problem, UserInputError
from mypd_graph.services.inputs import check_cycle
from mypd_graph.services.students.status import refresh_result_status

MAX_GROUP_SIZE = 1000
MAX_WINDOW_MONTHS = 120


class Signal(enum.StrEnum):
    """The signals behind a need, in the order they are always listed. Students' growth is
    optional: off (missing, saying so) while the district gives it no weight, the default."""

    STUDENT_PERFORMANCE = "student_performance"
    TRAINING = "training"
    SELF_ASSESSMENT = "self_assessment"
    OBSERVATION = "observation"
    STUDENT_GROWTH = "student_growth"


@dataclass(frozen=True)
class Sharing:
    """The district's sharing rules (docs/privacy.md): the audience of a teacher's new records,
    and whether coaching reaches supervisors and evaluations reach coaches."""

    default_audience: Audience = Audience(DEFAULT_DISTRICT_AUDIENCE)
    coaching_shared_with_supervisors: bool = False
    evaluations_shared_with_coaches: bool = False


@dataclass(frozen=True)
class ResultsRules:
    """How students' results are read (docs/student-results.md): the data window's current-year
    minimum of students (or the date from which any will do) and the district's percentile cut."""

    current_year_minimum_students: int = DEFAULT_CURRENT_YEAR_MINIMUM_STUDENTS
    current_year_from: date | None = None
    proficient_percentile: int = DEFAULT_PROFICIENT_PERCENTILE


@dataclass(frozen=True)
class PersonalizationSettings:
    district_id: int
    framework_id: int | None
    weights: Mapping[Signal, float]
    minimum_group_size: int
    training_window_months: int
    training_full_hours: float
    framework_subject_elements: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    overrides: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sharing: Sharing = Sharing()
    results: ResultsRules = ResultsRules()

    @property
    def subject_elements(self) -> dict[str, tuple[str, ...]]:
        """The effective map: the framework's, with the district's subjects replacing theirs."""
        merged = dict(self.framework_subject_elements)
        merged.update(self.overrides)
        return {subject: codes for subject, codes in merged.items() if codes}

    def normalized_weight(self, signal: Signal) -> float:
        """The weight as a share of all four (what a need uses when every signal is present)."""
        total = sum(self.weights.values())
        return self.weights[signal] / total if total else 0.0

    def training_since(self, today: date) -> date:
        """The first day whose training still counts as recent."""
        months = today.year * 12 + today.month - 1 - self.training_window_months
        year, month = divmod(months, 12)
        day = min(today.day, 28)
        return date(year, month + 1, day)


def _codes(value: object) -> tuple[str, ...]:
    return tuple(str(code) for code in value) if isinstance(value, list | tuple) else ()


async def load_settings(session: AsyncSession, district_id: int) -> PersonalizationSettings:
    """The district's settings with the defaults filled in, in one statement."""
    row = (
        await session.execute(
            select(District.active_framework_id, Framework.subject_elements, DistrictSettings)
            .outerjoin(Framework, Framework.id == District.active_framework_id)
            .outerjoin(DistrictSettings, DistrictSettings.district_id == District.id)
            .where(District.id == district_id)
        )
    ).first()
    framework_id, mapping, stored = row if row is not None else (None, None, None)
    framework_map = {str(subject): _codes(codes) for subject, codes in (mapping or {}).items()}
    if stored is None:
        return PersonalizationSettings(
            district_id=district_id,
            framework_id=framework_id,
            weights={signal: DEFAULT_WEIGHTS[signal.value] for signal in Signal},
            minimum_group_size=DEFAULT_MINIMUM_GROUP_SIZE,
            training_window_months=DEFAULT_TRAINING_WINDOW_MONTHS,
            training_full_hours=DEFAULT_TRAINING_FULL_HOURS,
            framework_subject_elements=framework_map,
        )
    return PersonalizationSettings(
        district_id=district_id,
        framework_id=framework_id,
        weights={signal: float(getattr(stored, f"weight_{signal.value}")) for signal in Signal},
        minimum_group_size=stored.minimum_group_size,
        training_window_months=stored.training_window_months,
        training_full_hours=stored.training_full_hours,
        framework_subject_elements=framework_map,
        overrides={
            str(subject): _codes(codes) for subject, codes in stored.subject_elements.items()
        },
        sharing=Sharing(
            Audience(stored.default_audience),
            stored.coaching_shared_with_supervisors,
            stored.evaluations_shared_with_coaches,
        ),
        results=ResultsRules(
            stored.current_year_minimum_students,
            stored.current_year_from,
            stored.proficient_percentile,
        ),
    )


async def settings_for(session: AsyncSession, actor: Actor) -> PersonalizationSettings:
    """The viewer's district settings (readable by everyone in the district)."""
    return await load_settings(session, actor.district_id)


@dataclass(frozen=True)
class SettingsChange:
    """What a district admin asked to change; ``None`` leaves a value as it is."""

    weights: Mapping[Signal, float] | None = None
    minimum_group_size: int | None = None
    training_window_months: int | None = None
    training_full_hours: float | None = None
    subject_elements: Sequence[tuple[str, Sequence[str]]] | None = None  # replaces all overrides
    default_audience: Audience | None = None
    coaching_shared_with_supervisors: bool | None = None
    evaluations_shared_with_coaches: bool | None = None
    current_year_minimum_students: int | None = None
    current_year_from: date | None = None
    clear_current_year_from: bool = False
    proficient_percentile: int | None = None


async def _check(
    session: AsyncSession, actor: Actor, change: SettingsChange, weights: Mapping[Signal, float]
) -> dict[str, tuple[str, ...]] | None:
    problems: list[Problem] = []
    if change.weights is not None:
        if any(not math.isfinite(weight) or not 0 <= weight <= 1 for weight in weights.values()):
            problems.append(
                Problem(("input", "weights"), "each weight must be a number from 0 to 1", "RANGE")
            )
        elif not any(weight > 0 for weight in weights.values()):
            problems.append(
                Problem(("input", "weights"), "at least one weight must be above 0", "RANGE")
            )
    if change.minimum_group_size is not None and not (
        1 <= change.minimum_group_size <= MAX_GROUP_SIZE
    ):
        problems.append(
            Problem(
                ("input", "minimumGroupSize"),
                f"the minimum group size must be between 1 and {MAX_GROUP_SIZE}",
                "RANGE",
            )
        )
    if change.training_window_months is not None and not (
        1 <= change.training_window_months <= MAX_WINDOW_MONTHS
    ):
        problems.append(
            Problem(
                ("input", "trainingWindowMonths"),
                f"the training window must be between 1 and {MAX_WINDOW_MONTHS} months",
                "RANGE",
            )
        )
    if change.training_full_hours is not None and change.training_full_hours <= 0:
        problems.append(
            Problem(("input", "trainingFullHours"), "full hours must be above 0", "RANGE")
        )
    if change.current_year_minimum_students is not None and not (
        1 <= change.current_year_minimum_students <= MAX_GROUP_SIZE
    ):
        problems.append(
            Problem(
                ("input", "currentYearMinimumStudents"),
                f"the current year's minimum must be between 1 and {MAX_GROUP_SIZE} students",
                "RANGE",
            )
        )
    if change.proficient_percentile is not None and not 1 <= change.proficient_percentile <= 99:
        problems.append(
            Problem(
                ("input", "proficientPercentile"),
                "the cut must be a percentile from 1 to 99",
                "RANGE",
            )
        )
    overrides = None
    if change.subject_elements is not None:
        overrides = await _check_overrides(session, actor, change.subject_elements, problems)
    if problems:
        raise UserInputError(*problems)
    return overrides


async def _check_overrides(
    session: AsyncSession,
    actor: Actor,
    entries: Sequence[tuple[str, Sequence[str]]],
    problems: list[Problem],
) -> dict[str, tuple[str, ...]]:
    framework_id = await session.scalar(
        select(District.active_framework_id).where(District.id == actor.district_id)
    )
    known = set(
        await session.scalars(
            select(Standard.code).where(
                Standard.framework_id == framework_id, Standard.is_element.is_(True)
            )
        )
    )
    overrides: dict[str, tuple[str, ...]] = {}
    for index, (subject, codes) in enumerate(entries):
        path = ("input", "subjectElements", str(index))
        subject = subject.strip()
        if not subject:
            problems.append(Problem((*path, "subject"), "subject must not be empty", "REQUIRED"))
            continue
        if subject in overrides:
            problems.append(Problem((*path, "subject"), f"{subject} is listed twice", "DUPLICATE"))
        cleaned = tuple(dict.fromkeys(code.strip() for code in codes if code.strip()))
        unknown = [code for code in cleaned if code not in known]
        if unknown:
            problems.append(
                Problem(
                    (*path, "elementCodes"),
                    f"unknown element code(s) of the active framework: {', '.join(unknown)}",
                    "UNKNOWN_ELEMENT",
                )
            )
        overrides[subject] = cleaned
    return overrides


async def update_settings(
    session: AsyncSession, actor: Actor, change: SettingsChange
) -> PersonalizationSettings:
    """A district admin changes the district's settings; every problem is reported at once."""
    if not actor.is_district_admin:
        raise PermissionDenied("only a district admin may change personalization settings")
    current = await load_settings(session, actor.district_id)
    weights = {**current.weights, **(change.weights or {})}
    overrides = await _check(session, actor, change, weights)
    stored = await session.get(DistrictSettings, actor.district_id)
    if stored is None:
        stored = DistrictSettings(
            district_id=actor.district_id,
            minimum_group_size=DEFAULT_MINIMUM_GROUP_SIZE,
            training_window_months=DEFAULT_TRAINING_WINDOW_MONTHS,
            training_full_hours=DEFAULT_TRAINING_FULL_HOURS,
            subject_elements={},
            **{f"weight_{key}": value for key, value in DEFAULT_WEIGHTS.items()},
        )
        session.add(stored)
    for signal, weight in weights.items():
        setattr(stored, f"weight_{signal.value}", float(weight))
    if change.minimum_group_size is not None:
        stored.minimum_group_size = change.minimum_group_size
    if change.training_window_months is not None:
        stored.training_window_months = change.training_window_months
    if change.training_full_hours is not None:
        stored.training_full_hours = float(change.training_full_hours)
    if overrides is not None:
        stored.subject_elements = {subject: list(codes) for subject, codes in overrides.items()}
    if change.default_audience is not None:
        stored.default_audience = Audience(change.default_audience).value
    if change.coaching_shared_with_supervisors is not None:
        stored.coaching_shared_with_supervisors = change.coaching_shared_with_supervisors
    if change.evaluations_shared_with_coaches is not None:
        stored.evaluations_shared_with_coaches = change.evaluations_shared_with_coaches
    if change.current_year_minimum_students is not None:
        stored.current_year_minimum_students = change.current_year_minimum_students
    if change.current_year_from is not None or change.clear_current_year_from:
        stored.current_year_from = change.current_year_from
    cut_changed = (
        change.proficient_percentile is not None
        and change.proficient_percentile != current.results.proficient_percentile
    )
    if change.proficient_percentile is not None:
        stored.proficient_percentile = change.proficient_percentile
    if cut_changed:  # every percentile-judged result is judged anew, in this transaction
        await session.flush()
        await refresh_result_status(session, actor.district_id)
    stored.updated_at = utcnow()
    stored.updated_by_id = actor.user_id
    await session.flush()
    return await load_settings(session, actor.district_id)


def school_year_of(day: date) -> str:
    """The school year (``2025-26``) a day falls in; years run July to June."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def school_year_bounds(cycle: str) -> tuple[date, date]:
    """First and last day of a school year written ``2025-26``."""
    start = int(check_cycle(cycle, ("cycle",))[:4])
    return date(start, 7, 1), date(start + 1, 6, 30)
