"""Assessments and their results: NWEA MAP Growth and CAASPP Smarter Balanced scores for both
years, drawn around each student's ability, the year's drift and their teacher's effect.

They look like what the importer presets produce: MAP results carry a RIT score and an
achievement percentile and no achievement level (MAP files have none), judged by percentile
against the district's cut, and the spring result carries the fall-to-spring growth columns of a
Comprehensive Data File (conditional growth percentile, met projected growth) when the student
took the fall test; CAASPP results carry levels 1-4 and are the summative tests.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, NamedTuple

from mypd_graph import models
from mypd_graph.demo.basics import (
    CURRENT_YEAR,
    PRIOR_YEAR,
    SCHOOL_YEARS,
    insert_all,
    insert_rows,
    school_day,
)
from mypd_graph.demo.state import Build
from mypd_graph.services.students.status import refresh_result_status


class AssessmentSeed(NamedTuple):
    key: str
    name: str
    subject: str  # a key of the framework's subject_elements
    vendor: str
    family: str  # "map" | "caaspp"


ASSESSMENTS = (
    AssessmentSeed("nwea-map-math", "NWEA MAP Growth Math", "Math", "NWEA", "map"),
    AssessmentSeed("nwea-map-reading", "NWEA MAP Growth Reading", "ELA", "NWEA", "map"),
    AssessmentSeed(
        "caaspp-sb-math", "CAASPP Smarter Balanced Mathematics", "Math", "CDE", "caaspp"
    ),
    AssessmentSeed(
        "caaspp-sb-ela",
        "CAASPP Smarter Balanced English Language Arts/Literacy",
        "ELA",
        "CDE",
        "caaspp",
    ),
)
LEVEL_COUNT = 4
PROFICIENT_LEVEL = 3

MAP_GRADES = range(0, 11)  # K-10
CAASPP_GRADES = (3, 4, 5, 6, 7, 8, 11)
MAP_WINDOWS = {
    PRIOR_YEAR: {"Fall": date(2024, 9, 9), "Winter": date(2025, 1, 13), "Spring": date(2025, 5, 5)},
    CURRENT_YEAR: {
        "Fall": date(2025, 9, 8),
        "Winter": date(2026, 1, 12),
        "Spring": date(2026, 5, 4),
    },
}
CAASPP_WINDOWS = {PRIOR_YEAR: date(2025, 5, 12), CURRENT_YEAR: date(2026, 5, 11)}
# How far into the year a term sits: a teacher's effect has built up fully by the spring.
TERM_PROGRESS = {"Fall": 0.35, "Winter": 0.7, "Spring": 1.0}
MAP_GROWTH_BY_TERM = {"Fall": 0.0, "Winter": 0.55, "Spring": 1.0}

# MAP Growth status norms, approximately NWEA's 2020 norms: (fall mean RIT, fall-to-spring gain,
# standard deviation) for grades K-10. Demo data, not a reference.
MAP_NORMS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "Math": (
        (139.6, 18.5, 12.7), (160.1, 16.3, 13.3), (174.9, 14.5, 13.6), (187.6, 13.8, 13.9),
        (199.3, 12.0, 14.6), (209.0, 10.2, 15.5), (212.8, 9.3, 15.6), (218.0, 8.0, 16.8),
        (223.3, 6.9, 17.8), (225.8, 5.1, 18.5), (229.5, 4.0, 19.2),
    ),
    "ELA": (
        (136.7, 17.0, 12.4), (155.9, 16.0, 13.6), (171.4, 13.0, 15.3), (185.6, 10.0, 16.2),
        (196.7, 7.0, 16.1), (204.5, 6.0, 15.8), (210.2, 4.0, 15.5), (214.2, 3.0, 15.8),
        (218.4, 3.0, 16.2), (218.9, 2.0, 16.9), (221.9, 1.5, 17.3),
    ),
}  # fmt: skip
# National percentiles at which NWEA's linking study projects Smarter Balanced levels 2, 3 and 4.
LEVEL_PERCENTILES = {"Math": (35.0, 62.0, 84.0), "ELA": (27.0, 48.0, 77.0)}
# Smarter Balanced threshold scale scores (lowest score of levels 2, 3 and 4) by grade.
SBAC_CUTS: dict[str, dict[int, tuple[int, int, int]]] = {
    "ELA": {
        3: (2367, 2432, 2490), 4: (2416, 2473, 2533), 5: (2442, 2502, 2582),
        6: (2457, 2531, 2618), 7: (2479, 2552, 2649), 8: (2487, 2567, 2668),
        11: (2493, 2583, 2682),
    },
    "Math": {
        3: (2381, 2436, 2501), 4: (2411, 2485, 2549), 5: (2455, 2528, 2579),
        6: (2473, 2552, 2610), 7: (2484, 2567, 2635), 8: (2504, 2586, 2653),
        11: (2543, 2628, 2718),
    },
}  # fmt: skip


def _percentile(z: float) -> float:
    return 50.0 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _map_result(subject: str, grade: int, term: str, z: float) -> tuple[float, int, int]:
    """RIT score, national percentile and projected Smarter Balanced level for a z-score."""
    fall, gain, sd = MAP_NORMS[subject][grade]
    rit = round(fall + gain * MAP_GROWTH_BY_TERM[term] + z * sd)
    pct = _percentile(z)
    level = 1 + sum(pct >= cut for cut in LEVEL_PERCENTILES[subject])
    return float(rit), min(99, max(1, round(pct))), level


GROWTH_SPREAD = 0.6  # the spread of fall-to-spring changes in z, measurement error included
GROWTH_ERROR = 0.45  # a growth estimate's own error (two tests' standard errors), in z


def _growth_percentile(fall_z: float, spring_z: float, key: str) -> int:
    """A conditional growth percentile from the change in standing between fall and spring
    (growth like that of students who started alike is the 50th) plus the estimate's error,
    drawn from its own generator seeded by ``key``: the demo's shared generator is not touched,
    so every other figure stays as it was."""
    error = random.Random(key).gauss(0.0, GROWTH_ERROR)
    return min(99, max(1, round(_percentile((spring_z - fall_z + error) / GROWTH_SPREAD))))


def _caaspp_result(subject: str, grade: int, z: float) -> tuple[float, int]:
    """A Smarter Balanced scale score and its achievement level, consistent with the cut scores."""
    pct = _percentile(z)
    pct_edges = (0.0, *LEVEL_PERCENTILES[subject], 100.0)
    level2, level3, level4 = SBAC_CUTS[subject][grade]
    score_edges = (level2 - 140, level2, level3, level4, level4 + 120)
    level = 1 + sum(pct >= cut for cut in LEVEL_PERCENTILES[subject])
    share = (pct - pct_edges[level - 1]) / (pct_edges[level] - pct_edges[level - 1])
    low, high = score_edges[level - 1], score_edges[level] - 1
    return float(round(low + share * (high - low))), level


async def insert_assessments(build: Build) -> None:
    """The four assessments and every result, then the summaries results' writers refresh."""
    rows = [
        {
            "district_id": build.district_id,
            "key": seed.key,
            "name": seed.name,
            "subject": seed.subject,
            "vendor": seed.vendor,
            "level_count": LEVEL_COUNT,
            "proficient_level": PROFICIENT_LEVEL,
            "proficiency_basis": "percentile" if seed.family == "map" else "level",
            "summative": seed.family == "caaspp",
        }
        for seed in ASSESSMENTS
    ]
    ids = await insert_rows(build.session, models.Assessment, rows)
    assessment_ids = {seed.key: id_ for seed, id_ in zip(ASSESSMENTS, ids, strict=True)}
    results = list(_results(build, assessment_ids))
    await insert_all(build.session, models.AssessmentResult, results)
    await refresh_result_status(build.session, build.district_id)
    build.counts["assessment results"] = len(results)


