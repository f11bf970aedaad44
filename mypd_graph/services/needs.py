"""Needs assessment: for each element of the active framework, how much a teacher needs to grow in it.

A need is a score from 0 (no need) to 1 (highest need) combining four signals, each read with a
GROUP BY (or a window) over the whole batch of teachers, so the statements a request runs do not
grow with the teachers it asks about:

=====================  =========================================================================
signal                 value (0 = no need, 1 = highest)
=====================  =========================================================================
student performance    share of the teacher's students below standard in the subjects mapped to
                       the element (the district's newest school year with results in each),
                       moved by half its distance from the district norm:
                       ``share + (share - district share) / 2``; subjects combine weighted by
                       their student counts
past training          ``1 - hours / full hours`` for training aligned to the element in the
                       window (default 36 months, 15 hours): recent hours lower the need
self-assessment        the latest self-rating of the element: lowest level 1, highest level 0
observation            the latest observer rating of the element, on the same scale
=====================  =========================================================================

**Missing is not zero.** A signal without data is *missing*: it has no value, says why, and its
weight is shared out among the signals that are present (the configured weights are renormalized
over the present ones). A student-performance signal over fewer students than the district's
minimum group size is missing too, so no small group is ever described. Training only lowers or
raises a need that another signal establishes: an element with no student, self or observer data
gets no score at all (``score`` is ``None``) rather than a need made of "no training".

**Ratings side by side.** The self-rating and the observer rating are separate signals and are
shown separately (:attr:`Need.self_rating`, :attr:`Need.observed_rating`); nothing here ever
averages them into one rating.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mypd_graph.models import (
    FocusElement,
    Observation,
    ObservationRating,
    RatingLevel,
    SelfAssessment,
    SelfAssessmentRating,
    Standard,
    TeacherProfile,
    TrainingRecord,
    TrainingRecordElement,
)
from mypd_graph.services.access import Actor, visible_teacher_ids
from mypd_graph.services.insights_facts import (
    SIGNALS,
    UNMAPPED,
    Context,
    ElementInfo,
    LevelInfo,
    Need,
    ObservedRatingFact,
    SelfRatingFact,
    SignalReading,
    SubjectFact,
    TrainingFact,
)
from mypd_graph.services.insights_settings import PersonalizationSettings, load_settings
from mypd_graph.services.insights_students import (
    Norm,
    SubjectResults,
    record_aggregate_read,
    subject_results,
)

# The data model lives in insights_facts; callers import it from here with the functions.
__all__ = [
    "SIGNALS",
    "Context",
    "ElementInfo",
    "LevelInfo",
    "Need",
    "ObservedRatingFact",
    "SelfRatingFact",
    "SignalReading",
    "SubjectFact",
    "TrainingFact",
    "assess",
    "framework_elements",
    "latest_observed_ratings",
    "latest_self_ratings",
    "needs_by_teacher",
    "rank_needs",
    "teachers_by_ids",
]


# --- reading the signals (one statement each, for every teacher of the batch) -------------------


async def framework_elements(session: AsyncSession, framework_id: int) -> list[ElementInfo]:
    standard = aliased(Standard)
    rows = await session.execute(
        select(Standard.id, Standard.code, Standard.text)
        .join(standard, standard.id == Standard.parent_id)
        .where(
            Standard.framework_id == framework_id,
            Standard.is_element.is_(True),
            Standard.retired.is_(False),
        )
        .order_by(standard.position, Standard.position)
    )
    return [
        ElementInfo(id_, code, text, order, framework_id)
        for order, (id_, code, text) in enumerate(rows)
    ]


async def _levels(session: AsyncSession, framework_id: int) -> dict[int, LevelInfo]:
    rows = await session.execute(
        select(RatingLevel.id, RatingLevel.key, RatingLevel.label, RatingLevel.position).where(
            RatingLevel.framework_id == framework_id
        )
    )
    return {row[0]: LevelInfo(*row) for row in rows}


async def _focus(session: AsyncSession, teachers: Select[tuple[int]]) -> set[tuple[int, int]]:
    rows = await session.execute(
        select(FocusElement.teacher_id, FocusElement.element_id).where(
            FocusElement.teacher_id.in_(teachers)
        )
    )
    return {(teacher, element) for teacher, element in rows}


async def latest_self_ratings(
    session: AsyncSession, teachers: Select[tuple[int]]
) -> dict[tuple[int, int], tuple[int, str]]:
    """``{(teacher, element): (level id, cycle)}`` from each teacher's newest rating of it."""
    newest = func.row_number().over(
        partition_by=(SelfAssessment.teacher_id, SelfAssessmentRating.element_id),
        order_by=(SelfAssessment.cycle.desc(), SelfAssessment.id.desc()),
    )
    ranked = (
        select(
            SelfAssessment.teacher_id,
            SelfAssessmentRating.element_id,
            SelfAssessmentRating.level_id,
            SelfAssessment.cycle,
            newest.label("newest"),
        )
        .join(SelfAssessment, SelfAssessment.id == SelfAssessmentRating.self_assessment_id)
        .where(SelfAssessment.teacher_id.in_(teachers))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.teacher_id, ranked.c.element_id, ranked.c.level_id, ranked.c.cycle).where(
            ranked.c.newest == 1
        )
    )
    return {(t, e): (level, cycle) for t, e, level, cycle in rows}


