"""Each teacher's practice: the focus areas plans draw their goals and steps from, the true level
per element and year, the focus elements, and the self-assessments of both years.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from mypd_graph import models
from mypd_graph.demo.basics import (
    CURRENT_YEAR,
    DEMO_TEACHER_EMAIL,
    PRIOR_YEAR,
    SCHOOL_YEARS,
    at_utc,
    insert_all,
    insert_rows,
    school_day,
)
from mypd_graph.demo.state import Build, Teacher


class FocusArea(NamedTuple):
    code: str
    short: str  # a noun phrase for notes and evidence titles
    goal: str
    steps: tuple[str, str]


FOCUS_AREAS = (
    FocusArea("1.4", "varied strategies for diverse learners",
              "Use a wider range of strategies and resources so every learner has a way in",
              ("Plan one lesson a week with two ways to access the task",
               "Survey students on which supports helped them most")),
    FocusArea("1.5", "problem solving and critical thinking",
              "Increase the time students spend reasoning through rich problems",
              ("Replace one worksheet a week with an open problem",
               "Track the share of students who explain their reasoning aloud")),
    FocusArea("1.6", "checking for understanding",
              "Check for understanding during lessons and adjust instruction on the spot",
              ("Plan a hinge question at the midpoint of every lesson",
               "Use whiteboards daily and re-teach when fewer than 80% are correct")),
    FocusArea("2.2", "student-to-student discourse",
              "Arrange the room and routines so students talk with each other about content",
              ("Reorganize seating into table groups with assigned roles",
               "Teach and practice three discourse stems")),
    FocusArea("2.5", "clear behavior expectations",
              "Communicate and hold consistent, positive expectations for behavior",
              ("Co-create class norms and post them",
               "Log positive acknowledgments and aim for four to one")),
    FocusArea("2.6", "classroom routines",
              "Tighten routines and transitions to protect instructional time",
              ("Script and rehearse the opening and closing routines",
               "Time transitions for two weeks and set a target")),
    FocusArea("3.3", "sequencing units for understanding",
              "Sequence units so students build understanding step by step",
              ("Map the unit's learning progression with my course team",
               "Add a spiral review warm-up that revisits prior units")),
    FocusArea("3.4", "subject-specific instructional strategies",
              "Use instructional strategies that fit how my subject is learned",
              ("Observe a colleague's lesson that uses the strategy",
               "Try the strategy in two units and compare student work")),
    FocusArea("3.6", "access for English learners and students with IEPs",
              "Give English learners and students with IEPs access to grade-level content",
              ("Add language objectives and sentence frames to every lesson",
               "Meet monthly with the education specialist to plan accommodations")),
    FocusArea("4.1", "planning from students' readiness and language",
              "Plan instruction from students' academic readiness and language proficiency",
              ("Build a class profile from MAP, ELPAC and interest surveys",
               "Use the profile to plan groupings for each unit")),
    FocusArea("4.4", "scaffolded lesson planning",
              "Plan lessons with scaffolds that meet the learning needs of all students",
              ("Plan scaffolds for three students at different levels each week",
               "Review the plans with my coach and adjust")),
    FocusArea("4.5", "adapting plans to assessed needs",
              "Adapt plans and materials after each assessment to what students still need",
              ("Hold a re-teach day after every unit assessment",
               "Keep a log of adaptations and their effect")),
    FocusArea("5.2", "using assessment data",
              "Collect and analyze data from several sources to decide what to teach next",
              ("Analyze MAP instructional areas after each testing window",
               "Give a common formative assessment every two weeks")),
    FocusArea("5.4", "data-driven differentiation",
              "Use assessment data to set learning goals and differentiate instruction",
              ("Form flexible small groups from the latest data every three weeks",
               "Set a growth goal with each student after the winter window")),
    FocusArea("5.5", "student self-assessment and goal setting",
              "Involve students in assessing their own work and tracking progress to goals",
              ("Introduce student data folders",
               "Hold short goal conferences after each testing window")),
    FocusArea("6.1", "reflective practice",
              "Reflect on my teaching in a regular, structured way",
              ("Record one lesson a month and annotate it",
               "Write a short weekly reflection on one focus")),
    FocusArea("6.3", "collaboration with colleagues",
              "Collaborate with my team to analyze student work and plan",
              ("Bring student work to every PLC meeting",
               "Co-plan one unit with a colleague")),
    FocusArea("6.4", "partnership with families",
              "Partner with families to support student learning",
              ("Send a bilingual weekly update with one thing to try at home",
               "Make a positive call home to every family by October")),
)  # fmt: skip

FOCUS_BY_CODE = {area.code: area for area in FOCUS_AREAS}

# The demo teacher's own picks, so the README tour can name them.
DEMO_TEACHER_FOCUS = ("1.6", "5.2", "2.6")


def draw_practice_and_focus(build: Build) -> None:
    """Each active teacher's true level per element and year, their focus and self-ratings.

    Levels follow experience (new teachers mostly exploring, veterans applying or
    integrating); a struggling subject pulls its elements down; focus elements grow more
    between the years. Self-ratings are the true level, sometimes one step optimistic.
    """
    rng = build.rng
    top = len(build.level_ids)
    for teacher in build.teachers.values():
        if not teacher.active:
            continue
        years = teacher.seed.years
        if years <= 3:
            base = 2
        elif years <= 12:
            base = 2 if rng.random() < 0.4 else 3
        else:
            base = 4 if rng.random() < 0.25 else 3
        weak = {
            code
            for subject, effect in teacher.effects.items()
            if effect < -0.4
            for code in build.subject_elements.get(subject, ())
        }
        prior: dict[str, int] = {}
        for code in build.element_ids:
            step = rng.choices((-1, 0, 1), weights=(0.2, 0.68, 0.12))[0]
            prior[code] = min(top, max(1, base + step - (1 if code in weak else 0)))
        teacher.focus = _pick_focus(build, teacher, prior, weak)
        current = {
            code: min(top, level + (rng.random() < (0.45 if code in teacher.focus else 0.1)))
            for code, level in prior.items()
        }
        teacher.practice = {PRIOR_YEAR: prior, CURRENT_YEAR: current}
        teacher.self_ratings = {
            year: {
                code: min(top, level + (rng.random() < 0.15))
                for code, level in teacher.practice[year].items()
            }
            for year in SCHOOL_YEARS
        }


def _pick_focus(
    build: Build, teacher: Teacher, levels: dict[str, int], weak: set[str]
) -> list[str]:
    if teacher.email == DEMO_TEACHER_EMAIL:
        return list(DEMO_TEACHER_FOCUS)
    pool = [area.code for area in FOCUS_AREAS]
    weights = [1.0 + 3.0 * (code in weak) + (levels[code] <= 2) for code in pool]
    chosen: list[str] = []
    for _ in range(build.rng.randint(2, 4)):
        pick = build.rng.choices(range(len(pool)), weights=weights)[0]
        chosen.append(pool.pop(pick))
        weights.pop(pick)
    return chosen


async def insert_focus_and_self_assessments(build: Build) -> None:
    """Active teachers' focus elements and their self-assessments of both years."""
    rng = build.rng
    active = [t for t in build.teachers.values() if t.active]
    focus_rows = [
        {
            "teacher_id": teacher.id,
            "element_id": build.element_ids[code],
            "created_at": at_utc(date(2025, 8, 20), 17, i),
        }
        for teacher in active
        for i, code in enumerate(teacher.focus)
    ]
    await insert_all(build.session, models.FocusElement, focus_rows)
    build.counts["focus elements"] = len(focus_rows)

    windows = {
        PRIOR_YEAR: (date(2024, 9, 3), date(2024, 10, 11)),
        CURRENT_YEAR: (date(2025, 9, 2), date(2025, 10, 10)),
    }
    keys = [(teacher, year) for teacher in active for year in SCHOOL_YEARS]
    rows = [
        {
            "teacher_id": teacher.id,
            "cycle": year,
            "submitted_at": at_utc(school_day(rng, *windows[year]), 22, rng.randrange(60)),
        }
        for teacher, year in keys
    ]
    ids = await insert_rows(build.session, models.SelfAssessment, rows)
    ratings = [
        {
            "self_assessment_id": assessment_id,
            "element_id": build.element_ids[code],
            "level_id": build.level_ids[level - 1],
            "note": (
                "One of my focus elements this year."
                if year == CURRENT_YEAR and code in teacher.focus
                else ""
            ),
        }
        for assessment_id, (teacher, year) in zip(ids, keys, strict=True)
        for code, level in teacher.self_ratings[year].items()
    ]
    await insert_all(build.session, models.SelfAssessmentRating, ratings)
    build.counts["self-assessments"] = len(ids)
