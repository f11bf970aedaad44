"""What the demo's steps hand on to each other: the teachers and students being generated, the ids
already inserted, the counts for the summary, and the one seeded ``random.Random``.

Every step takes the one :class:`Build` and reads or extends it. The steps run in the fixed order
:func:`mypd_graph.demo.load.load_demo` gives them, so the draws are the same on every load.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.demo.basics import INACTIVE, PRIOR_YEAR, SEED, school_for_grade


class TeacherSeed(NamedTuple):
    """A row of the staff table (:data:`mypd_graph.demo.people.TEACHERS`)."""

    name: str
    school: str
    subjects: tuple[str, ...]
    years: int
    plan: str


class CatalogResource(NamedTuple):
    """A resource of the shipped catalog as the demo reads it back after syncing it."""

    id: int
    external_id: str
    title: str
    format: str  # course | video | workshop | article | coaching-cycle
    subjects: tuple[str, ...]  # empty: any subject
    grade_band: str
    minutes: int
    elements: tuple[str, ...]


@dataclass
class Student:
    """A student being generated; ``id`` is set once the row is inserted."""

    local_id: str
    first_name: str
    last_name: str
    grade: int  # index into GRADES, 2025-26
    english_learner: bool
    ability: dict[str, float]  # subject -> z-score against national norms
    from_feeder: bool = False
    id: int = 0

    def grade_in(self, year: str) -> int:
        return self.grade - (1 if year == PRIOR_YEAR else 0)

    def school_in(self, year: str) -> str | None:
        grade = self.grade_in(year)
        if grade < 0 or (year == PRIOR_YEAR and self.from_feeder):
            return None
        return school_for_grade(grade)


@dataclass
class Teacher:
    """A teacher being generated: their seed row and what the steps draw for them."""

    seed: TeacherSeed
    email: str
    effects: dict[str, float]
    id: int = 0
    coach: str | None = None  # the coach's email
    grades: list[int] = field(default_factory=list)
    practice: dict[str, dict[str, int]] = field(default_factory=dict)  # year -> code -> level
    focus: list[str] = field(default_factory=list)
    self_ratings: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.seed.plan != INACTIVE


@dataclass
class Build:
    """The state the steps share; ``rng`` is consumed in one fixed order."""

    session: AsyncSession
    framework_id: int
    level_ids: list[int]  # position 1..n -> id at index n-1
    element_ids: dict[str, int]
    subject_elements: dict[str, tuple[str, ...]]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    counts: dict[str, int] = field(default_factory=dict)
    district_id: int = 0
    school_ids: dict[str, int] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    principal_of: dict[str, str] = field(default_factory=dict)  # school key -> principal email
    teachers: dict[str, Teacher] = field(default_factory=dict)  # by name
    students: list[Student] = field(default_factory=list)
    # (student index, year, subject) -> the teacher who taught that subject that year
    taught_by: dict[tuple[int, str, str], str] = field(default_factory=dict)
    resource_ids: dict[str, int] = field(default_factory=dict)
    catalog: list[CatalogResource] = field(default_factory=list)
    district_goal_ids: list[int] = field(default_factory=list)
    # teacher name -> (observation id, day) of each visit, for the teacher's replies
    observations_of: defaultdict[str, list[tuple[int, date]]] = field(
        default_factory=lambda: defaultdict(list)
    )