async def latest_observed_ratings(
    session: AsyncSession, teachers: Select[tuple[int]]
) -> dict[tuple[int, int], tuple[int, date, str, int, int]]:
    """``{(teacher, element): (level id, observed on, kind, observation id, observer id)}``."""
    newest = func.row_number().over(
        partition_by=(Observation.teacher_id, ObservationRating.element_id),
        order_by=(Observation.observed_on.desc(), Observation.id.desc()),
    )
    ranked = (
        select(
            Observation.teacher_id,
            ObservationRating.element_id,
            ObservationRating.level_id,
            Observation.observed_on,
            Observation.kind,
            Observation.id.label("observation_id"),
            Observation.observer_id,
            newest.label("newest"),
        )
        .join(Observation, Observation.id == ObservationRating.observation_id)
        .where(Observation.teacher_id.in_(teachers))
        .subquery()
    )
    rows = await session.execute(select(*list(ranked.c)[:-1]).where(ranked.c.newest == 1))
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}  # type: ignore[misc]


async def _training(
    session: AsyncSession, teachers: Select[tuple[int]], since: date, today: date
) -> tuple[dict[tuple[int, int], tuple[float, int]], dict[int, float]]:
    """Aligned hours per (teacher, element) in the window, and each teacher's hours in the window
    (a teacher with records but none recent is in the second dict with 0 hours)."""
    recent = and_(TrainingRecord.completed_on >= since, TrainingRecord.completed_on <= today)
    aligned = await session.execute(
        select(
            TrainingRecord.teacher_id,
            TrainingRecordElement.element_id,
            func.sum(TrainingRecord.hours),
            func.count(),
        )
        .join(TrainingRecord, TrainingRecord.id == TrainingRecordElement.training_record_id)
        .where(TrainingRecord.teacher_id.in_(teachers), recent)
        .group_by(TrainingRecord.teacher_id, TrainingRecordElement.element_id)
    )
    hours = {(t, e): (float(h or 0), int(n)) for t, e, h, n in aligned}
    totals = await session.execute(
        select(
            TrainingRecord.teacher_id,
            func.sum(case((recent, TrainingRecord.hours), else_=0.0)),
        )
        .where(TrainingRecord.teacher_id.in_(teachers))
        .group_by(TrainingRecord.teacher_id)
    )
    return hours, {t: float(h or 0) for t, h in totals}


# --- putting it together ------------------------------------------------------------------------


def _latest_by_subject(rows: Sequence[SubjectResults]) -> dict[int, list[SubjectResults]]:
    """Each teacher's newest school year per subject (rows are already aggregates)."""
    newest: dict[tuple[int, str], SubjectResults] = {}
    for row in rows:
        key = (row.teacher_id, row.subject)
        if key not in newest or row.school_year > newest[key].school_year:
            newest[key] = row
    by_teacher: dict[int, list[SubjectResults]] = defaultdict(list)
    for row in newest.values():
        by_teacher[row.teacher_id].append(row)
    return by_teacher


def _student_signal(
    code: str,
    mapped_subjects: list[str],
    results: dict[str, SubjectResults],
    norms: dict[tuple[str, str], Norm],
    settings: PersonalizationSettings,
    whose: str,
) -> tuple[float | None, tuple[SubjectFact, ...], str | None]:
    if not mapped_subjects:
        return None, (), UNMAPPED
    found = [results[s.lower()] for s in mapped_subjects if s.lower() in results]
    if not found:
        return (
            None,
            (),
            f"none of {whose} students have results in {' or '.join(mapped_subjects)}",
        )
    minimum = settings.minimum_group_size
    usable = [row for row in found if row.students >= minimum]
    if not usable:
        small = ", ".join(f"{row.subject} {row.school_year}" for row in found)
        return (
            None,
            (),
            f"fewer than {minimum} of {whose} students have results in {small}; "
            "groups that small are not reported",
        )
    facts = []
    for row in sorted(usable, key=lambda r: r.subject):
        norm = norms.get((row.subject, row.school_year))
        if norm is not None and norm.students < minimum:
            norm = None
        facts.append(SubjectFact(row.subject, row.school_year, row.students, row.below, norm))
    total = sum(fact.students for fact in facts)
    value = sum(fact.value() * fact.students for fact in facts) / total
    return round(value, 4), tuple(facts), None


def _rating_value(position: int, scale_size: int) -> float:
    if scale_size < 2:
        return 0.0
    return min(1.0, max(0.0, (scale_size - position) / (scale_size - 1)))


def _rank_key(need: Need) -> tuple[float, bool, int]:
    score = need.score
    return (1.0 if score is None else -score, not need.is_focus, need.element.order)


def rank_needs(needs: list[Need]) -> list[Need]:
    """Highest score first, unscored last; focus elements first among equals, then framework order."""
    needs.sort(key=_rank_key)
    rank = 0
    for need in needs:
        if need.score is not None:
            rank += 1
            need.rank = rank
    return needs


