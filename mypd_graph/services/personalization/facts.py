"""What a need is made of: the facts behind each signal, and how a need explains itself in words.

:mod:`mypd_graph.services.personalization.needs` reads the signals and builds these; the GraphQL layer, goal
suggestions, recommendations and the district views read them. Explanations are composed only when
asked for (:attr:`Need.signals`), so assessing a whole district builds no sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from mypd_graph.services.personalization.settings import PersonalizationSettings, Signal
from mypd_graph.services.students.figures import Norm
from mypd_graph.services.students.window import Basis, DataWindow

SIGNALS = tuple(Signal)
UNMAPPED = "no assessed subject is mapped to the element"  # compared by identity; see _describe


# --- facts: the data behind each signal ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ElementInfo:
    id: int
    code: str
    text: str
    order: int  # sorts elements in framework order
    framework_id: int
    identifier: str | None = None  # its CASE identifier, where the reader loaded it


@dataclass(frozen=True, slots=True)
class LevelInfo:
    id: int
    key: str
    label: str
    position: int


@dataclass(frozen=True, slots=True)
class SelfRatingFact:
    level: LevelInfo
    cycle: str
    via: str | None = None  # a rating of another framework's element, read through the crosswalk


@dataclass(frozen=True, slots=True)
class ObservedRatingFact:
    level: LevelInfo
    observed_on: date
    kind: str
    observation_id: int
    observer_id: int
    via: str | None = None  # a rating of another framework's element, read through the crosswalk


@dataclass(frozen=True, slots=True)
class SubjectFact:
    subject: str
    school_year: str
    students: int
    below: int
    norm: Norm | None
    basis: Basis = Basis.CURRENT
    window: DataWindow | None = None

    @property
    def share_below(self) -> float:
        return self.below / self.students if self.students else 0.0

    def value(self) -> float:
        share = self.share_below
        if self.norm is None:
            return share
        return min(1.0, max(0.0, share + (share - self.norm.share_below) / 2))


@dataclass(frozen=True, slots=True)
class GrowthFact:
    """A teacher's students' growth in one subject, in the year the status signal reads."""

    subject: str
    school_year: str
    students: int  # with a growth measure
    short: int  # grew less than typical

    @property
    def share_short(self) -> float:
        return self.short / self.students if self.students else 0.0


# Why the growth signal is missing when the district gives it no weight (compared by identity).
GROWTH_OFF = "off: the district gives students' growth no weight"


@dataclass(frozen=True, slots=True)
class TrainingFact:
    hours: float  # aligned to the element, in the window
    records: int  # aligned to the element, in the window
    other_hours: float  # every record of the teacher in the window
    since: date
    via: str | None = None  # hours on other frameworks' elements, read through the crosswalk


@dataclass(frozen=True, slots=True)
class Context:
    """What every need of one assessment shares: the settings, the scale, who is reading."""

    settings: PersonalizationSettings
    scale: tuple[LevelInfo, ...]  # the framework's current levels, lowest first
    viewer_id: int
    as_of: date
    crosswalk_note: str | None = None  # history no crosswalk carries to this framework

    @property
    def scale_size(self) -> int:
        return len(self.scale)


# --- the need and its signals --------------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _via(via: str | None) -> str:
    return f" ({via})" if via else ""


def _level_words(level: LevelInfo, scale_size: int) -> str:
    return f"{level.label} ({level.position} of {scale_size})"


@dataclass(frozen=True, slots=True)
class SignalReading:
    """One signal of one need: its value (``None`` when missing), weights and the data in words."""

    signal: Signal
    value: float | None
    weight: float  # the configured weight as a share of all four
    effective_weight: float | None  # renormalized over the present signals; None when missing
    evidence: tuple[str, ...]
    missing_reason: str | None

    @property
    def present(self) -> bool:
        return self.value is not None

    @property
    def contribution(self) -> float | None:
        if self.value is None or self.effective_weight is None:
            return None
        return self.value * self.effective_weight


def leading_signal(
    values: tuple[float | None, ...], weights: Mapping[Signal, float]
) -> Signal | None:
    """The present signal that adds the most to a need's score (the first such in signal order
    on a tie), found from the four values (in :data:`SIGNALS` order) alone: nothing is put into
    words."""
    present = [(s, v) for s, v in zip(SIGNALS, values, strict=True) if v is not None]
    total = sum(weights[signal] for signal, _ in present)
    if not total:
        return None
    # the same arithmetic as SignalReading.contribution, so ties break the same way
    return max(present, key=lambda item: item[1] * (weights[item[0]] / total))[0]


@dataclass(slots=True)
class Need:
    """A teacher's need in one element. Signals are described lazily (only when read)."""

    teacher_id: int
    element: ElementInfo
    is_focus: bool
    values: tuple[float | None, ...]  # one per signal, in SIGNALS order
    subjects: tuple[SubjectFact, ...]
    student_missing: str | None
    training: TrainingFact | None
    self_rating: SelfRatingFact | None
    observed_rating: ObservedRatingFact | None
    context: Context
    score: float | None = None
    rank: int | None = None
    _signals: tuple[SignalReading, ...] | None = field(default=None, repr=False)
    growth: tuple[GrowthFact, ...] = ()
    growth_missing: str | None = GROWTH_OFF

    def effective_weights(self) -> dict[Signal, float]:
        weights = self.context.settings.weights
        present = {
            s: weights[s] for s, v in zip(SIGNALS, self.values, strict=True) if v is not None
        }
        total = sum(present.values())
        return {s: w / total for s, w in present.items()} if total else {}

    @property
    def signals(self) -> tuple[SignalReading, ...]:
        if self._signals is None:
            self._signals = tuple(self._reading(signal) for signal in SIGNALS)
        return self._signals

    @property
    def leading_signal(self) -> Signal | None:
        """The present signal that adds the most to the score (see :func:`leading_signal`)."""
        return leading_signal(self.values, self.context.settings.weights)

    @property
    def top_signal(self) -> SignalReading | None:
        """The reading of :attr:`leading_signal`."""
        signal = self.leading_signal
        return None if signal is None else self.signals[SIGNALS.index(signal)]

    @property
    def summary(self) -> str:
        readings = sorted(
            (r for r in self.signals if r.present), key=lambda r: -(r.contribution or 0.0)
        )
        if self.score is None:
            return f"{self.element.code}: not enough data for a need score"
        parts = [r.evidence[0] for r in readings if r.evidence]
        return f"{self.element.code} need {self.score:.2f}: " + "; ".join(parts)

    def _whose(self) -> str:
        return "your" if self.context.viewer_id == self.teacher_id else "the teacher's"

    def _seen(self) -> str:
        """Another viewer reads only the ratings shared with them, and is told so (the words
        neither confirm nor deny that a hidden one exists)."""
        return "" if self.context.viewer_id == self.teacher_id else " you may see"

    def _reading(self, signal: Signal) -> SignalReading:
        value = self.values[SIGNALS.index(signal)]
        weight = self.context.settings.normalized_weight(signal)
        effective = self.effective_weights().get(signal)
        evidence, missing = self._describe(signal)
        return SignalReading(signal, value, weight, effective, evidence, missing)

    def _describe(self, signal: Signal) -> tuple[tuple[str, ...], str | None]:
        code, scale = self.element.code, self.context.scale_size
        if signal is Signal.STUDENT_PERFORMANCE:
            if self.student_missing is UNMAPPED:
                return (), f"no assessed subject is mapped to {code}"
            if self.student_missing is not None:
                return (), self.student_missing
            return tuple(self._subject_words(fact) for fact in self.subjects), None
        if signal is Signal.STUDENT_GROWTH:
            if self.growth_missing is not None:
                return (), self.growth_missing
            return tuple(self._growth_words(fact) for fact in self.growth), None
        if signal is Signal.TRAINING:
            fact = self.training
            if fact is None:
                return (), "no training records on file"
            since = fact.since.isoformat()
            if fact.records:
                plural = "record" if fact.records == 1 else "records"
                via = f"; {fact.via}" if fact.via else ""
                return (
                    f"{fact.hours:g} hours of training aligned to {code} since {since} "
                    f"({fact.records} {plural}){via}",
                ), None
            return (
                f"no training aligned to {code} since {since} "
                f"({fact.other_hours:g} hours on other elements)",
            ), None
        if signal is Signal.SELF_ASSESSMENT:
            if self.self_rating is None:
                return (), f"{code} is not rated in any self-assessment{self._seen()}{self._note()}"
            rating = self.self_rating
            return (
                f"self-rated {_level_words(rating.level, scale)} in the {rating.cycle} "
                f"self-assessment{_via(rating.via)}",
            ), None
        if self.observed_rating is None:
            return (), f"{code} is not rated in any observation{self._seen()}{self._note()}"
        observed = self.observed_rating
        return (
            f"rated {_level_words(observed.level, scale)} in {_article(observed.kind)} "
            f"{observed.kind} observation on "
            f"{observed.observed_on.isoformat()}{_via(observed.via)}",
        ), None

    def _note(self) -> str:
        note = self.context.crosswalk_note
        return f"; {note}" if note else ""

    def _growth_words(self, fact: GrowthFact) -> str:
        return (
            f"{_percent(fact.share_short)} grew less than typical in {fact.subject}, "
            f"{fact.school_year}: {fact.short} of {self._whose()} {fact.students} students with "
            "a growth measure (MAP Growth fall to spring, conditional growth percentile under 50)"
        )

    def _subject_words(self, fact: SubjectFact) -> str:
        """ "N of your M students" says what is counted: the students with results in the subject
        in the year the data window chose (named, with its assessments and why it speaks)."""
        whose = self._whose()
        this_year = " this year" if fact.basis is not Basis.COMPLETE else ""
        words = (
            f"{_percent(fact.share_below)} below standard in {fact.subject}, {fact.school_year}: "
            f"{fact.below} of {whose} {fact.students} students with results{this_year}"
        )
        if fact.norm is not None:
            words += f" (district: {_percent(fact.norm.share_below)} of {fact.norm.students:,})"
        if fact.window is not None:
            words += "; " + fact.window.explain(
                fact.subject, fact.school_year, fact.basis, f"{whose} students"
            )
        return words