def _results(build: Build, assessment_ids: dict[str, int]) -> Iterator[dict[str, Any]]:
    """Scores correlated per student (ability), per year (drift) and per teacher (effect)."""
    rng = build.rng
    for index, student in enumerate(build.students):
        for year in SCHOOL_YEARS:
            grade = student.grade_in(year)
            if grade < 0:
                continue
            drift = rng.gauss(0.0, 0.15)
            for seed in ASSESSMENTS:
                teacher = build.taught_by.get((index, year, seed.subject))
                effect = build.teachers[teacher].effects[seed.subject] if teacher else 0.0
                if seed.family == "map" and grade in MAP_GRADES:
                    terms = list(MAP_WINDOWS[year].items())
                elif seed.family == "caaspp" and grade in CAASPP_GRADES:
                    terms = [("Spring", CAASPP_WINDOWS[year])]
                else:
                    continue
                fall_z: float | None = None
                for term, opens in terms:
                    z = (
                        student.ability[seed.subject]
                        + drift
                        + effect * TERM_PROGRESS[term]
                        + rng.gauss(0.0, 0.25)
                    )
                    if rng.random() < 0.03:
                        continue  # absent for the window and never made up
                    level: int | None
                    growth: int | None = None
                    if seed.family == "map":
                        score, percentile, _ = _map_result(seed.subject, grade, term, z)
                        level = None  # what a MAP file carries: no achievement level
                        if term == "Fall":
                            fall_z = z
                        elif term == "Spring" and fall_z is not None:
                            growth = _growth_percentile(fall_z, z, f"{index}/{year}/{seed.key}")
                    else:
                        score, level = _caaspp_result(seed.subject, grade, z)
                        percentile = None
                    yield {
                        "assessment_id": assessment_ids[seed.key],
                        "student_id": student.id,
                        "school_year": year,
                        "term": term,
                        "administered_on": school_day(rng, opens, opens + timedelta(days=11)),
                        "scale_score": score,
                        "achievement_level": level,
                        "percentile": percentile,
                        "growth_percentile": growth,
                        "met_projected_growth": None if growth is None else growth >= 50,
                        "import_id": None,
                    }