async def assess(
    session: AsyncSession, actor: Actor, teachers: Select[tuple[int]], as_of: date | None = None
) -> dict[int, list[Need]]:
    """Every need of every teacher in ``teachers`` (a select of teacher ids within the actor's reach),
    ranked. About ten statements whatever the number of teachers."""
    today = as_of or datetime.now(UTC).date()
    settings = await load_settings(session, actor.district_id)
    if settings.framework_id is None:
        return {}
    teacher_ids = list(await session.scalars(teachers))
    if not teacher_ids:
        return {}
    elements = await framework_elements(session, settings.framework_id)
    levels = await _levels(session, settings.framework_id)
    scale = tuple(sorted(levels.values(), key=lambda level: level.position))
    scale_size = len(scale)
    focus = await _focus(session, teachers)
    selfs = await latest_self_ratings(session, teachers)
    observed = await latest_observed_ratings(session, teachers)
    since = settings.training_since(today)
    trained, training_totals = await _training(session, teachers, since, today)
    subject_rows, norms = await subject_results(session, actor, teachers, len(teacher_ids))
    latest = _latest_by_subject(subject_rows)
    if subject_rows:
        record_aggregate_read(
            session,
            actor,
            {row.teacher_id for row in subject_rows},
            "needs: students' results aggregated per teacher and subject",
        )

    mapping: dict[str, list[str]] = defaultdict(list)
    for subject, codes in settings.subject_elements.items():
        for code in codes:
            mapping[code].append(subject)
    context = Context(settings, scale, actor.user_id, today)
    w_student, w_training, w_self, w_observed = (settings.weights[signal] for signal in SIGNALS)
    full_hours = settings.training_full_hours
    value_of = {
        level_id: _rating_value(level.position, scale_size) for level_id, level in levels.items()
    }
    self_facts = {
        key: (SelfRatingFact(levels[level_id], cycle), value_of[level_id])
        for key, (level_id, cycle) in selfs.items()
    }
    observed_facts = {
        key: (ObservedRatingFact(levels[row[0]], *row[1:]), value_of[row[0]])
        for key, row in observed.items()
    }
    element_subjects = [(element, tuple(mapping.get(element.code, ()))) for element in elements]
    no_rating = (None, None)
    answer: dict[int, list[Need]] = {}
    for teacher_id in teacher_ids:
        whose = "your" if actor.user_id == teacher_id else "the teacher's"
        results = {row.subject.lower(): row for row in latest.get(teacher_id, [])}
        teacher_hours = training_totals.get(teacher_id)
        untrained = TrainingFact(0.0, 0, teacher_hours or 0.0, since)
        # elements mapped to the same subjects share one student signal
        by_subjects: dict[tuple[str, ...], tuple[float | None, tuple[SubjectFact, ...], str | None]]
        by_subjects = {}
        needs = []
        for element, subjects_key in element_subjects:
            key = (teacher_id, element.id)
            student = by_subjects.get(subjects_key)
            if student is None:
                student = _student_signal(
                    element.code, list(subjects_key), results, norms, settings, whose
                )
                by_subjects[subjects_key] = student
            student_value = student[0]
            training = training_value = None
            if teacher_hours is not None:
                aligned = trained.get(key)
                if aligned is None:
                    training, training_value = untrained, 1.0
                else:
                    training = TrainingFact(*aligned, teacher_hours, since)
                    training_value = round(max(0.0, 1 - training.hours / full_hours), 4)
            self_rating, self_value = self_facts.get(key, no_rating)
            observed_rating, observed_value = observed_facts.get(key, no_rating)
            # the weighted mean of the present signals (see _score, kept inline: 100k+ needs)
            score = None
            if student_value is not None or self_value is not None or observed_value is not None:
                total = weighted = 0.0
                if student_value is not None:
                    total += w_student
                    weighted += w_student * student_value
                if training_value is not None:
                    total += w_training
                    weighted += w_training * training_value
                if self_value is not None:
                    total += w_self
                    weighted += w_self * self_value
                if observed_value is not None:
                    total += w_observed
                    weighted += w_observed * observed_value
                if total:
                    score = round(min(1.0, max(0.0, weighted / total)), 4)
            needs.append(
                Need(
                    teacher_id,
                    element,
                    key in focus,
                    (student_value, training_value, self_value, observed_value),
                    student[1],
                    student[2],
                    training,
                    self_rating,
                    observed_rating,
                    context,
                    score,
                )
            )
        answer[teacher_id] = rank_needs(needs)
    return answer


def teachers_by_ids(actor: Actor, teacher_ids: Sequence[int]) -> Select[tuple[int]]:
    """The requested teachers that the actor may read, as a select of ids."""
    return visible_teacher_ids(actor).where(TeacherProfile.user_id.in_(teacher_ids))


async def needs_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Need]]:
    """DataLoader batch: each teacher's ranked needs; ``[]`` for a teacher the actor cannot read."""
    found = await assess(session, actor, teachers_by_ids(actor, teacher_ids))
    return [found.get(teacher_id, []) for teacher_id in teacher_ids]
