"""The demo district: a deterministic, realistic California K-12 district to try mypd_graph on.

``mypd-graph demo load`` and ``mypd-graph serve --demo`` sync the framework plugins, then call
:func:`load_demo` inside their transaction. The district uses the CSTP (``cstp-2009``) as its active
framework. Everything is generated from fixed tables and one seeded ``random.Random`` with fixed
dates, so two loads into two empty databases write identical rows: screenshots, README examples and
bug reports stay reproducible.

Well-known accounts for the README tour (mint a token with ``mypd-graph token --email EMAIL``):

``DEMO_ADMIN_EMAIL`` = ``admin@demo.mypd.test``
    Alicia Moreno, district admin: sees the whole district.
``DEMO_TEACHER_EMAIL`` = ``elena.ramirez@demo.mypd.test``
    Elena Ramirez, Math 7 at Sally Ride Middle School, 4 years in the classroom. Three sections a
    year in 2024-25 and 2025-26; her students fall behind in math during the year (a clear
    student-performance need); her 2025-26 learning plan is *submitted* and waits for a decision;
    she has been observed by her coach and her principal.
``DEMO_COACH_EMAIL`` = ``david.chen@demo.mypd.test``
    David Chen, secondary math and science coach; Elena is on his caseload of 11 teachers.
``DEMO_PRINCIPAL_EMAIL`` = ``robert.nakamura@demo.mypd.test``
    Robert Nakamura, principal of Sally Ride Middle School, Elena's school.
``DEMO_IMPORTER_EMAIL`` = ``importer@demo.mypd.test``
    The service account score imports run as.

Every other user is ``first.last@demo.mypd.test`` (ASCII, lowercase).

What is in it: three schools (Dolores Huerta Elementary K-5, Sally Ride Middle 6-8, Sierra Vista
High 9-12), 40 teachers, 3 coaches, 3 principals, about 800 students with sections and enrollments
for 2024-25 and 2025-26, NWEA MAP Growth (Fall/Winter/Spring) and CAASPP Smarter Balanced results
for both years, the PD resources of the CSTP catalog shipped with the built-in ``catalog`` provider
(``mypd_graph/providers/cstp_catalog.json``, synced through ``sync_resources`` like any provider's,
so recommendations work), three district initiatives, and for most teachers: focus elements,
self-assessments for both years, observations, past training, a 2025-26 learning plan (draft,
submitted, approved or completed, with its history), goals, action steps, evidence and comments.

Conventions other code can rely on:

- Assessment subjects are ``Math`` and ``ELA`` (MAP Reading counts as ELA), the keys of the
  framework's ``subject_elements``. MAP results carry NWEA's projected Smarter Balanced level, so
  every result speaks the same 1-4 scale (3 = standard met).
- Elementary homerooms are sections with subject ``Multiple Subjects``: the homeroom teacher teaches
  both Math and ELA. Secondary sections carry one subject each.
- Student ``grade_level`` is the 2025-26 grade; in 2024-25 a student was one grade lower (2024-25
  sections hold those students). Current kindergarteners have no 2024-25 records; 36 of the 84
  sixth graders came from feeder elementaries outside the demo (2024-25 results, no sections).
- PlanEvent actions are ``submit``, ``return``, ``approve`` and ``complete`` (services.plans.PlanAction). The teacher
  submits and completes; their coach (or, without one, their principal) returns or approves.

Loading uses bulk ``INSERT ... RETURNING`` (ids come back in row order) and takes a few seconds.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import pluggy
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.models import ActionStepStatus, PlanStatus, Role
from mypd_graph.plugins import PROJECT_NAME
from mypd_graph.plugins.manager import Contribution, PluginSet
from mypd_graph.providers.catalog import shipped_catalog
from mypd_graph.services.resources.library import sync_resources
from mypd_graph.services.students.status import refresh_result_status

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_COACH_EMAIL",
    "DEMO_IMPORTER_EMAIL",
    "DEMO_PRINCIPAL_EMAIL",
    "DEMO_TEACHER_EMAIL",
    "database_is_empty",
    "load_demo",
]

# --------------------------------------------------------------------------------------------
# Fixed points: seed, dates, keys
# --------------------------------------------------------------------------------------------

SEED = 2026
EMAIL_DOMAIN = "demo.mypd.test"
DEMO_ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
DEMO_IMPORTER_EMAIL = f"importer@{EMAIL_DOMAIN}"
DEMO_TEACHER_EMAIL = f"elena.ramirez@{EMAIL_DOMAIN}"
DEMO_COACH_EMAIL = f"david.chen@{EMAIL_DOMAIN}"
DEMO_PRINCIPAL_EMAIL = f"robert.nakamura@{EMAIL_DOMAIN}"

DISTRICT_KEY = "demo"
DISTRICT_NAME = "Demo Unified School District"
FRAMEWORK_KEY = "cstp-2009"

PRIOR_YEAR = "2024-25"
CURRENT_YEAR = "2025-26"
SCHOOL_YEARS = (PRIOR_YEAR, CURRENT_YEAR)
# The demo's "today": the last week of the 2025-26 school year, so every test window has passed.
AS_OF = date(2026, 6, 5)
ONBOARDED = date(2024, 7, 15)
FIRST_DAY = {PRIOR_YEAR: date(2024, 8, 14), CURRENT_YEAR: date(2025, 8, 13)}
GOALS_DUE = date(2026, 5, 29)
LAST_STEP_DONE = date(2026, 5, 8)  # plans are completed from May 11 on
# Winter and spring breaks (Saturday to Sunday): nobody observes or submits anything then.
SCHOOL_BREAKS = (
    (date(2024, 12, 21), date(2025, 1, 5)),
    (date(2025, 3, 29), date(2025, 4, 6)),
    (date(2025, 12, 20), date(2026, 1, 4)),
    (date(2026, 3, 28), date(2026, 4, 5)),
)

GRADES = ("K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
SECTION_SIZE = 32
MULTIPLE_SUBJECTS = "Multiple Subjects"

# --------------------------------------------------------------------------------------------
# Schools and staff
# --------------------------------------------------------------------------------------------


class SchoolSeed(NamedTuple):
    key: str
    code: str  # the 7-digit school part of a CDS code (fictional)
    name: str
    grade_band: str
    principal: str


SCHOOLS = (
    SchoolSeed("ES", "6101234", "Dolores Huerta Elementary School", "K-5", "Adriana Salazar"),
    SchoolSeed("MS", "6059876", "Sally Ride Middle School", "6-8", "Robert Nakamura"),
    SchoolSeed("HS", "1930457", "Sierra Vista High School", "9-12", "Denise Coleman"),
)

ADMIN_NAME = "Alicia Moreno"
IMPORTER_NAME = "Assessment Import Service"

# Plan values: a 2025-26 plan status, NO_PLAN (uses mypd, no plan yet) or INACTIVE (roster only).
NO_PLAN = "none"
INACTIVE = "inactive"
DRAFT, SUBMITTED, APPROVED, COMPLETED = (s.value for s in PlanStatus)

ELEMENTARY = ("ELA", "Math", "Science", "History-Social Science")


class TeacherSeed(NamedTuple):
    name: str
    school: str
    subjects: tuple[str, ...]
    years: int
    plan: str


TEACHERS = (
    TeacherSeed("Guadalupe Ortiz", "ES", ELEMENTARY, 22, COMPLETED),
    TeacherSeed("Emily Nguyen", "ES", ELEMENTARY, 3, SUBMITTED),
    TeacherSeed("Keisha Washington", "ES", ELEMENTARY, 11, APPROVED),
    TeacherSeed("Daniel Kim", "ES", ELEMENTARY, 6, APPROVED),
    TeacherSeed("Maribel Flores", "ES", ELEMENTARY, 15, COMPLETED),
    TeacherSeed("Jonathan Pereira", "ES", ELEMENTARY, 2, DRAFT),
    TeacherSeed("Priya Raman", "ES", ELEMENTARY, 8, APPROVED),
    TeacherSeed("Rebecca Goldberg", "ES", ELEMENTARY, 19, COMPLETED),
    TeacherSeed("Luis Castañeda", "ES", ELEMENTARY, 5, SUBMITTED),
    TeacherSeed("Tiana Brooks", "ES", ELEMENTARY, 9, APPROVED),
    TeacherSeed("Hannah Schultz", "ES", ELEMENTARY, 13, INACTIVE),
    TeacherSeed("Andre Mitchell", "ES", ELEMENTARY, 4, DRAFT),
    TeacherSeed("Jasmine Carter", "MS", ("ELA",), 7, APPROVED),
    TeacherSeed("Thomas O'Brien", "MS", ("ELA",), 25, COMPLETED),
    TeacherSeed("Elena Ramirez", "MS", ("Math",), 4, SUBMITTED),
    TeacherSeed("Kevin Tran", "MS", ("Math",), 10, APPROVED),
    TeacherSeed("Aaliyah Johnson", "MS", ("Math",), 2, DRAFT),
    TeacherSeed("Samuel Okafor", "MS", ("Science",), 12, APPROVED),
    TeacherSeed("Laura Bennett", "MS", ("Science",), 16, COMPLETED),
    TeacherSeed("Ricardo Mendoza", "MS", ("History-Social Science",), 9, SUBMITTED),
    TeacherSeed("Grace Park", "MS", ("History-Social Science",), 6, DRAFT),
    TeacherSeed("Brian Kowalski", "MS", ("Physical Education",), 18, INACTIVE),
    TeacherSeed("Yesenia Morales", "MS", ("Physical Education",), 7, NO_PLAN),
    TeacherSeed("Naomi Fischer", "MS", ("Visual and Performing Arts",), 11, SUBMITTED),
    TeacherSeed("Hoang Pham", "MS", ("English Language Development", "ELA"), 14, APPROVED),
    TeacherSeed("Michael Sullivan", "HS", ("ELA",), 14, APPROVED),
    TeacherSeed("Ana Lucía Herrera", "HS", ("ELA",), 8, SUBMITTED),
    TeacherSeed("Deborah Feldman", "HS", ("ELA",), 21, COMPLETED),
    TeacherSeed("Wei Zhang", "HS", ("Math",), 6, APPROVED),
    TeacherSeed("Carlos Gutierrez", "HS", ("Math",), 3, DRAFT),
    TeacherSeed("Patricia Reyes", "HS", ("Math",), 17, COMPLETED),
    TeacherSeed("Olivia Martin", "HS", ("Science",), 5, SUBMITTED),
    TeacherSeed("Rajesh Patel", "HS", ("Science",), 12, APPROVED),
    TeacherSeed("Sophia Andersen", "HS", ("Science",), 9, DRAFT),
    TeacherSeed("Jamal Robinson", "HS", ("History-Social Science",), 10, SUBMITTED),
    TeacherSeed("Catherine Wu", "HS", ("History-Social Science",), 15, APPROVED),
    TeacherSeed("Miguel Torres", "HS", ("History-Social Science",), 7, DRAFT),
    TeacherSeed("Kristen Olson", "HS", ("Physical Education",), 12, NO_PLAN),
    TeacherSeed("Isabel Navarro", "HS", ("World Languages",), 9, SUBMITTED),
    TeacherSeed("Darnell Hayes", "HS", ("Visual and Performing Arts",), 20, INACTIVE),
)

# Coaches are district staff (no school); each serves only the teachers on their caseload.
COACHES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Marisol Vega",
        "Elementary literacy coach",
        (
            "Guadalupe Ortiz", "Emily Nguyen", "Keisha Washington", "Daniel Kim",
            "Maribel Flores", "Jonathan Pereira", "Priya Raman", "Luis Castañeda",
            "Tiana Brooks", "Andre Mitchell",
        ),
    ),
    (
        "David Chen",
        "Secondary math and science coach",
        (
            "Elena Ramirez", "Kevin Tran", "Aaliyah Johnson", "Samuel Okafor", "Laura Bennett",
            "Wei Zhang", "Carlos Gutierrez", "Patricia Reyes", "Olivia Martin", "Rajesh Patel",
            "Sophia Andersen",
        ),
    ),
    (
        "Renee Jackson",
        "Secondary ELA, history and ELD coach",
        (
            "Jasmine Carter", "Thomas O'Brien", "Ricardo Mendoza", "Grace Park", "Hoang Pham",
            "Michael Sullivan", "Ana Lucía Herrera", "Deborah Feldman", "Jamal Robinson",
            "Catherine Wu", "Miguel Torres",
        ),
    ),
)  # fmt: skip

# How much a teacher moves their students' scores, in standard deviations, by the spring. These
# are the planted signals: Elena Ramirez, Andre Mitchell and Carlos Gutierrez in math and Jonathan
# Pereira and Jasmine Carter in reading have students who clearly struggle; a few veterans lift
# theirs. Every other teacher gets a small random effect.
TEACHER_EFFECTS: dict[str, dict[str, float]] = {
    "Elena Ramirez": {"Math": -0.95},
    "Andre Mitchell": {"Math": -0.8},
    "Carlos Gutierrez": {"Math": -0.85},
    "Jonathan Pereira": {"ELA": -0.85},
    "Jasmine Carter": {"ELA": -0.55},
    "Rebecca Goldberg": {"Math": 0.45, "ELA": 0.4},
    "Thomas O'Brien": {"ELA": 0.4},
    "Patricia Reyes": {"Math": 0.35},
}

# The demo teacher's own picks, so the README tour can name them.
DEMO_TEACHER_FOCUS = ("1.6", "5.2", "2.6")

# --------------------------------------------------------------------------------------------
# Courses: who teaches what to which grade. Students of a grade take every "all" course of their
# grade, English learners take ELD, and each student picks at most one "elective".
# --------------------------------------------------------------------------------------------


class CourseSeed(NamedTuple):
    school: str
    code: str
    name: str
    subject: str
    grade: str
    teachers: tuple[str, ...]
    takers: str = "all"  # "all" | "english-learners" | "elective"


def _homeroom(grade: str, *teachers: str) -> CourseSeed:
    name = "Kindergarten" if grade == "K" else f"Grade {grade}"
    return CourseSeed("ES", f"HR{grade}", name, MULTIPLE_SUBJECTS, grade, teachers)


_PE_MS = ("Brian Kowalski", "Yesenia Morales")
HSS = "History-Social Science"

COURSES: tuple[CourseSeed, ...] = (
    _homeroom("K", "Guadalupe Ortiz", "Emily Nguyen"),
    _homeroom("1", "Keisha Washington", "Daniel Kim"),
    _homeroom("2", "Maribel Flores", "Jonathan Pereira"),
    _homeroom("3", "Priya Raman", "Rebecca Goldberg"),
    _homeroom("4", "Luis Castañeda", "Tiana Brooks"),
    _homeroom("5", "Hannah Schultz", "Andre Mitchell"),
    CourseSeed("MS", "ELA6", "English Language Arts 6", "ELA", "6", ("Jasmine Carter",)),
    CourseSeed("MS", "ELA7", "English Language Arts 7", "ELA", "7", ("Jasmine Carter",)),
    CourseSeed("MS", "ELA8", "English Language Arts 8", "ELA", "8", ("Thomas O'Brien",)),
    CourseSeed("MS", "MATH6", "Math 6", "Math", "6", ("Kevin Tran",)),
    CourseSeed("MS", "MATH7", "Math 7", "Math", "7", ("Elena Ramirez",)),
    CourseSeed("MS", "MATH8", "Math 8", "Math", "8", ("Aaliyah Johnson",)),
    CourseSeed("MS", "SCI6", "Science 6 (Integrated)", "Science", "6", ("Samuel Okafor",)),
    CourseSeed("MS", "SCI7", "Science 7 (Integrated)", "Science", "7", ("Samuel Okafor",)),
    CourseSeed("MS", "SCI8", "Science 8 (Integrated)", "Science", "8", ("Laura Bennett",)),
    CourseSeed("MS", "HIST6", "World History: Ancient Civilizations", HSS, "6",
               ("Ricardo Mendoza",)),
    CourseSeed("MS", "HIST7", "World History: Medieval Times", HSS, "7", ("Ricardo Mendoza",)),
    CourseSeed("MS", "HIST8", "U.S. History and Geography", HSS, "8", ("Grace Park",)),
    *(
        CourseSeed("MS", f"PE{g}", f"Physical Education {g}", "Physical Education", g, _PE_MS)
        for g in ("6", "7", "8")
    ),
    *(
        CourseSeed(
            "MS", f"ELD{g}", f"English Language Development {g}", "English Language Development",
            g, ("Hoang Pham",), "english-learners",
        )
        for g in ("6", "7", "8")
    ),
    *(
        CourseSeed(
            "MS", f"ART{g}", f"Art {g}", "Visual and Performing Arts", g, ("Naomi Fischer",),
            "elective",
        )
        for g in ("6", "7", "8")
    ),
    CourseSeed("HS", "ENG9", "English 9", "ELA", "9", ("Michael Sullivan",)),
    CourseSeed("HS", "ENG10", "English 10", "ELA", "10", ("Deborah Feldman", "Michael Sullivan")),
    CourseSeed("HS", "ENG11", "English 11", "ELA", "11", ("Ana Lucía Herrera",)),
    CourseSeed(
        "HS", "ERWC", "Expository Reading and Writing", "ELA", "12",
        ("Deborah Feldman", "Ana Lucía Herrera"),
    ),
    CourseSeed("HS", "IM1", "Integrated Math 1", "Math", "9", ("Wei Zhang",)),
    CourseSeed("HS", "IM2", "Integrated Math 2", "Math", "10", ("Carlos Gutierrez",)),
    CourseSeed("HS", "IM3", "Integrated Math 3", "Math", "11", ("Patricia Reyes",)),
    CourseSeed("HS", "PRECALC", "Precalculus", "Math", "12", ("Patricia Reyes",)),
    CourseSeed("HS", "BIO", "Biology", "Science", "9", ("Olivia Martin",)),
    CourseSeed("HS", "CHEM", "Chemistry", "Science", "10", ("Rajesh Patel",)),
    CourseSeed("HS", "PHYS", "Physics", "Science", "11", ("Sophia Andersen",)),
    CourseSeed("HS", "ETHST", "Ethnic Studies", HSS, "9", ("Miguel Torres",)),
    CourseSeed("HS", "WHIST", "World History", HSS, "10", ("Jamal Robinson",)),
    CourseSeed("HS", "USHIST", "U.S. History", HSS, "11", ("Catherine Wu",)),
    CourseSeed("HS", "GOVECON", "Government and Economics", HSS, "12", ("Miguel Torres",)),
    CourseSeed("HS", "PE9", "Physical Education 9", "Physical Education", "9", ("Kristen Olson",)),
    CourseSeed("HS", "PE10", "Physical Education 10", "Physical Education", "10",
               ("Kristen Olson",)),
    *(
        CourseSeed(
            "HS", f"SPAN{g}", f"Spanish {level}", "World Languages", g, ("Isabel Navarro",),
            "elective",
        )
        for g, level in (("9", "1"), ("10", "2"), ("11", "3"), ("12", "4"))
    ),
    *(
        CourseSeed(
            "HS", f"BAND{g}", "Concert Band", "Visual and Performing Arts", g, ("Darnell Hayes",),
            "elective",
        )
        for g in ("9", "10", "11", "12")
    ),
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Students
# --------------------------------------------------------------------------------------------

STUDENTS_PER_GRADE = (
    {g: 48 for g in GRADES[:6]} | {g: 84 for g in GRADES[6:9]} | {g: 66 for g in GRADES[9:]}
)
SIXTH_GRADERS_FROM_HUERTA = 48  # the rest came from feeder elementaries outside the demo
ENGLISH_LEARNER_SHARE = 0.18

STUDENT_FIRST_NAMES = (
    "Sofia", "Mateo", "Isabella", "Santiago", "Camila", "Sebastian", "Valentina", "Leonardo",
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan", "Mia", "Lucas", "Amelia", "Elijah",
    "Harper", "Benjamin", "Evelyn", "Daniel", "Abigail", "Alexander", "Emily", "Jayden", "Aaliyah",
    "Jordan", "Zoe", "Isaiah", "Nevaeh", "Malik", "Imani", "Jamal", "Kai", "Leilani", "Mason",
    "Chloe", "Logan", "Ximena", "Diego", "Renata", "Emiliano", "Guadalupe", "Jose", "Angel",
    "Luna", "Gabriel", "Natalia", "Adrian", "Vanessa", "Joshua", "Samantha", "Kevin", "Jasmine",
    "Brandon", "Ashley", "Christopher", "Stephanie", "Minh", "Linh", "Bao", "Thu", "An", "Jin",
    "Hana", "Min-jun", "Seo-yeon", "Haruto", "Yuna", "Wei", "Mei", "Jia", "Hao", "Arjun",
    "Ananya", "Rohan", "Priya", "Aditya", "Isha", "Omar", "Layla", "Yusuf", "Amira", "Tigran",
    "Ani", "Nikolai", "Anastasia", "Paolo", "Maria", "Josiah", "Kayla", "Andre", "Destiny",
    "Tyler", "Madison", "Ryan", "Hailey", "Marcus", "Trinity", "Rafael", "Paloma", "Joaquin",
    "Marisol", "Elena", "Miguel", "Aiden", "Naomi", "Caleb", "Ruby",
)  # fmt: skip

STUDENT_LAST_NAMES = (
    "Garcia", "Hernandez", "Lopez", "Martinez", "Gonzalez", "Rodriguez", "Perez", "Sanchez",
    "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Morales", "Reyes",
    "Gutierrez", "Ortiz", "Chavez", "Ruiz", "Alvarez", "Mendoza", "Castillo", "Jimenez",
    "Vasquez", "Romero", "Herrera", "Medina", "Aguilar", "Nguyen", "Tran", "Le", "Pham", "Huynh",
    "Vo", "Kim", "Lee", "Park", "Choi", "Chen", "Wang", "Li", "Zhang", "Liu", "Huang", "Wong",
    "Santos", "Dela Cruz", "Bautista", "Patel", "Shah", "Singh", "Kumar", "Khan", "Ali", "Hakimi",
    "Sarkisian", "Petrosyan", "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
    "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Thompson", "White",
    "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter",
    "Phillips", "Evans", "Turner", "Washington", "Coleman", "Okafor", "Mensah", "Tanaka",
    "Nakamura", "Yamamoto", "Sato", "O'Connor", "Murphy", "Sullivan", "Novak", "Rossi", "Silva",
    "Cohen", "Friedman",
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Assessments: keys, windows, norms and cut scores
# --------------------------------------------------------------------------------------------


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

# --------------------------------------------------------------------------------------------
# PD resources (the shipped CSTP catalog) and the district's initiatives
# --------------------------------------------------------------------------------------------


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


class DistrictGoalSeed(NamedTuple):
    title: str
    description: str
    elements: tuple[str, ...]  # plan goals on these elements align to the initiative...
    subjects: tuple[str, ...]  # ...when the teacher teaches one of these (empty: anyone)


DISTRICT_GOALS = (
    DistrictGoalSeed(
        "Access and Equity for English Learners",
        "Integrated and designated ELD in every classroom, following the California English "
        "Learner Roadmap; raise the reclassification rate by 3 points by 2027.",
        ("1.2", "3.6", "4.1", "4.4"),
        (),
    ),
    DistrictGoalSeed(
        "Math Discourse and Problem Solving",
        "Implement the 2023 California Mathematics Framework: students reason, talk and solve "
        "problems daily; 5 more points of students meeting the CAASPP math standard by 2027.",
        ("1.5", "1.6", "3.3", "3.4", "4.3", "5.2", "5.4"),
        ("Math",),
    ),
    DistrictGoalSeed(
        "Every Student a Reader",
        "Every student reads at grade level by the end of grade 3, and reads complex text in "
        "every subject after that.",
        ("1.6", "3.1", "3.4", "5.2", "5.4"),
        ("ELA",),
    ),
)

# --------------------------------------------------------------------------------------------
# Growth: focus areas with their goals and action steps, observations, evidence, comments
# --------------------------------------------------------------------------------------------


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

EVIDENCE_TEMPLATES = (
    ("artifact", "Lesson plan: {focus}",
     "Annotated lesson plan showing where I planned for {focus}.", ""),
    ("reflection", "Reflection on {focus}",
     "What I tried, what students did, and what I will change next time.", ""),
    ("student_work", "Student work samples: {focus}",
     "Three samples (above, at and below the target) with my notes on next steps.", ""),
    ("link", "Classroom video clip: {focus}",
     "A six-minute clip from my classroom, shared with my coach.",
     "https://video.demo.mypd.test/clips/{n}"),
    ("file", "Formative assessment results: {focus}",
     "Exit-ticket results before and after the change.",
     "https://files.demo.mypd.test/evidence/{n}.pdf"),
)  # fmt: skip


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

GOAL_COMMENTS = (
    "Love this focus. Let's look at your exit tickets together at our next meeting.",
    "Strong goal. Can you name the data you'll use to know it worked?",
    "This connects well with the site plan; I'll send you two resources.",
)
EVIDENCE_COMMENTS = (
    "Great evidence. The student samples make your next steps very clear.",
    "Thanks for sharing this; please bring it to the next PLC so others can learn from it.",
    "Nice progress since the fall. What did students say about the change?",
)
OBSERVATION_REPLIES = (
    "Thank you for the feedback. I'll try the hinge question idea this week.",
    "Appreciated the debrief; I've added the next step to my plan.",
)
RETURN_NOTES = (
    "Please make goal 1 measurable: which student data will show progress?",
    "Please tie your goals to your focus elements before resubmitting.",
)
APPROVAL_NOTES = (
    "Approved. Clear goals tied to student data.",
    "Approved; nice alignment with the district initiative.",
    "Approved. Let's schedule the first coaching cycle.",
)
STEP_REFLECTIONS = (
    "Students responded well; I will keep this as a weekly routine.",
    "Harder than expected at first, but the second round went much more smoothly.",
    "The data showed a clear bump on the next unit assessment.",
    "Useful. I shared what I learned with my grade-level team.",
)

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


async def database_is_empty(session: AsyncSession) -> bool:
    """True when no district exists yet (frameworks may already be synced)."""
    return await session.scalar(select(models.District.id).limit(1)) is None


async def load_demo(session: AsyncSession) -> str:
    """Write the demo district in the caller's transaction (no commit); return a one-line summary.

    The ``cstp-2009`` framework must already be synced (``sync_frameworks``). Loading twice is
    refused with a clear message instead of a unique-constraint error halfway through.
    """
    if await session.scalar(select(models.District.id).where(models.District.key == DISTRICT_KEY)):
        raise RuntimeError(f"the demo district ({DISTRICT_KEY!r}) is already loaded")
    framework = await session.scalar(
        select(models.Framework).where(models.Framework.key == FRAMEWORK_KEY)
    )
    if framework is None:
        raise RuntimeError(f"framework {FRAMEWORK_KEY!r} is not synced; sync the plugins first")
    levels = list(
        await session.scalars(
            select(models.RatingLevel.id)
            .where(models.RatingLevel.framework_id == framework.id)
            .order_by(models.RatingLevel.position)
        )
    )
    elements = {
        code: element_id
        for code, element_id in await session.execute(
            select(models.Standard.code, models.Standard.id)
            .where(
                models.Standard.framework_id == framework.id,
                models.Standard.is_element.is_(True),
                models.Standard.retired.is_(False),
            )
            .order_by(models.Standard.code)
        )
    }
    subject_elements = {
        subject: tuple(str(code) for code in codes)  # type: ignore[union-attr]
        for subject, codes in framework.subject_elements.items()
    }
    builder = _DemoBuilder(session, framework.id, levels, elements, subject_elements)
    counts = await builder.build()
    return ", ".join(f"{count} {what}" for what, count in counts.items())


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def email_for(name: str) -> str:
    """``first.last@demo.mypd.test`` in plain ASCII (accents and apostrophes dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    parts = ["".join(ch for ch in part if ch.isalnum()) for part in ascii_name.lower().split()]
    return f"{parts[0]}.{parts[-1]}@{EMAIL_DOMAIN}"


def _at(day: date, hour: int = 23, minute: int = 0) -> datetime:
    """A fixed UTC moment on ``day``; 23:00 UTC is mid-afternoon in California."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _school_day(rng: random.Random, start: date, end: date) -> date:
    """A school day between start and end (inclusive), drawn uniformly and then moved off
    weekends (to Friday, or Monday) and breaks (to the Monday after)."""
    day = start + timedelta(days=rng.randrange((end - start).days + 1))
    for first, last in SCHOOL_BREAKS:
        if first <= day <= last:
            return last + timedelta(days=1)
    if day.weekday() >= 5:
        friday = day - timedelta(days=day.weekday() - 4)
        day = friday if friday >= start else day + timedelta(days=7 - day.weekday())
    return day


def _percentile(z: float) -> float:
    return 50.0 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _grade_span(band: str) -> range:
    low, _, high = band.partition("-")
    return range(GRADES.index(low), GRADES.index(high or low) + 1)


def _school_for_grade(grade: int) -> str:
    return "ES" if grade <= 5 else "MS" if grade <= 8 else "HS"


async def _insert(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Bulk INSERT ... RETURNING: the new ids in the order of ``rows``, in a few round trips.

    Core statements on the model's table (the ORM's bulk path costs three times as much here);
    rows carry every column, timestamps included, so no default like ``utcnow`` sneaks in.
    """
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(await session.scalars(statement, rows))


async def _insert_all(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk INSERT (executemany) of rows whose ids nobody needs back."""
    if rows:
        await session.execute(insert(model.__table__), rows)


def _map_result(subject: str, grade: int, term: str, z: float) -> tuple[float, int, int]:
    """RIT score, national percentile and projected Smarter Balanced level for a z-score."""
    fall, gain, sd = MAP_NORMS[subject][grade]
    rit = round(fall + gain * MAP_GROWTH_BY_TERM[term] + z * sd)
    pct = _percentile(z)
    level = 1 + sum(pct >= cut for cut in LEVEL_PERCENTILES[subject])
    return float(rit), min(99, max(1, round(pct))), level


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


@dataclass
class _Student:
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
        return _school_for_grade(grade)


@dataclass
class _Teacher:
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


# --------------------------------------------------------------------------------------------
# The builder: one method per group of tables, in foreign-key order
# --------------------------------------------------------------------------------------------


class _DemoBuilder:
    """Generates and inserts the district; ``rng`` is consumed in one fixed order."""

    def __init__(
        self,
        session: AsyncSession,
        framework_id: int,
        levels: list[int],
        elements: dict[str, int],
        subject_elements: dict[str, tuple[str, ...]],
    ) -> None:
        self.session = session
        self.rng = random.Random(SEED)
        self.framework_id = framework_id
        self.level_ids = levels  # position 1..n -> id at index n-1
        self.element_ids = elements
        self.subject_elements = subject_elements
        self.focus_areas = {area.code: area for area in FOCUS_AREAS}
        self.counts: dict[str, int] = {}
        self.district_id = 0
        self.school_ids: dict[str, int] = {}
        self.user_ids: dict[str, int] = {}
        self.principal_of: dict[str, str] = {}  # school key -> principal email
        self.teachers: dict[str, _Teacher] = {}  # by name
        self.students: list[_Student] = []
        # (student index, year, subject) -> the teacher who taught that subject that year
        self.taught_by: dict[tuple[int, str, str], str] = {}
        self.resource_ids: dict[str, int] = {}
        self.catalog: list[CatalogResource] = []
        self.district_goal_ids: list[int] = []
        # teacher name -> (observation id, day) of each visit, for the teacher's replies
        self.observations_of: dict[str, list[tuple[int, date]]] = defaultdict(list)

    async def build(self) -> dict[str, int]:
        await self._organization()
        await self._staff()
        await self._students()
        await self._sections()
        await self._assessments()
        await self._resources()
        await self._district_goals()
        self._practice_and_focus()
        await self._focus_and_self_assessments()
        await self._training()
        await self._observations()
        await self._plans()
        return self.counts

    # ---- district, schools, staff ------------------------------------------------------------

    async def _organization(self) -> None:
        (self.district_id,) = await _insert(
            self.session,
            models.District,
            [
                {
                    "key": DISTRICT_KEY,
                    "name": DISTRICT_NAME,
                    "active_framework_id": self.framework_id,
                    "created_at": _at(ONBOARDED, 17),
                }
            ],
        )
        rows = [
            {
                "district_id": self.district_id,
                "code": school.code,
                "name": school.name,
                "grade_band": school.grade_band,
                "created_at": _at(ONBOARDED, 17, 5),
            }
            for school in SCHOOLS
        ]
        ids = await _insert(self.session, models.School, rows)
        self.school_ids = {school.key: id_ for school, id_ in zip(SCHOOLS, ids, strict=True)}
        self.counts["schools"] = len(ids)

    async def _staff(self) -> None:
        people: list[tuple[str, str, Role, str | None]] = [
            (DEMO_ADMIN_EMAIL, ADMIN_NAME, Role.DISTRICT_ADMIN, None),
            (DEMO_IMPORTER_EMAIL, IMPORTER_NAME, Role.IMPORTER, None),
        ]
        for school in SCHOOLS:
            email = email_for(school.principal)
            self.principal_of[school.key] = email
            people.append((email, school.principal, Role.PRINCIPAL, school.key))
        people += [(email_for(name), name, Role.COACH, None) for name, _, _ in COACHES]
        for seed in TEACHERS:
            effects = {
                subject: TEACHER_EFFECTS.get(seed.name, {}).get(subject, self.rng.gauss(0.0, 0.12))
                for subject in ("Math", "ELA")
            }
            self.teachers[seed.name] = _Teacher(seed, email_for(seed.name), effects)
            people.append((email_for(seed.name), seed.name, Role.TEACHER, seed.school))
        emails = [email for email, *_ in people]
        assert len(set(emails)) == len(emails), "demo emails must be unique"
        rows = [
            {
                "district_id": self.district_id,
                "school_id": self.school_ids[school] if school else None,
                "email": email,
                "name": name,
                "role": role.value,
                "active": True,
                "created_at": _at(ONBOARDED, 18, index % 60),
            }
            for index, (email, name, role, school) in enumerate(people)
        ]
        ids = await _insert(self.session, models.User, rows)
        self.user_ids = dict(zip(emails, ids, strict=True))
        for teacher in self.teachers.values():
            teacher.id = self.user_ids[teacher.email]
        for coach_name, _, caseload in COACHES:
            for name in caseload:
                self.teachers[name].coach = email_for(coach_name)
        self.counts["teachers"] = len(TEACHERS)
        self.counts["coaches"] = len(COACHES)
        self.counts["principals"] = len(SCHOOLS)

    # ---- students, sections, enrollments ------------------------------------------------------

    async def _students(self) -> None:
        rng = self.rng
        state_ids = rng.sample(range(10**9, 10**10), sum(STUDENTS_PER_GRADE.values()))
        for grade_name, count in STUDENTS_PER_GRADE.items():
            grade = GRADES.index(grade_name)
            for number in range(count):
                general = rng.gauss(0.0, 1.0)
                english_learner = rng.random() < ENGLISH_LEARNER_SHARE
                ability = {
                    "Math": -0.1 + 0.8 * general + 0.6 * rng.gauss(0.0, 1.0),
                    "ELA": -0.05
                    + 0.8 * general
                    + 0.6 * rng.gauss(0.0, 1.0)
                    - (0.35 if english_learner else 0.0),
                }
                self.students.append(
                    _Student(
                        local_id=str(300001 + len(self.students)),
                        first_name=rng.choice(STUDENT_FIRST_NAMES),
                        last_name=rng.choice(STUDENT_LAST_NAMES),
                        grade=grade,
                        english_learner=english_learner,
                        ability=ability,
                        from_feeder=grade == 6 and number >= SIXTH_GRADERS_FROM_HUERTA,
                    )
                )
        rows = [
            {
                "district_id": self.district_id,
                "school_id": self.school_ids[_school_for_grade(student.grade)],
                "local_id": student.local_id,
                "state_id": str(state_id),
                "first_name": student.first_name,
                "last_name": student.last_name,
                "grade_level": GRADES[student.grade],
                # Rostered when they joined the district: kindergarteners and sixth graders
                # from outside the demo arrived for 2025-26.
                "created_at": _at(
                    FIRST_DAY[CURRENT_YEAR if student.school_in(PRIOR_YEAR) is None else PRIOR_YEAR]
                    - timedelta(days=10),
                    16,
                ),
            }
            for student, state_id in zip(self.students, state_ids, strict=True)
        ]
        ids = await _insert(self.session, models.Student, rows)
        for student, id_ in zip(self.students, ids, strict=True):
            student.id = id_
        self.counts["students"] = len(ids)

    def _takers(self, year: str) -> dict[str, list[int]]:
        """Student indexes per course code for one year: cohorts, ELD, and one elective each."""
        cohorts: dict[tuple[str, int], list[int]] = defaultdict(list)
        for index, student in enumerate(self.students):
            school = student.school_in(year)
            if school is not None:
                cohorts[(school, student.grade_in(year))].append(index)
        takers: dict[str, list[int]] = {}
        electives: dict[tuple[str, int], list[str]] = defaultdict(list)
        for course in COURSES:
            key = (course.school, GRADES.index(course.grade))
            cohort = cohorts.get(key, [])
            if course.takers == "all":
                takers[course.code] = list(cohort)
            elif course.takers == "english-learners":
                takers[course.code] = [i for i in cohort if self.students[i].english_learner]
            else:
                takers[course.code] = []
                electives[key].append(course.code)
        for key, codes in electives.items():
            options = [*codes, None]  # some students take an elective outside the demo
            for index in cohorts.get(key, []):
                choice = self.rng.choice(options)
                if choice is not None:
                    takers[choice].append(index)
        return takers

    async def _sections(self) -> None:
        rng = self.rng
        section_rows: list[dict[str, Any]] = []
        rosters: list[list[int]] = []
        rooms = {name: 100 + 2 * i for i, name in enumerate(t.name for t in TEACHERS)}
        for year in SCHOOL_YEARS:
            takers = self._takers(year)
            periods: dict[str, int] = defaultdict(int)
            created = _at(FIRST_DAY[year] - timedelta(days=14), 16)
            for course in COURSES:
                students = list(takers[course.code])
                if not students:
                    continue  # e.g. no 2024-25 twelfth graders are still in the district
                rng.shuffle(students)
                count = math.ceil(len(students) / SECTION_SIZE)
                for number in range(count):
                    teacher = self.teachers[course.teachers[number % len(course.teachers)]]
                    grade = GRADES.index(course.grade)
                    if grade not in teacher.grades:
                        teacher.grades.append(grade)
                    periods[teacher.seed.name] += 1
                    where = (
                        f"Room {rooms[teacher.seed.name]}"
                        if course.school == "ES"
                        else f"Period {periods[teacher.seed.name]}"
                    )
                    section_rows.append(
                        {
                            "school_id": self.school_ids[course.school],
                            "teacher_id": teacher.id,
                            "local_id": f"{year[2:4]}{year[5:]}-{course.code}-{number + 1:02d}",
                            "name": f"{course.name} ({where})",
                            "subject": course.subject,
                            "grade_level": course.grade,
                            "school_year": year,
                            "created_at": created,
                        }
                    )
                    roster = students[number::count]
                    rosters.append(roster)
                    subjects = (
                        ("Math", "ELA")
                        if course.subject == MULTIPLE_SUBJECTS
                        else (course.subject,)
                    )
                    for index in roster:
                        for subject in subjects:
                            self.taught_by[(index, year, subject)] = teacher.seed.name
        ids = await _insert(self.session, models.Section, section_rows)
        enrollments = [
            {"section_id": section_id, "student_id": self.students[index].id}
            for section_id, roster in zip(ids, rosters, strict=True)
            for index in roster
        ]
        await _insert_all(self.session, models.Enrollment, enrollments)
        self.counts["sections"] = len(ids)
        self.counts["enrollments"] = len(enrollments)

        profiles = [
            {
                "user_id": teacher.id,
                "school_id": self.school_ids[teacher.seed.school],
                "subjects": list(teacher.seed.subjects),
                "grade_levels": [GRADES[g] for g in sorted(teacher.grades)],
                "years_experience": teacher.seed.years,
                "bio": self._bio(teacher),
            }
            for teacher in self.teachers.values()
        ]
        await _insert_all(self.session, models.TeacherProfile, profiles)
        assignments = [
            {
                "coach_id": self.user_ids[teacher.coach],
                "teacher_id": teacher.id,
                "created_at": _at(date(2024, 8, 5), 17),
            }
            for teacher in self.teachers.values()
            if teacher.coach is not None
        ]
        await _insert_all(self.session, models.CoachAssignment, assignments)
        self.counts["coach assignments"] = len(assignments)

    @staticmethod
    def _bio(teacher: _Teacher) -> str:
        school = next(s.name for s in SCHOOLS if s.key == teacher.seed.school)
        grades = [GRADES[g] for g in sorted(teacher.grades)]
        if grades == ["K"]:
            grade_text = "kindergarten"
        elif len(grades) == 1:
            grade_text = f"grade {grades[0]}"
        else:
            grade_text = f"grades {', '.join(grades[:-1])} and {grades[-1]}"
        subjects = (
            "all subjects" if teacher.seed.subjects == ELEMENTARY else teacher.seed.subjects[0]
        )
        years = teacher.seed.years
        return (
            f"Teaches {grade_text} ({subjects}) at {school}; "
            f"{years} year{'s' if years != 1 else ''} in the classroom."
        )

    # ---- assessments and results --------------------------------------------------------------

    async def _assessments(self) -> None:
        rows = [
            {
                "district_id": self.district_id,
                "key": seed.key,
                "name": seed.name,
                "subject": seed.subject,
                "vendor": seed.vendor,
                "level_count": LEVEL_COUNT,
                "proficient_level": PROFICIENT_LEVEL,
            }
            for seed in ASSESSMENTS
        ]
        ids = await _insert(self.session, models.Assessment, rows)
        assessment_ids = {seed.key: id_ for seed, id_ in zip(ASSESSMENTS, ids, strict=True)}
        results = list(self._results(assessment_ids))
        await _insert_all(self.session, models.AssessmentResult, results)
        await refresh_result_status(self.session, self.district_id)
        self.counts["assessment results"] = len(results)

    def _results(self, assessment_ids: dict[str, int]) -> Iterator[dict[str, Any]]:
        """Scores correlated per student (ability), per year (drift) and per teacher (effect)."""
        rng = self.rng
        for index, student in enumerate(self.students):
            for year in SCHOOL_YEARS:
                grade = student.grade_in(year)
                if grade < 0:
                    continue
                drift = rng.gauss(0.0, 0.15)
                for seed in ASSESSMENTS:
                    teacher = self.taught_by.get((index, year, seed.subject))
                    effect = self.teachers[teacher].effects[seed.subject] if teacher else 0.0
                    if seed.family == "map" and grade in MAP_GRADES:
                        terms = list(MAP_WINDOWS[year].items())
                    elif seed.family == "caaspp" and grade in CAASPP_GRADES:
                        terms = [("Spring", CAASPP_WINDOWS[year])]
                    else:
                        continue
                    for term, opens in terms:
                        z = (
                            student.ability[seed.subject]
                            + drift
                            + effect * TERM_PROGRESS[term]
                            + rng.gauss(0.0, 0.25)
                        )
                        if rng.random() < 0.03:
                            continue  # absent for the window and never made up
                        if seed.family == "map":
                            score, percentile, level = _map_result(seed.subject, grade, term, z)
                        else:
                            score, level = _caaspp_result(seed.subject, grade, z)
                            percentile = None
                        yield {
                            "assessment_id": assessment_ids[seed.key],
                            "student_id": student.id,
                            "school_year": year,
                            "term": term,
                            "administered_on": _school_day(rng, opens, opens + timedelta(days=11)),
                            "scale_score": score,
                            "achievement_level": level,
                            "percentile": percentile,
                            "import_id": None,
                        }

    # ---- PD resources and district goals ----------------------------------------------------

    async def _resources(self) -> None:
        """The CSTP catalog shipped with the built-in ``catalog`` provider, synced through
        ``sync_resources`` like any provider's (a no-op when start-up synced it already), then
        read back in external-id order so the draws below are the same on every load."""
        provider = shipped_catalog()
        plugins = PluginSet(
            manager=pluggy.PluginManager(PROJECT_NAME),
            resource_providers={provider.name: Contribution("catalog", provider)},
        )
        await sync_resources(self.session, plugins)
        rows = await self.session.execute(
            select(models.Resource, models.Standard.code)
            .join(models.ResourceElement, models.ResourceElement.resource_id == models.Resource.id)
            .join(models.Standard, models.Standard.id == models.ResourceElement.element_id)
            .where(
                models.Resource.provider == provider.name,
                models.Resource.framework_id == self.framework_id,
            )
            .order_by(models.Resource.external_id, models.Standard.code)
        )
        found: dict[str, tuple[models.Resource, list[str]]] = {}
        for resource, code in rows:
            found.setdefault(resource.external_id, (resource, []))[1].append(code)
        self.catalog = [
            CatalogResource(
                resource.id,
                resource.external_id,
                resource.title,
                resource.format,
                tuple(resource.subjects),
                resource.grade_band,
                resource.duration_minutes or 0,
                tuple(codes),
            )
            for resource, codes in found.values()
        ]
        self.resource_ids = {item.external_id: item.id for item in self.catalog}
        self.counts["resources"] = len(self.catalog)

    async def _district_goals(self) -> None:
        rows = [
            {
                "district_id": self.district_id,
                "title": seed.title,
                "description": seed.description,
                "active": True,
                "created_at": _at(date(2025, 7, 28), 17, i),
            }
            for i, seed in enumerate(DISTRICT_GOALS)
        ]
        self.district_goal_ids = await _insert(self.session, models.DistrictGoal, rows)
        self.counts["district goals"] = len(rows)

    def _resource_for(self, teacher: _Teacher, code: str) -> CatalogResource | None:
        """A catalog resource aligned to ``code`` that fits the teacher's subjects and grades."""
        fits = [
            seed
            for seed in self.catalog
            if code in seed.elements
            and (not seed.subjects or set(seed.subjects) & set(teacher.seed.subjects))
            and set(_grade_span(seed.grade_band)) & set(teacher.grades)
        ]
        return self.rng.choice(fits) if fits else None

    # ---- practice levels, focus elements, self-assessments ----------------------------------

    def _practice_and_focus(self) -> None:
        """Each active teacher's true level per element and year, their focus and self-ratings.

        Levels follow experience (new teachers mostly exploring, veterans applying or
        integrating); a struggling subject pulls its elements down; focus elements grow more
        between the years. Self-ratings are the true level, sometimes one step optimistic.
        """
        rng = self.rng
        top = len(self.level_ids)
        for teacher in self.teachers.values():
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
                for code in self.subject_elements.get(subject, ())
            }
            prior: dict[str, int] = {}
            for code in self.element_ids:
                step = rng.choices((-1, 0, 1), weights=(0.2, 0.68, 0.12))[0]
                prior[code] = min(top, max(1, base + step - (1 if code in weak else 0)))
            teacher.focus = self._pick_focus(teacher, prior, weak)
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

    def _pick_focus(self, teacher: _Teacher, levels: dict[str, int], weak: set[str]) -> list[str]:
        if teacher.email == DEMO_TEACHER_EMAIL:
            return list(DEMO_TEACHER_FOCUS)
        pool = [area.code for area in FOCUS_AREAS]
        weights = [1.0 + 3.0 * (code in weak) + (levels[code] <= 2) for code in pool]
        chosen: list[str] = []
        for _ in range(self.rng.randint(2, 4)):
            pick = self.rng.choices(range(len(pool)), weights=weights)[0]
            chosen.append(pool.pop(pick))
            weights.pop(pick)
        return chosen

    async def _focus_and_self_assessments(self) -> None:
        rng = self.rng
        active = [t for t in self.teachers.values() if t.active]
        focus_rows = [
            {
                "teacher_id": teacher.id,
                "element_id": self.element_ids[code],
                "created_at": _at(date(2025, 8, 20), 17, i),
            }
            for teacher in active
            for i, code in enumerate(teacher.focus)
        ]
        await _insert_all(self.session, models.FocusElement, focus_rows)
        self.counts["focus elements"] = len(focus_rows)

        windows = {
            PRIOR_YEAR: (date(2024, 9, 3), date(2024, 10, 11)),
            CURRENT_YEAR: (date(2025, 9, 2), date(2025, 10, 10)),
        }
        keys = [(teacher, year) for teacher in active for year in SCHOOL_YEARS]
        rows = [
            {
                "teacher_id": teacher.id,
                "cycle": year,
                "submitted_at": _at(_school_day(rng, *windows[year]), 22, rng.randrange(60)),
            }
            for teacher, year in keys
        ]
        ids = await _insert(self.session, models.SelfAssessment, rows)
        ratings = [
            {
                "self_assessment_id": assessment_id,
                "element_id": self.element_ids[code],
                "level_id": self.level_ids[level - 1],
                "note": (
                    "One of my focus elements this year."
                    if year == CURRENT_YEAR and code in teacher.focus
                    else ""
                ),
            }
            for assessment_id, (teacher, year) in zip(ids, keys, strict=True)
            for code, level in teacher.self_ratings[year].items()
        ]
        await _insert_all(self.session, models.SelfAssessmentRating, ratings)
        self.counts["self-assessments"] = len(ids)

    # ---- training, observations ---------------------------------------------------------------

    async def _training(self) -> None:
        rng = self.rng
        records: list[dict[str, Any]] = []
        record_elements: list[tuple[str, ...]] = []
        for teacher in self.teachers.values():
            if not teacher.active:
                continue
            for _ in range(rng.randint(1, 4)):
                completed = _school_day(rng, date(2023, 6, 12), date(2026, 5, 15))
                code = rng.choice(teacher.focus + list(OBSERVED_ELEMENTS))
                resource = self._resource_for(teacher, code) if rng.random() < 0.6 else None
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
                        "resource_id": (
                            self.resource_ids[resource.external_id] if resource else None
                        ),
                        "created_at": _at(completed + timedelta(days=3), 17),
                    }
                )
                record_elements.append(elements)
        ids = await _insert(self.session, models.TrainingRecord, records)
        links = [
            {"training_record_id": record_id, "element_id": self.element_ids[code]}
            for record_id, elements in zip(ids, record_elements, strict=True)
            for code in elements
        ]
        await _insert_all(self.session, models.TrainingRecordElement, links)
        self.counts["training records"] = len(ids)

    async def _observations(self) -> None:
        """1-3 visits per teacher in 2025-26: the coach first when there is one, the principal."""
        rng = self.rng
        top = len(self.level_ids)
        rows: list[dict[str, Any]] = []
        ratings: list[list[tuple[str, int]]] = []
        visited: list[tuple[str, date]] = []
        for teacher in self.teachers.values():
            count = 3 if teacher.email == DEMO_TEACHER_EMAIL else rng.randint(1, 3)
            days = sorted(
                _school_day(rng, date(2025, 9, 22), date(2026, 4, 30)) for _ in range(count)
            )
            practice = teacher.practice.get(CURRENT_YEAR, {})
            kinds_so_far: list[str] = []
            for number, day in enumerate(days):
                by_coach = teacher.coach is not None and number != 1
                observer = teacher.coach if by_coach else self.principal_of[teacher.seed.school]
                assert observer is not None
                kind = rng.choice(
                    ("coaching", "informal") if by_coach else ("formal", "walkthrough")
                )
                focus = teacher.focus[0] if teacher.focus else rng.choice(OBSERVED_ELEMENTS)
                # Notes follow the visits: the first coaching visit, then the second, ...
                notes = OBSERVATION_NOTES[kind]
                template = notes[min(kinds_so_far.count(kind), len(notes) - 1)]
                kinds_so_far.append(kind)
                rows.append(
                    {
                        "teacher_id": teacher.id,
                        "observer_id": self.user_ids[observer],
                        "kind": kind,
                        "observed_on": day,
                        "notes": template.format(focus=self._short(focus)),
                        "created_at": _at(day, 23, rng.randrange(60)),
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
        ids = await _insert(self.session, models.Observation, rows)
        links = [
            {
                "observation_id": observation_id,
                "element_id": self.element_ids[code],
                "level_id": self.level_ids[level - 1],
                "note": "",
            }
            for observation_id, rated in zip(ids, ratings, strict=True)
            for code, level in rated
        ]
        await _insert_all(self.session, models.ObservationRating, links)
        for observation_id, (name, day) in zip(ids, visited, strict=True):
            self.observations_of[name].append((observation_id, day))
        self.counts["observations"] = len(ids)

    def _short(self, code: str) -> str:
        area = self.focus_areas.get(code)
        return f"{area.short} (CSTP {code})" if area else f"CSTP {code}"

    # ---- plans, goals, action steps, evidence, comments --------------------------------------

    def _approver(self, teacher: _Teacher) -> str:
        return teacher.coach or self.principal_of[teacher.seed.school]

    def _plan_history(self, teacher: _Teacher, created: date) -> list[tuple[str, str, str, date]]:
        """(action, from, to, day) events that lead a new plan to its seeded status."""
        rng = self.rng
        status = teacher.seed.plan
        events: list[tuple[str, str, str, date]] = []
        day = created
        returned = rng.random() < (0.4 if status == DRAFT else 0.2)
        if status == DRAFT and not returned:
            return events
        day += timedelta(days=rng.randint(4, 20))
        events.append(("submit", DRAFT, SUBMITTED, day))
        if returned:
            day += timedelta(days=rng.randint(2, 7))
            events.append(("return", SUBMITTED, DRAFT, day))
            if status == DRAFT:
                return events
            day += timedelta(days=rng.randint(3, 10))
            events.append(("submit", DRAFT, SUBMITTED, day))
        if status == SUBMITTED:
            return events
        day += timedelta(days=rng.randint(2, 14))
        events.append(("approve", SUBMITTED, APPROVED, day))
        if status == APPROVED:
            return events
        completed = _school_day(rng, date(2026, 5, 11), GOALS_DUE)
        events.append(("complete", APPROVED, COMPLETED, completed))
        return events

    async def _plans(self) -> None:
        rng = self.rng
        planners = [t for t in self.teachers.values() if t.seed.plan not in (NO_PLAN, INACTIVE)]
        plan_rows: list[dict[str, Any]] = []
        histories: list[list[tuple[str, str, str, date]]] = []
        for teacher in planners:
            created = _school_day(rng, date(2025, 8, 25), date(2025, 9, 19))
            history = self._plan_history(teacher, created)
            last = history[-1][3] if history else created
            plan_rows.append(
                {
                    "teacher_id": teacher.id,
                    "cycle": CURRENT_YEAR,
                    "title": f"{CURRENT_YEAR} Individual Learning Plan",
                    "status": teacher.seed.plan,
                    "created_at": _at(created, 22),
                    "updated_at": _at(last, 23, 30),
                }
            )
            histories.append(history)
        plan_ids = await _insert(self.session, models.LearningPlan, plan_rows)
        events = [
            {
                "plan_id": plan_id,
                "actor_id": self.user_ids[
                    teacher.email if action in ("submit", "complete") else self._approver(teacher)
                ],
                "action": action,
                "from_status": from_status,
                "to_status": to_status,
                "note": self._event_note(action),
                "at": _at(day, 23, 30 if action != "submit" else 0),
            }
            for plan_id, teacher, history in zip(plan_ids, planners, histories, strict=True)
            for action, from_status, to_status, day in history
        ]
        await _insert_all(self.session, models.PlanEvent, events)
        self.counts["learning plans"] = len(plan_ids)
        self.counts["plan events"] = len(events)
        await self._goals(planners, plan_ids, plan_rows, histories)

    def _event_note(self, action: str) -> str:
        if action == "return":
            return self.rng.choice(RETURN_NOTES)
        if action == "approve":
            return self.rng.choice(APPROVAL_NOTES)
        if action == "complete":
            return "Goals met; reflection shared at the end-of-year conference."
        return ""

    def _district_goal_for(self, teacher: _Teacher, code: str) -> int | None:
        for seed, goal_id in zip(DISTRICT_GOALS, self.district_goal_ids, strict=True):
            subjects_fit = not seed.subjects or set(seed.subjects) & set(teacher.seed.subjects)
            if code in seed.elements and subjects_fit:
                return goal_id
        return None

    async def _goals(
        self,
        planners: list[_Teacher],
        plan_ids: list[int],
        plan_rows: list[dict[str, Any]],
        histories: list[list[tuple[str, str, str, date]]],
    ) -> None:
        rng = self.rng
        top = len(self.level_ids)
        progress_range = {
            DRAFT: (0, 0),
            SUBMITTED: (0, 15),
            APPROVED: (25, 75),
            COMPLETED: (100, 100),
        }
        goal_rows: list[dict[str, Any]] = []
        goal_meta: list[tuple[_Teacher, list[str], datetime | None]] = []
        for teacher, plan_id, plan, history in zip(
            planners, plan_ids, plan_rows, histories, strict=True
        ):
            approved = next((_at(day, 23, 30) for a, _, _, day in history if a == "approved"), None)
            count = 2 if teacher.email == DEMO_TEACHER_EMAIL else rng.randint(1, 3)
            for code in teacher.focus[: min(count, len(teacher.focus))]:
                area = self.focus_areas[code]
                baseline = teacher.self_ratings[CURRENT_YEAR][code]
                codes = [code]
                siblings = [c for c in self.element_ids if c.split(".")[0] == code.split(".")[0]]
                if rng.random() < 0.3:
                    codes.append(rng.choice([c for c in siblings if c != code]))
                goal_rows.append(
                    {
                        "plan_id": plan_id,
                        "title": area.goal,
                        "description": (
                            f"Growing in CSTP {code}, {area.short}: from my self-assessed "
                            f"level this fall to the next level by May."
                        ),
                        "baseline_level_id": self.level_ids[baseline - 1],
                        "target_level_id": self.level_ids[min(top, baseline + 1) - 1],
                        "due_on": GOALS_DUE,
                        "progress": rng.randint(*progress_range[teacher.seed.plan]),
                        "district_goal_id": self._district_goal_for(teacher, code),
                        "created_at": plan["created_at"] + timedelta(minutes=10 + len(goal_rows)),
                    }
                )
                goal_meta.append((teacher, codes, approved))
        goal_ids = await _insert(self.session, models.Goal, goal_rows)
        links = [
            {"goal_id": goal_id, "element_id": self.element_ids[code]}
            for goal_id, (_, codes, _) in zip(goal_ids, goal_meta, strict=True)
            for code in codes
        ]
        await _insert_all(self.session, models.GoalElement, links)
        self.counts["goals"] = len(goal_ids)
        await self._action_steps(goal_ids, goal_rows, goal_meta)
        await self._evidence_and_comments(goal_ids, goal_rows, goal_meta)

    async def _action_steps(
        self,
        goal_ids: list[int],
        goal_rows: list[dict[str, Any]],
        goal_meta: list[tuple[_Teacher, list[str], datetime | None]],
    ) -> None:
        rng = self.rng
        rows: list[dict[str, Any]] = []
        for goal_id, goal, (teacher, codes, approved) in zip(
            goal_ids, goal_rows, goal_meta, strict=True
        ):
            area = self.focus_areas[codes[0]]
            steps: list[tuple[str, int | None]] = []
            resource = self._resource_for(teacher, codes[0])
            if resource is not None:
                steps.append(
                    (f"Complete \u201c{resource.title}\u201d ({resource.format})",
                     self.resource_ids[resource.external_id])
                )  # fmt: skip
            steps += [(text, None) for text in area.steps[: rng.randint(1, 2)]]
            for number, (description, resource_id) in enumerate(steps):
                status = self._step_status(teacher.seed.plan, number)
                due = date(2025, 10, 31) + timedelta(days=56 * number + rng.randint(0, 20))
                done_on = None
                if status == ActionStepStatus.DONE.value:
                    # After the plan was approved, before the end-of-year completion window.
                    start = (approved or goal["created_at"]).date() + timedelta(days=7)
                    end = max(start, min(due + timedelta(days=14), LAST_STEP_DONE))
                    done_on = _school_day(rng, start, end)
                rows.append(
                    {
                        "goal_id": goal_id,
                        "description": description,
                        "resource_id": resource_id,
                        "status": status,
                        "due_on": due,
                        "reflection": rng.choice(STEP_REFLECTIONS) if done_on else "",
                        "completed_at": _at(done_on, 23, 45) if done_on else None,
                        "created_at": goal["created_at"] + timedelta(minutes=1 + number),
                    }
                )
        await _insert_all(self.session, models.ActionStep, rows)
        self.counts["action steps"] = len(rows)

    def _step_status(self, plan_status: str, number: int) -> str:
        """Steps move with the plan: none started in a draft, all done in a completed plan."""
        not_started, in_progress, done = (s.value for s in ActionStepStatus)
        if plan_status == COMPLETED:
            return done
        if plan_status == APPROVED:
            return (done, in_progress, not_started)[min(number, 2)]
        if plan_status == SUBMITTED and number == 0 and self.rng.random() < 0.5:
            return in_progress
        return not_started

    async def _evidence_and_comments(
        self,
        goal_ids: list[int],
        goal_rows: list[dict[str, Any]],
        goal_meta: list[tuple[_Teacher, list[str], datetime | None]],
    ) -> None:
        rng = self.rng
        per_status = {DRAFT: (0, 0), SUBMITTED: (0, 1), APPROVED: (1, 2), COMPLETED: (2, 3)}
        evidence_rows: list[dict[str, Any]] = []
        evidence_links: list[tuple[int, list[str]]] = []
        for goal_id, goal, (teacher, codes, _) in zip(goal_ids, goal_rows, goal_meta, strict=True):
            low, high = per_status[teacher.seed.plan]
            if teacher.email == DEMO_TEACHER_EMAIL:
                low = max(low, 1)
            for _ in range(rng.randint(low, high)):
                kind, title, body, url = rng.choice(EVIDENCE_TEMPLATES)
                short = self.focus_areas[codes[0]].short
                last_day = AS_OF - timedelta(days=7)  # leaves a week for comments
                day = _school_day(rng, goal["created_at"].date() + timedelta(days=20), last_day)
                created = _at(day, 23, rng.randrange(60))
                evidence_rows.append(
                    {
                        "teacher_id": teacher.id,
                        "kind": kind,
                        "title": title.format(focus=short),
                        "body": body.format(focus=short),
                        "url": url.format(n=1000 + len(evidence_rows)),
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                evidence_links.append((goal_id, codes))
        evidence_ids = await _insert(self.session, models.Evidence, evidence_rows)
        await _insert_all(
            self.session,
            models.EvidenceElement,
            [
                {"evidence_id": evidence_id, "element_id": self.element_ids[code]}
                for evidence_id, (_, codes) in zip(evidence_ids, evidence_links, strict=True)
                for code in codes
            ],
        )
        await _insert_all(
            self.session,
            models.EvidenceGoal,
            [
                {"evidence_id": evidence_id, "goal_id": goal_id}
                for evidence_id, (goal_id, _) in zip(evidence_ids, evidence_links, strict=True)
            ],
        )
        self.counts["evidence"] = len(evidence_ids)

        comments: list[dict[str, Any]] = []
        teacher_of_goal = {
            goal_id: meta[0] for goal_id, meta in zip(goal_ids, goal_meta, strict=True)
        }
        for goal_id, (teacher, _, approved) in zip(goal_ids, goal_meta, strict=True):
            if approved is not None and rng.random() < 0.35:
                at = approved + timedelta(days=rng.randint(3, 30))
                comments.append(
                    self._comment(self._approver(teacher), rng.choice(GOAL_COMMENTS), at,
                                  goal_id=goal_id)
                )  # fmt: skip
        for evidence_id, evidence, (goal_id, _) in zip(
            evidence_ids, evidence_rows, evidence_links, strict=True
        ):
            teacher = teacher_of_goal[goal_id]
            if rng.random() < 0.3:
                author = self.principal_of[teacher.seed.school]
                at = evidence["created_at"] + timedelta(days=rng.randint(1, 6))
                comments.append(
                    self._comment(
                        author, rng.choice(EVIDENCE_COMMENTS), at, evidence_id=evidence_id
                    )
                )
        for name, observations in self.observations_of.items():
            teacher = self.teachers[name]
            for observation_id, day in observations:
                if teacher.active and rng.random() < 0.15:
                    at = _at(day + timedelta(days=rng.randint(1, 4)), 4, rng.randrange(60))
                    comments.append(
                        self._comment(teacher.email, rng.choice(OBSERVATION_REPLIES), at,
                                      observation_id=observation_id)
                    )  # fmt: skip
        await _insert_all(self.session, models.Comment, comments)
        self.counts["comments"] = len(comments)

    def _comment(self, author: str, body: str, at: datetime, **target: int) -> dict[str, Any]:
        row: dict[str, Any] = {"evidence_id": None, "goal_id": None, "observation_id": None}
        row.update(target)
        return {"author_id": self.user_ids[author], "body": body, "created_at": at, **row}
