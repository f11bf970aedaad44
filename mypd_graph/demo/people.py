"""The district, its three schools and its staff: who works where, who coaches whom, and the
planted teacher effects that make the students' results tell a story.
"""

from __future__ import annotations

from typing import NamedTuple

from mypd_graph import models
from mypd_graph.demo.basics import (
    APPROVED,
    COMPLETED,
    DEMO_ADMIN_EMAIL,
    DEMO_IMPORTER_EMAIL,
    DISTRICT_KEY,
    DISTRICT_NAME,
    DRAFT,
    INACTIVE,
    NO_PLAN,
    ONBOARDED,
    SUBMITTED,
    at_utc,
    email_for,
    insert_rows,
)
from mypd_graph.demo.state import Build, Teacher, TeacherSeed
from mypd_graph.models import Role


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

ELEMENTARY = ("ELA", "Math", "Science", "History-Social Science")


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


async def insert_organization(build: Build) -> None:
    """The district (the CSTP as its active framework) and its three schools."""
    (build.district_id,) = await insert_rows(
        build.session,
        models.District,
        [
            {
                "key": DISTRICT_KEY,
                "name": DISTRICT_NAME,
                "active_framework_id": build.framework_id,
                "created_at": at_utc(ONBOARDED, 17),
            }
        ],
    )
    rows = [
        {
            "district_id": build.district_id,
            "code": school.code,
            "name": school.name,
            "grade_band": school.grade_band,
            "created_at": at_utc(ONBOARDED, 17, 5),
        }
        for school in SCHOOLS
    ]
    ids = await insert_rows(build.session, models.School, rows)
    build.school_ids = {school.key: id_ for school, id_ in zip(SCHOOLS, ids, strict=True)}
    build.counts["schools"] = len(ids)


async def insert_staff(build: Build) -> None:
    """Every account, each teacher's effect on their students, and the coaches' caseloads."""
    people: list[tuple[str, str, Role, str | None]] = [
        (DEMO_ADMIN_EMAIL, ADMIN_NAME, Role.DISTRICT_ADMIN, None),
        (DEMO_IMPORTER_EMAIL, IMPORTER_NAME, Role.IMPORTER, None),
    ]
    for school in SCHOOLS:
        email = email_for(school.principal)
        build.principal_of[school.key] = email
        people.append((email, school.principal, Role.PRINCIPAL, school.key))
    people += [(email_for(name), name, Role.COACH, None) for name, _, _ in COACHES]
    for seed in TEACHERS:
        effects = {
            subject: TEACHER_EFFECTS.get(seed.name, {}).get(subject, build.rng.gauss(0.0, 0.12))
            for subject in ("Math", "ELA")
        }
        build.teachers[seed.name] = Teacher(seed, email_for(seed.name), effects)
        people.append((email_for(seed.name), seed.name, Role.TEACHER, seed.school))
    emails = [email for email, *_ in people]
    assert len(set(emails)) == len(emails), "demo emails must be unique"
    rows = [
        {
            "district_id": build.district_id,
            "school_id": build.school_ids[school] if school else None,
            "email": email,
            "name": name,
            "role": role.value,
            "active": True,
            "created_at": at_utc(ONBOARDED, 18, index % 60),
        }
        for index, (email, name, role, school) in enumerate(people)
    ]
    ids = await insert_rows(build.session, models.User, rows)
    build.user_ids = dict(zip(emails, ids, strict=True))
    for teacher in build.teachers.values():
        teacher.id = build.user_ids[teacher.email]
    for coach_name, _, caseload in COACHES:
        for name in caseload:
            build.teachers[name].coach = email_for(coach_name)
    build.counts["teachers"] = len(TEACHERS)
    build.counts["coaches"] = len(COACHES)
    build.counts["principals"] = len(SCHOOLS)
