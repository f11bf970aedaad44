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

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    SelfAssessment,
    TeacherProfile,
)
from mypd_graph.services.access import (
    Actor,
    growth_teacher_ids,
    observation_shared,
    shared_with,
)
from mypd_graph.services.frameworks.carry import carry_signals
from mypd_graph.services.personalization.facts import (
    SIGNALS,
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
from mypd_graph.services.personalization.ranking import (
    GrowthSignal,
    NeedRow,
    RankedNeeds,
    ScoreCache,
    SharedFacts,
    StudentSignal,
    growth_signal,
    rating_value,
    results_by_teacher,
    student_signal,
)
from mypd_graph.services.personalization.settings import Signal, load_settings
from mypd_graph.services.personalization.signals import (
    connect_apart,
    focus_by_teacher,
    framework_elements,
    framework_levels,
    latest_observed_ratings,
    latest_self_ratings,
    subject_results_on,
    training_signal,
)
from mypd_graph.services.students.figures import (
    record_aggregate_read,
    subject_results,
)
from mypd_graph.services.students.growth_measures import teacher_growth

# The data model lives in .facts; callers import it from here with the functions.
__all__ = [
    "SIGNALS",
    "Context",
    "ElementInfo",
    "LevelInfo",
    "Need",
    "RankedNeeds",
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
    "teachers_by_ids",
]


async def assess(
    session: AsyncSession,
    actor: Actor,
    teachers: Select[tuple[int]],
    as_of: date | None = None,
    *,
    aggregate: ColumnElement[bool] | None = None,
    absence_weighs: bool = True,
) -> dict[int, RankedNeeds]:
    """Every need of every teacher in ``teachers`` (a select of teacher ids within the actor's reach),
    ranked. About ten statements whatever the number of teachers.

    The ratings are those the actor may see (a self-assessment shared with them, an observation
    of a kind that reaches them), so a need never quotes or uses one they may not; where
    ``aggregate`` holds, every rating counts: district views that add needs up over at least the
    district's minimum group size of teachers and show no single teacher's (insights.top_needs).
    ``absence_weighs=False`` (district views): no training aligned to an element is a missing
    training signal, not a need of 1 (docs/student-results.md, "Missing signals")."""
    today = as_of or datetime.now(UTC).date()
    settings = await load_settings(session, actor.district_id)
    if settings.framework_id is None:
        return {}
    await session.flush()  # the signals are read on the session's connection, past the ORM
    teacher_ids = list(await session.scalars(teachers))
    if not teacher_ids:
        return {}
    # The students' figures (and the district's norms) come from the summaries the writers of
    # results and rosters keep, which a request's own session does not write: when the pool can
    # spare a connection, the database reads them there while this one reads the ratings and
    # Python sorts them (two cores at work).
    apart = await connect_apart(session)
    reading_students = (
        None
        if apart is None
        else asyncio.create_task(subject_results_on(apart, actor, teachers, today))
    )
    try:
        elements = await framework_elements(session, settings.framework_id)
        levels = await framework_levels(session, settings.framework_id)
        focus = await focus_by_teacher(session, teachers)
        self_shown = shared_with(actor, SelfAssessment.teacher_id, SelfAssessment.audience)
        observed_shown = observation_shared(actor)
        if aggregate is not None:
            self_shown, observed_shown = or_(aggregate, self_shown), or_(aggregate, observed_shown)
        selfs = await latest_self_ratings(session, teachers, self_shown)
        observed = await latest_observed_ratings(session, teachers, observed_shown)
        since = settings.training_since(today)
        trained, training_totals = await training_signal(session, teachers, since, today)
        # History on another framework (before a switch) counts through the crosswalk.
        carried = await carry_signals(
            session,
            settings.framework_id,
            {element.id for element in elements},
            [level.id for level in sorted(levels.values(), key=lambda level: level.position)],
            selfs,
            observed,
            trained,
        )
        selfs, observed, trained = carried.selfs, carried.observed, carried.trained
        # Everything that does not need the students' results is prepared while they are read.
        scale = tuple(sorted(levels.values(), key=lambda level: level.position))
        scale_size = len(scale)
        mapping: dict[str, list[str]] = defaultdict(list)
        for subject, codes in settings.subject_elements.items():
            for code in codes:
                mapping[code].append(subject)
        context = Context(settings, scale, actor.user_id, today, carried.note)
        weights = tuple(settings.weights[signal] for signal in SIGNALS)
        full_hours = settings.training_full_hours
        value_of = {
            level_id: rating_value(level.position, scale_size) for level_id, level in levels.items()
        }
        # Per teacher, only the few elements with a rating or aligned training differ from the rest
        # of their subject group: ``special[teacher][element]`` holds their raw rows.
        special: dict[int, dict[int, list[Any]]] = defaultdict(dict)
        for (teacher, element), own in selfs.items():
            special[teacher].setdefault(element, [None, None, None])[0] = own
        for (teacher, element), seen in observed.items():
            special[teacher].setdefault(element, [None, None, None])[1] = seen
        for (teacher, element), aligned in trained.items():
            special[teacher].setdefault(element, [None, None, None])[2] = aligned
        groups: dict[tuple[str, ...], int] = {}
        where: dict[int, tuple[ElementInfo, int]] = {}
        for element in elements:
            subjects_key = tuple(mapping.get(element.code, ()))
            where[element.id] = (element, groups.setdefault(subjects_key, len(groups)))
        group_members: list[list[ElementInfo]] = [[] for _ in groups]
        for element, group in where.values():
            group_members[group].append(element)
        group_subjects = [list(key) for key in groups]
        group_lowered = [tuple(subject.lower() for subject in key) for key in groups]
        shared = SharedFacts(context, levels, since, group_members, where)
        no_special: dict[int, list[Any]] = {}
        # A group's student signal depends only on which of its subjects the teacher has results
        # in: groups naming the same ones share it, and "no results" reads the same for everyone.
        without_results: dict[tuple[int, str], StudentSignal] = {}
        if reading_students is None:
            subject_rows, norms = await subject_results(session, actor, teachers, today)
        else:
            subject_rows, norms = await reading_students
    except BaseException:
        if reading_students is not None:
            reading_students.cancel()
            await asyncio.gather(reading_students, return_exceptions=True)
        raise
    latest = results_by_teacher(subject_rows)
    # Students' growth, the optional fifth signal: read only when the district weighs it, in
    # the years the status signal reads (services.students.growth_measures).
    growth_on = settings.weights[Signal.STUDENT_GROWTH] > 0
    growth_rows = (
        await teacher_growth(session, actor, teachers, {row.school_year for row in subject_rows})
        if growth_on and subject_rows
        else []
    )
    growth_by_teacher: dict[int, dict[str, Any]] = defaultdict(dict)
    for figure in growth_rows:
        growth_by_teacher[figure.teacher_id][(figure.subject.lower(), figure.school_year)] = figure
    if subject_rows:
        record_aggregate_read(
            session,
            actor,
            {row.teacher_id for row in subject_rows},
            "needs: students' results aggregated per teacher and subject",
            of_teachers=True,
        )

    scores = ScoreCache(weights)
    answer: dict[int, RankedNeeds] = {}
    for teacher_id in teacher_ids:
        whose = "your" if actor.user_id == teacher_id else "the teacher's"
        results = {row.subject.lower(): row for row in latest.get(teacher_id, [])}
        teacher_hours = training_totals.get(teacher_id)
        untrained = None if teacher_hours is None else TrainingFact(0.0, 0, teacher_hours, since)
        untrained_value = None if teacher_hours is None or not absence_weighs else 1.0
        students: list[StudentSignal] = []
        by_present: dict[tuple[str, ...], StudentSignal] = {}
        for group, lowered in enumerate(group_lowered):
            present = tuple(subject for subject in lowered if subject in results)
            if present:
                student = by_present.get(present)
                if student is None:
                    student = by_present[present] = student_signal(
                        group_subjects[group], results, norms, settings, whose
                    )
            else:
                student = without_results.get((group, whose))
                if student is None:
                    student = without_results[(group, whose)] = student_signal(
                        group_subjects[group], results, norms, settings, whose
                    )
            students.append(student)
        growths: list[GrowthSignal] | None = None
        if growth_on:
            measured = growth_by_teacher.get(teacher_id, {})
            growth_of = {
                subject: measured[(subject, row.school_year)]
                for subject, row in results.items()
                if (subject, row.school_year) in measured
            }
            by_growth: dict[tuple[str, ...], GrowthSignal] = {}
            growths = []
            for group, lowered in enumerate(group_lowered):
                found = by_growth.get(lowered)
                if found is None:
                    found = by_growth[lowered] = growth_signal(
                        group_subjects[group], results, growth_of, settings, whose
                    )
                growths.append(found)
        plain = []
        for group, student in enumerate(students):
            values = (
                student[0],
                untrained_value,
                None,
                None,
                None if growths is None else growths[group][0],
            )
            plain.append((values, scores[values]))
        teacher_focus = focus.get(teacher_id, ())
        teacher_special = special.get(teacher_id, no_special)
        specials: list[NeedRow] = []
        for element_id, found in teacher_special.items():
            placed = where.get(element_id)
            if placed is None:  # a rating of a retired element, or of another framework
                continue
            element, group = placed
            own, seen, aligned = found
            training_value = untrained_value
            if aligned is not None and teacher_hours is not None:
                training_value = round(max(0.0, 1 - aligned[0] / full_hours), 4)
            values = (
                students[group][0],
                training_value,
                None if own is None else value_of[own[0]],
                None if seen is None else value_of[seen[0]],
                None if growths is None else growths[group][0],
            )
            score = scores[values]
            key = (1.0 if score is None else -score, element_id not in teacher_focus, element.order)
            specials.append((key, element, group, values, score, found))
        answer[teacher_id] = RankedNeeds(
            teacher_id,
            shared,
            students,
            plain,
            specials,
            teacher_special,
            teacher_focus,
            (untrained, teacher_hours),
            growths,
        )
    return answer


def teachers_by_ids(actor: Actor, teacher_ids: Sequence[int]) -> Select[tuple[int]]:
    """The requested teachers whose growth profile (needs, growth, goal suggestions,
    recommendations) the actor may read, as a select of ids: the teacher's own, and within reach
    where the teacher shares it with the actor's role (services.access.growth_teacher_ids)."""
    return growth_teacher_ids(actor).where(TeacherProfile.user_id.in_(teacher_ids))


async def needs_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[Sequence[Need]]:
    """DataLoader batch: each teacher's ranked needs; ``[]`` for a teacher the actor cannot read."""
    found = await assess(session, actor, teachers_by_ids(actor, teacher_ids))
    return [found.get(teacher_id, []) for teacher_id in teacher_ids]
