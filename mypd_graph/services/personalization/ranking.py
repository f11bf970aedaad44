"""Needs scored and ranked: a teacher's needs held as subject groups plus special elements, ordered when read.

:func:`.needs.assess` builds a :class:`RankedNeeds` per teacher; top needs adds up scores without
building Need objects (:func:`score`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Container, Iterable, Sequence
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any, overload

from mypd_graph.services.personalization.facts import (
    GROWTH_OFF,
    UNMAPPED,
    Context,
    ElementInfo,
    GrowthFact,
    LevelInfo,
    Need,
    ObservedRatingFact,
    SelfRatingFact,
    SubjectFact,
    TrainingFact,
)
from mypd_graph.services.personalization.settings import PersonalizationSettings
from mypd_graph.services.students.figures import (
    Norm,
    SubjectResults,
)
from mypd_graph.services.students.growth_measures import GrowthFigure

# The data model lives in .facts; callers import it from here with the functions.


# --- putting it together ------------------------------------------------------------------------


def results_by_teacher(rows: Sequence[SubjectResults]) -> dict[int, list[SubjectResults]]:
    """The rows per teacher (one per subject: :func:`subject_results` reads the year the data
    window chooses for each)."""
    by_teacher: dict[int, list[SubjectResults]] = defaultdict(list)
    for row in rows:
        by_teacher[row.teacher_id].append(row)
    return by_teacher


StudentSignal = tuple[float | None, tuple[SubjectFact, ...], str | None]


def student_signal(
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
        facts.append(
            SubjectFact(
                row.subject, row.school_year, row.students, row.below, norm, row.basis, row.window
            )
        )
    total = sum(fact.students for fact in facts)
    value = sum(fact.value() * fact.students for fact in facts) / total
    return round(value, 4), tuple(facts), None


GrowthSignal = tuple[float | None, tuple[GrowthFact, ...], str | None]
GROWTH_OFF_SIGNAL: GrowthSignal = (None, (), GROWTH_OFF)


def growth_signal(
    mapped_subjects: list[str],
    results: dict[str, SubjectResults],
    growth: dict[str, GrowthFigure],
    settings: PersonalizationSettings,
    whose: str,
) -> GrowthSignal:
    """The students' growth signal of a subject group: the share of the teacher's students with
    a growth measure who grew less than typical, in the year the status signal reads for each
    subject (subjects combined by their student counts); missing, saying why, when no subject
    has measures for enough students."""
    if not mapped_subjects:
        return None, (), UNMAPPED
    found = []
    for subject in mapped_subjects:
        status = results.get(subject.lower())
        figure = growth.get(subject.lower())
        if status is not None and figure is not None and figure.school_year == status.school_year:
            found.append(figure)
    if not found:
        years = sorted(
            {results[s.lower()].school_year for s in mapped_subjects if s.lower() in results}
        )
        where = f" in {', '.join(years)}" if years else ""
        return (
            None,
            (),
            f"no growth measures for {whose} students in {' or '.join(mapped_subjects)}{where} "
            "(MAP Growth files carry them from the spring on)",
        )
    minimum = settings.minimum_group_size
    usable = [figure for figure in found if figure.students >= minimum]
    if not usable:
        small = ", ".join(f"{f.subject} {f.school_year}" for f in found)
        return (
            None,
            (),
            f"fewer than {minimum} of {whose} students have a growth measure in {small}; "
            "groups that small are not reported",
        )
    facts = tuple(
        GrowthFact(f.subject, f.school_year, f.students, f.short)
        for f in sorted(usable, key=lambda f: f.subject)
    )
    total = sum(fact.students for fact in facts)
    return round(sum(fact.short for fact in facts) / total, 4), facts, None


def rating_value(position: int, scale_size: int) -> float:
    if scale_size < 2:
        return 0.0
    return min(1.0, max(0.0, (scale_size - position) / (scale_size - 1)))


# A row of one need before it is a Need: sort key (-score, not focus, order), element, subject
# group, the signal values, the score, and the raw rating/training rows (None for a plain one).
NeedRow = tuple[tuple[float, bool, int], ElementInfo, int, tuple, float | None, Any]


class SharedFacts:
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
        "_growth",
    )

    def __init__(
        self,
        teacher_id: int,
        shared: SharedFacts,
        students: list[tuple[float | None, tuple[SubjectFact, ...], str | None]],
        groups: list[tuple[tuple, float | None]],
        specials: list[NeedRow],
        special_ids: Container[int],
        focus: Collection[int],
        training: tuple[TrainingFact | None, float | None],
        growth: list[GrowthSignal] | None = None,
    ) -> None:
        self.teacher_id = teacher_id
        self._growth = growth  # per group, like ``students``; None: the signal is off
        self._shared = shared
        self._students = students
        self._groups = groups  # per group: (values, score)
        self._specials = specials
        self._special_ids = special_ids  # every element with a row in ``specials`` (maybe more)
        self._focus = focus
        self._training = training  # (the fact without aligned training, the teacher's hours)
        self._rows: list[NeedRow] | None = None
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

    def _top_rows(self, count: int) -> list[NeedRow]:
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
    ) -> list[NeedRow]:
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

    def _ordered(self) -> list[NeedRow]:
        if self._rows is None:
            rows = list(self._specials)
            for group, members in enumerate(self._shared.group_members):
                rows += self._group_rows(group, members)
            rows.sort(key=_KEY)
            self._rows = rows
        return self._rows

    def _need(self, rows: list[NeedRow], position: int) -> Need:
        need = self._built.get(position)
        if need is None:
            need = self._built[position] = self._make(rows[position], position)
        return need

    def _make(self, row: NeedRow, position: int) -> Need:
        (_, not_focus, _), element, group, values, score, found = row
        shared = self._shared
        student = self._students[group]
        growth = GROWTH_OFF_SIGNAL if self._growth is None else self._growth[group]
        training, teacher_hours = self._training
        self_rating = observed_rating = None
        if found is not None:
            own, observed, aligned = found
            if own is not None:
                self_rating = SelfRatingFact(shared.levels[own[0]], *own[1:])
            if observed is not None:
                observed_rating = ObservedRatingFact(shared.levels[observed[0]], *observed[1:])
            if aligned is not None and teacher_hours is not None:
                training = TrainingFact(*aligned[:2], teacher_hours, shared.since, *aligned[2:])
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
            growth=growth[1],
            growth_missing=growth[2],
        )


_KEY = itemgetter(0)


def _first(score: float | None) -> float:
    """The first part of a need's sort key: highest score first, unscored last."""
    return 1.0 if score is None else -score


_ORDER = attrgetter("order")


class ScoreCache(dict[tuple, float | None]):
    """Scores by their four signal values, each computed once: the bench district's 133,000
    needs have about 1,700 distinct combinations of values."""

    def __init__(self, weights: tuple[float, ...]) -> None:
        super().__init__()
        self.weights = weights

    def __missing__(self, values: tuple) -> float | None:
        score = self[values] = _score(values, self.weights)
        return score


def _score(
    values: tuple[float | None, ...],
    weights: tuple[float, ...],
) -> float | None:
    """The weighted mean of the present signals, or ``None`` when no signal but training is
    present (training alone does not establish a need). Unrolled: it runs for 100k+ needs."""
    student, training, own, seen, growth = values
    if student is None and own is None and seen is None and growth is None:
        return None
    w_student, w_training, w_own, w_seen, w_growth = weights
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
    if growth is not None:
        total += w_growth
        weighted += w_growth * growth
    if not total:
        return None
    return round(min(1.0, max(0.0, weighted / total)), 4)
