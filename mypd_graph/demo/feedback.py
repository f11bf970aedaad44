"""Training records and observations: past PD (from the catalog or outside providers) and one to
three rated visits per teacher in 2025-26 by their coach and their principal.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, NamedTuple

from mypd_graph import models
from mypd_graph.demo.basics import (
    CURRENT_YEAR,
    DEMO_TEACHER_EMAIL,
    at_utc,
    insert_all,
    insert_rows,
    school_day,
)
from mypd_graph.demo.practice import FOCUS_BY_CODE
from mypd_graph.demo.resources import resource_for
from mypd_graph.demo.state import Build

# Elements an observer typically rates in a visit, besides the teacher's own focus.
OBSERVED_ELEMENTS = ("1.1", "1.4", "1.6", "2.2", "2.6", "2.7", "3.4", "4.4", "5.2")

OBSERVATION_NOTES = {
    "coaching": (
        "Coaching cycle visit on {focus}. We agreed on one look-for beforehand; students were "
        "engaged in the opening task and we debriefed the same afternoon.",
        "Second visit of the coaching cycle, focused on {focus}. Clear progress since the last "
        "visit; next step is to make the routine independent of teacher prompting.",
    ),
    "informal": (
        "Informal visit during the work period. Good momentum; {focus} is visible in the "
        "lesson plan and partly in the lesson itself.",
    ),
    "formal": (
        "Formal observation with pre- and post-conference. Lesson objective posted and "
        "referenced; {focus} remains the area to grow, as the teacher noted in the pre-conference.",
        "Formal observation. Warm, well-managed classroom; evidence on {focus} is emerging and "
        "we set a concrete next step in the post-conference.",
    ),
    "walkthrough": (
        "Ten-minute walkthrough. Students on task, routines in place; look-for was {focus}.",
    ),
}


class TrainingSeed(NamedTuple):
    title: str
    provider: str
    hours: float
    elements: tuple[str, ...]
    max_years: int = 99  # induction is for teachers in their first years


EXTERNAL_TRAININGS = (
    TrainingSeed("AVID Summer Institute", "AVID Center", 24.0, ("1.5", "5.5")),
    TrainingSeed("Project GLAD Strategies for Language Acquisition",
                 "Orange County Department of Education", 12.0, ("3.6", "4.4")),
    TrainingSeed("California Mathematics Framework Overview",
                 "Los Angeles County Office of Education", 6.0, ("3.1", "3.3")),
    TrainingSeed("Kagan Cooperative Learning, Day 1", "Kagan Publishing", 6.0, ("2.2", "1.4")),
    TrainingSeed("Teacher Induction Program, Year 2", "Demo Unified Induction Program", 30.0,
                 ("6.1", "6.2"), max_years=3),
    TrainingSeed("Mandated Reporter Training", "California Department of Social Services", 2.0,
                 ("6.7",)),
    TrainingSeed("ELPAC Administration and Scoring", "California Department of Education", 3.0,
                 ("5.1", "3.6")),
    TrainingSeed("Youth Mental Health First Aid", "National Council for Mental Wellbeing", 8.0,
                 ("2.3", "2.1")),
)  # fmt: skip


async def insert_training(build: Build) -> None:
    """One to four past trainings per active teacher: a fitting catalog resource or an outside one."""
    rng = build.rng
    records: list[dict[str, Any]] = []
    record_elements: list[tuple[str, ...]] = []
    for teacher in build.teachers.values():
        if not teacher.active:
            continue
        for _ in range(rng.randint(1, 4)):
            completed = school_day(rng, date(2023, 6, 12), date(2026, 5, 15))
            code = rng.choice(teacher.focus + list(OBSERVED_ELEMENTS))
            resource = resource_for(build, teacher, code) if rng.random() < 0.6 else None
            if resource is not None:
                title, provider = resource.title, "Demo Unified Professional Learning"
                hours = max(0.5, round(resource.minutes / 30) / 2)
                elements = resource.elements
            else:
                fitting = [t for t in EXTERNAL_TRAININGS if teacher.seed.years <= t.max_years]
                title, provider, hours, elements, _ = rng.choice(fitting)
            records.append(
                {
                    "teacher_id": teacher.id,
                    "title": title,
                    "provider": provider,
                    "completed_on": completed,
                    "hours": hours,
                    "resource_id": build.resource_ids[resource.external_id] if resource else None,
                    "created_at": at_utc(completed + timedelta(days=3), 17),
                }
            )
            record_elements.append(elements)
    ids = await insert_rows(build.session, models.TrainingRecord, records)
    links = [
        {"training_record_id": record_id, "element_id": build.element_ids[code]}
        for record_id, elements in zip(ids, record_elements, strict=True)
        for code in elements
    ]
    await insert_all(build.session, models.TrainingRecordElement, links)
    build.counts["training records"] = len(ids)


async def insert_observations(build: Build) -> None:
    """1-3 visits per teacher in 2025-26: the coach first when there is one, the principal."""
    rng = build.rng
    top = len(build.level_ids)
    rows: list[dict[str, Any]] = []
    ratings: list[list[tuple[str, int]]] = []
    visited: list[tuple[str, date]] = []
    for teacher in build.teachers.values():
        count = 3 if teacher.email == DEMO_TEACHER_EMAIL else rng.randint(1, 3)
        days = sorted(school_day(rng, date(2025, 9, 22), date(2026, 4, 30)) for _ in range(count))
        practice = teacher.practice.get(CURRENT_YEAR, {})
        kinds_so_far: list[str] = []
        for number, day in enumerate(days):
            by_coach = teacher.coach is not None and number != 1
            observer = teacher.coach if by_coach else build.principal_of[teacher.seed.school]
            assert observer is not None
            kind = rng.choice(("coaching", "informal") if by_coach else ("formal", "walkthrough"))
            focus = teacher.focus[0] if teacher.focus else rng.choice(OBSERVED_ELEMENTS)
            # Notes follow the visits: the first coaching visit, then the second, ...
            notes = OBSERVATION_NOTES[kind]
            template = notes[min(kinds_so_far.count(kind), len(notes) - 1)]
            kinds_so_far.append(kind)
            rows.append(
                {
                    "teacher_id": teacher.id,
                    "observer_id": build.user_ids[observer],
                    "kind": kind,
                    "observed_on": day,
                    "notes": template.format(focus=_short(focus)),
                    "created_at": at_utc(day, 23, rng.randrange(60)),
                }
            )
            visited.append((teacher.seed.name, day))
            # The teacher's focus first, then a few of the usual look-fors.
            count_rated = 2 if kind == "walkthrough" else rng.randint(3, 5)
            codes = teacher.focus[:2]
            others = [code for code in OBSERVED_ELEMENTS if code not in codes]
            codes = codes + rng.sample(others, max(0, count_rated - len(codes)))
            rated = []
            for code in codes[:count_rated]:
                true_level = practice.get(code, 3 if teacher.seed.years > 5 else 2)
                level = true_level + rng.choice((-1, 0, 0, 0, 1))
                rated.append((code, min(top, max(1, level))))
            ratings.append(rated)
    ids = await insert_rows(build.session, models.Observation, rows)
    links = [
        {
            "observation_id": observation_id,
            "element_id": build.element_ids[code],
            "level_id": build.level_ids[level - 1],
            "note": "",
        }
        for observation_id, rated in zip(ids, ratings, strict=True)
        for code, level in rated
    ]
    await insert_all(build.session, models.ObservationRating, links)
    for observation_id, (name, day) in zip(ids, visited, strict=True):
        build.observations_of[name].append((observation_id, day))
    build.counts["observations"] = len(ids)


def _short(code: str) -> str:
    area = FOCUS_BY_CODE.get(code)
    return f"{area.short} (CSTP {code})" if area else f"CSTP {code}"
