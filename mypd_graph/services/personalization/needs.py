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
from collections import Counter, defaultdict
from collections.abc import Collection, Container, Iterable, Sequence
from datetime import UTC, date, datetime
from operator import attrgetter, itemgetter
from typing import Any, overload

from sqlalchemy import Executable, Row, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.pool import NullPool, QueuePool

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
from mypd_graph.services.personalization.facts import (
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
from mypd_graph.services.personalization.settings import PersonalizationSettings, load_settings
from mypd_graph.services.students.figures import (
    Norm,
    SubjectResults,
    record_aggregate_read,
    subject_results,
)

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


# --- reading the signals (one statement each, for every teacher of the batch) -------------------


async def _core(session: AsyncSession, statement: Executable) -> Sequence[Row[Any]]:
    """Run a plain column select on the session's connection and fetch every row at once: the
    rows are tuples of values, and skipping the ORM's result machinery (and fetching row by row)
    saves a few microseconds per row (tens of thousands of ratings for a district)."""
    return (await (await session.connection()).execute(statement)).all()


async def framework_elements(session: AsyncSession, framework_id: int) -> list[ElementInfo]:
    standard = aliased(Standard)
    rows = await _core(
        session,
        select(Standard.id, Standard.code, Standard.text)
        .join(standard, standard.id == Standard.parent_id)
        .where(
            Standard.framework_id == framework_id,
            Standard.is_element.is_(True),
            Standard.retired.is_(False),
        )
        .order_by(standard.position, Standard.position),
    )
    return [
        ElementInfo(id_, code, text, order, framework_id)
        for order, (id_, code, text) in enumerate(rows)
    ]


async def _levels(session: AsyncSession, framework_id: int) -> dict[int, LevelInfo]:
    rows = await _core(
        session,
        select(RatingLevel.id, RatingLevel.key, RatingLevel.label, RatingLevel.position).where(
            RatingLevel.framework_id == framework_id
        ),
    )
    return {row[0]: LevelInfo(*row) for row in rows}


async def _focus(session: AsyncSession, teachers: Select[tuple[int]]) -> dict[int, set[int]]:
    """Each teacher's focus element ids."""
    rows = await _core(
        session,
        select(FocusElement.teacher_id, FocusElement.element_id).where(
            FocusElement.teacher_id.in_(teachers)
        ),
    )
    found: dict[int, set[int]] = defaultdict(set)
    for teacher, element in rows:
        found[teacher].add(element)
    return found


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
    rows = await _core(
        session,
        select(ranked.c.teacher_id, ranked.c.element_id, ranked.c.level_id, ranked.c.cycle).where(
            ranked.c.newest == 1
        ),
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
    rows = await _core(session, select(*list(ranked.c)[:-1]).where(ranked.c.newest == 1))
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}  # type: ignore[misc]


async def _training(
    session: AsyncSession, teachers: Select[tuple[int]], since: date, today: date
) -> tuple[dict[tuple[int, int], tuple[float, int]], dict[int, float]]:
    """Aligned hours per (teacher, element) in the window, and each teacher's hours in the window
    (a teacher with records but none recent is in the second dict with 0 hours)."""
    recent = and_(TrainingRecord.completed_on >= since, TrainingRecord.completed_on <= today)
    aligned = await _core(
        session,
        select(
            TrainingRecord.teacher_id,
            TrainingRecordElement.element_id,
            func.sum(TrainingRecord.hours),
            func.count(),
        )
        .join(TrainingRecord, TrainingRecord.id == TrainingRecordElement.training_record_id)
        .where(TrainingRecord.teacher_id.in_(teachers), recent)
        .group_by(TrainingRecord.teacher_id, TrainingRecordElement.element_id),
    )
    hours = {(t, e): (float(h or 0), int(n)) for t, e, h, n in aligned}
    totals = await _core(
        session,
        select(
            TrainingRecord.teacher_id,
            func.sum(case((recent, TrainingRecord.hours), else_=0.0)),
        )
        .where(TrainingRecord.teacher_id.in_(teachers))
        .group_by(TrainingRecord.teacher_id),
    )
    return hours, {t: float(h or 0) for t, h in totals}


# --- putting it together ------------------------------------------------------------------------


def _by_teacher(rows: Sequence[SubjectResults]) -> dict[int, list[SubjectResults]]:
    """The rows per teacher (one per subject: :func:`subject_results` reads each subject's newest
    school year only)."""
    by_teacher: dict[int, list[SubjectResults]] = defaultdict(list)
    for row in rows:
        by_teacher[row.teacher_id].append(row)
    return by_teacher


StudentSignal = tuple[float | None, tuple[SubjectFact, ...], str | None]


def _student_signal(
    mapped_subjects: list[str],
    results: dict[str, SubjectResults],
    norms: dict[tuple[str, str], Norm],
    settings: PersonalizationSettings,
    whose: str,
) -> StudentSignal:
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


# A row of one need before it is a Need: sort key (-score, not focus, order), element, subject
# group, the four signal values, the score, and the raw rating/training rows (None for a plain one).
_Row = tuple[tuple[float, bool, int], ElementInfo, int, tuple, float | None, Any]


class _Shared:
    """What every teacher's needs of one assessment share."""

    __slots__ = ("context", "levels", "since", "group_members", "where")

    def __init__(
        self,
        context: Context,
        levels: dict[int, LevelInfo],
        since: date,
        group_members: list[list[ElementInfo]],
        where: dict[int, tuple[ElementInfo, int]],
    ) -> None:
        self.context = context
        self.levels = levels
        self.since = since
        self.group_members = group_members  # per subject group, in framework order
        self.where = where  # element id -> (element, its group)

    def focus_members(self, group: int, focus: Collection[int]) -> list[ElementInfo]:
        """The group's elements among ``focus`` (a teacher has a few focus elements)."""
        where = self.where
        return [
            where[element][0]
            for element in focus
            if element in where and where[element][1] == group
        ]


class RankedNeeds(Sequence[Need]):
    """One teacher's needs, highest score first (unscored last; focus elements first among equals,
    then framework order).

    Every element's score is computed when the teacher is assessed, but most elements share it:
    the elements mapped to the same subjects, with no rating and no aligned training of their own,
    have the same four signal values. So a teacher is held as a few *groups* (one score each) and
    the *special* elements (their own score); the full order and the :class:`Need` objects are
    built only when read, and :meth:`top` finds the first few without ordering the rest. A district
    of 3,500 teachers is then about 60,000 small tuples, not 133,000 objects."""

    __slots__ = (
        "teacher_id",
        "_shared",
        "_students",
        "_groups",
        "_specials",
        "_special_ids",
        "_focus",
        "_training",
        "_rows",
        "_built",
    )

    def __init__(
        self,
        teacher_id: int,
        shared: _Shared,
        students: list[tuple[float | None, tuple[SubjectFact, ...], str | None]],
        groups: list[tuple[tuple, float | None]],
        specials: list[_Row],
        special_ids: Container[int],
        focus: Collection[int],
        training: tuple[TrainingFact | None, float | None],
    ) -> None:
        self.teacher_id = teacher_id
        self._shared = shared
        self._students = students
        self._groups = groups  # per group: (values, score)
        self._specials = specials
        self._special_ids = special_ids  # every element with a row in ``specials`` (maybe more)
        self._focus = focus
        self._training = training  # (the fact without aligned training, the teacher's hours)
        self._rows: list[_Row] | None = None
        self._built: dict[int, Need] = {}

    def __len__(self) -> int:
        return sum(len(members) for members in self._shared.group_members)

    @overload
    def __getitem__(self, index: int) -> Need: ...
    @overload
    def __getitem__(self, index: slice) -> list[Need]: ...
    def __getitem__(self, index: int | slice) -> Need | list[Need]:
        rows = self._ordered()
        if isinstance(index, slice):
            return [self._need(rows, i) for i in range(*index.indices(len(rows)))]
        position = index if index >= 0 else len(rows) + index
        if not 0 <= position < len(rows):
            raise IndexError("need index out of range")
        return self._need(rows, position)

    def top(self, count: int) -> list[Need]:
        """The first ``count`` needs, without ordering the rest (the same objects as indexing
        gives once the rest is ordered)."""
        rows = self._top_rows(count)
        if self._rows is not None:  # ordered already: the needs indexing has built
            return self[: len(rows)]
        return [self._make(row, position) for position, row in enumerate(rows)]

    def top_scores(self, count: int) -> list[tuple[ElementInfo, float | None, tuple]]:
        """The first ``count`` needs as ``(element, score, signal values)``, without building
        the :class:`Need` objects: what district views add up over thousands of teachers."""
        return [(row[1], row[4], row[3]) for row in self._top_rows(count)]

    def _top_rows(self, count: int) -> list[_Row]:
        """A group can only contribute its first ``count`` members, focus elements first, to the
        overall first ``count``; and once ``count`` candidates score higher than a group, neither
        it nor any lower group can."""
        if count < 0:
            raise ValueError("count must not be negative")
        if self._rows is not None:
            return self._rows[:count]
        candidates = list(self._specials)
        members = self._shared.group_members
        groups = self._groups
        for group in sorted(range(len(groups)), key=lambda g: _first(groups[g][1])):
            first = _first(groups[group][1])
            if sum(1 for row in candidates if row[0][0] < first) >= count:
                break
            candidates += self._group_rows(group, members[group], count)
        candidates.sort(key=_KEY)
        return candidates[:count]

    def scores(self) -> list[tuple[ElementInfo, float]]:
        """``(element, score)`` of every scored need, in no particular order."""
        found = [(row[1], row[4]) for row in self._specials if row[4] is not None]
        for group, members in enumerate(self._shared.group_members):
            score = self._groups[group][1]
            if score is not None:
                special = self._special_ids
                found += [(element, score) for element in members if element.id not in special]
        return found

    @staticmethod
    def score_totals(assessed: Iterable[RankedNeeds]) -> list[tuple[ElementInfo, int, float]]:
        """Per element, over every teacher of ``assessed`` (one assessment): how many of its needs
        are scored and the sum of their scores. A group's score is added once per teacher and
        corrected for the group's special elements, not added element by element."""
        group_count: Counter[int] = Counter()
        group_sum: defaultdict[int, float] = defaultdict(float)
        own_count: Counter[int] = Counter()
        own_sum: defaultdict[int, float] = defaultdict(float)
        shared = None
        for needs in assessed:
            shared = needs._shared
            groups = needs._groups
            for group, (_, score) in enumerate(groups):
                if score is not None:
                    group_count[group] += 1
                    group_sum[group] += score
            for _, element, group, _, score, _ in needs._specials:
                instead = groups[group][1]
                if instead is not None:
                    own_count[element.id] -= 1
                    own_sum[element.id] -= instead
                if score is not None:
                    own_count[element.id] += 1
                    own_sum[element.id] += score
        if shared is None:
            return []
        return [
            (
                element,
                group_count[group] + own_count[element.id],
                group_sum[group] + own_sum[element.id],
            )
            for group, members in enumerate(shared.group_members)
            for element in members
        ]

    # --- building -------------------------------------------------------------------------------

    def _group_rows(
        self, group: int, members: list[ElementInfo], limit: int | None = None
    ) -> list[_Row]:
        """The group's plain elements as rows, focus elements first, then framework order (their
        order in the full list, since they share a score); only the first ``limit`` if given."""
        values, score = self._groups[group]
        first = 1.0 if score is None else -score
        focus, special = self._focus, self._special_ids
        if limit is None:
            chosen = [e for e in members if e.id in focus and e.id not in special]
            chosen += (e for e in members if e.id not in focus and e.id not in special)
        else:  # a few focus elements, then the group's first plain ones: stop early
            chosen = sorted(
                (e for e in self._shared.focus_members(group, focus) if e.id not in special),
                key=_ORDER,
            )
            for element in members:
                if len(chosen) >= limit:
                    break
                if element.id not in focus and element.id not in special:
                    chosen.append(element)
            del chosen[limit:]
        return [
            ((first, e.id not in focus, e.order), e, group, values, score, None) for e in chosen
        ]

    def _ordered(self) -> list[_Row]:
        if self._rows is None:
            rows = list(self._specials)
            for group, members in enumerate(self._shared.group_members):
                rows += self._group_rows(group, members)
            rows.sort(key=_KEY)
            self._rows = rows
        return self._rows

    def _need(self, rows: list[_Row], position: int) -> Need:
        need = self._built.get(position)
        if need is None:
            need = self._built[position] = self._make(rows[position], position)
        return need

    def _make(self, row: _Row, position: int) -> Need:
        (_, not_focus, _), element, group, values, score, found = row
        shared = self._shared
        student = self._students[group]
        training, teacher_hours = self._training
        self_rating = observed_rating = None
        if found is not None:
            own, observed, aligned = found
            if own is not None:
                self_rating = SelfRatingFact(shared.levels[own[0]], own[1])
            if observed is not None:
                observed_rating = ObservedRatingFact(shared.levels[observed[0]], *observed[1:])
            if aligned is not None and teacher_hours is not None:
                training = TrainingFact(*aligned, teacher_hours, shared.since)
        return Need(
            self.teacher_id,
            element,
            not not_focus,
            values,
            student[1],
            student[2],
            training,
            self_rating,
            observed_rating,
            shared.context,
            score,
            position + 1 if score is not None else None,
        )


_KEY = itemgetter(0)


def _first(score: float | None) -> float:
    """The first part of a need's sort key: highest score first, unscored last."""
    return 1.0 if score is None else -score


_ORDER = attrgetter("order")


async def _connect_apart(session: AsyncSession) -> AsyncConnection | None:
    """A second connection of the session's engine for the students' results, only when the pool
    has one to spare at once: reading apart must never make a request wait for the pool (every
    request holding one connection while waiting for a second would starve it). The check and
    the checkout run without yielding to the event loop, so no other request slips in between."""
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        return None  # bound to one connection: the caller reads in turn
    pool = engine.pool
    if isinstance(pool, QueuePool):
        limit = pool._max_overflow  # not public; -1 means no limit
        if pool.checkedin() == 0 and 0 <= limit <= pool.overflow():
            return None
    elif not isinstance(pool, NullPool):
        return None  # a pool of one shared connection (SQLite in memory)
    return await engine.connect()


async def _subject_results_on(
    connection: AsyncConnection, actor: Actor, teachers: Select[tuple[int]]
) -> tuple[list[SubjectResults], dict[tuple[str, str], Norm]]:
    """:func:`subject_results` in a short read-only session on ``connection`` (committed data, as
    every loader of a request reads), closing the connection after."""
    try:
        async with AsyncSession(bind=connection) as apart:
            return await subject_results(apart, actor, teachers)
    finally:
        await connection.close()


async def assess(
    session: AsyncSession, actor: Actor, teachers: Select[tuple[int]], as_of: date | None = None
) -> dict[int, RankedNeeds]:
    """Every need of every teacher in ``teachers`` (a select of teacher ids within the actor's reach),
    ranked. About ten statements whatever the number of teachers."""
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
    apart = await _connect_apart(session)
    reading_students = (
        None if apart is None else asyncio.create_task(_subject_results_on(apart, actor, teachers))
    )
    try:
        elements = await framework_elements(session, settings.framework_id)
        levels = await _levels(session, settings.framework_id)
        focus = await _focus(session, teachers)
        selfs = await latest_self_ratings(session, teachers)
        observed = await latest_observed_ratings(session, teachers)
        since = settings.training_since(today)
        trained, training_totals = await _training(session, teachers, since, today)
        # Everything that does not need the students' results is prepared while they are read.
        scale = tuple(sorted(levels.values(), key=lambda level: level.position))
        scale_size = len(scale)
        mapping: dict[str, list[str]] = defaultdict(list)
        for subject, codes in settings.subject_elements.items():
            for code in codes:
                mapping[code].append(subject)
        context = Context(settings, scale, actor.user_id, today)
        weights = tuple(settings.weights[signal] for signal in SIGNALS)
        full_hours = settings.training_full_hours
        value_of = {
            level_id: _rating_value(level.position, scale_size)
            for level_id, level in levels.items()
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
        shared = _Shared(context, levels, since, group_members, where)
        no_special: dict[int, list[Any]] = {}
        # A group's student signal depends only on which of its subjects the teacher has results
        # in: groups naming the same ones share it, and "no results" reads the same for everyone.
        without_results: dict[tuple[int, str], StudentSignal] = {}
        if reading_students is None:
            subject_rows, norms = await subject_results(session, actor, teachers)
        else:
            subject_rows, norms = await reading_students
    except BaseException:
        if reading_students is not None:
            reading_students.cancel()
            await asyncio.gather(reading_students, return_exceptions=True)
        raise
    latest = _by_teacher(subject_rows)
    if subject_rows:
        record_aggregate_read(
            session,
            actor,
            {row.teacher_id for row in subject_rows},
            "needs: students' results aggregated per teacher and subject",
        )

    scores = _Scores(weights)
    answer: dict[int, RankedNeeds] = {}
    for teacher_id in teacher_ids:
        whose = "your" if actor.user_id == teacher_id else "the teacher's"
        results = {row.subject.lower(): row for row in latest.get(teacher_id, [])}
        teacher_hours = training_totals.get(teacher_id)
        untrained = None if teacher_hours is None else TrainingFact(0.0, 0, teacher_hours, since)
        untrained_value = None if teacher_hours is None else 1.0
        students: list[StudentSignal] = []
        by_present: dict[tuple[str, ...], StudentSignal] = {}
        for group, lowered in enumerate(group_lowered):
            present = tuple(subject for subject in lowered if subject in results)
            if present:
                student = by_present.get(present)
                if student is None:
                    student = by_present[present] = _student_signal(
                        group_subjects[group], results, norms, settings, whose
                    )
            else:
                student = without_results.get((group, whose))
                if student is None:
                    student = without_results[(group, whose)] = _student_signal(
                        group_subjects[group], results, norms, settings, whose
                    )
            students.append(student)
        plain = []
        for student in students:
            values = (student[0], untrained_value, None, None)
            plain.append((values, scores[values]))
        teacher_focus = focus.get(teacher_id, ())
        teacher_special = special.get(teacher_id, no_special)
        specials: list[_Row] = []
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
        )
    return answer


class _Scores(dict[tuple, float | None]):
    """Scores by their four signal values, each computed once: the bench district's 133,000
    needs have about 1,700 distinct combinations of values."""

    def __init__(self, weights: tuple[float, float, float, float]) -> None:
        super().__init__()
        self.weights = weights

    def __missing__(self, values: tuple) -> float | None:
        score = self[values] = _score(values, self.weights)
        return score


def _score(
    values: tuple[float | None, float | None, float | None, float | None],
    weights: tuple[float, float, float, float],
) -> float | None:
    """The weighted mean of the present signals, or ``None`` when no signal but training is
    present (training alone does not establish a need). Unrolled: it runs for 100k+ needs."""
    student, training, own, seen = values
    if student is None and own is None and seen is None:
        return None
    w_student, w_training, w_own, w_seen = weights
    total = weighted = 0.0
    if student is not None:
        total += w_student
        weighted += w_student * student
    if training is not None:
        total += w_training
        weighted += w_training * training
    if own is not None:
        total += w_own
        weighted += w_own * own
    if seen is not None:
        total += w_seen
        weighted += w_seen * seen
    if not total:
        return None
    return round(min(1.0, max(0.0, weighted / total)), 4)


def teachers_by_ids(actor: Actor, teacher_ids: Sequence[int]) -> Select[tuple[int]]:
    """The requested teachers that the actor may read, as a select of ids."""
    return visible_teacher_ids(actor).where(TeacherProfile.user_id.in_(teacher_ids))


async def needs_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[Sequence[Need]]:
    """DataLoader batch: each teacher's ranked needs; ``[]`` for a teacher the actor cannot read."""
    found = await assess(session, actor, teachers_by_ids(actor, teacher_ids))
    return [found.get(teacher_id, []) for teacher_id in teacher_ids]
