"""Who teaches whom: each school's courses, sections and enrollments for both years, the teacher
profiles (their grades come from the sections) and the coaches' caseloads.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any, NamedTuple

from mypd_graph import models
from mypd_graph.demo.basics import FIRST_DAY, GRADES, SCHOOL_YEARS, at_utc, insert_all, insert_rows
from mypd_graph.demo.people import ELEMENTARY, SCHOOLS, TEACHERS
from mypd_graph.demo.state import Build, Teacher

SECTION_SIZE = 32
MULTIPLE_SUBJECTS = "Multiple Subjects"


# Courses: who teaches what to which grade. Students of a grade take every "all" course of their
# grade, English learners take ELD, and each student picks at most one "elective".
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


def _takers(build: Build, year: str) -> dict[str, list[int]]:
    """Student indexes per course code for one year: cohorts, ELD, and one elective each."""
    cohorts: dict[tuple[str, int], list[int]] = defaultdict(list)
    for index, student in enumerate(build.students):
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
            takers[course.code] = [i for i in cohort if build.students[i].english_learner]
        else:
            takers[course.code] = []
            electives[key].append(course.code)
    for key, codes in electives.items():
        options = [*codes, None]  # some students take an elective outside the demo
        for index in cohorts.get(key, []):
            choice = build.rng.choice(options)
            if choice is not None:
                takers[choice].append(index)
    return takers


async def insert_sections(build: Build) -> None:
    """Sections and enrollments for both years, then teacher profiles and coach assignments."""
    rng = build.rng
    section_rows: list[dict[str, Any]] = []
    rosters: list[list[int]] = []
    rooms = {name: 100 + 2 * i for i, name in enumerate(t.name for t in TEACHERS)}
    for year in SCHOOL_YEARS:
        takers = _takers(build, year)
        periods: dict[str, int] = defaultdict(int)
        created = at_utc(FIRST_DAY[year] - timedelta(days=14), 16)
        for course in COURSES:
            students = list(takers[course.code])
            if not students:
                continue  # e.g. no 2024-25 twelfth graders are still in the district
            rng.shuffle(students)
            count = math.ceil(len(students) / SECTION_SIZE)
            for number in range(count):
                teacher = build.teachers[course.teachers[number % len(course.teachers)]]
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
                        "school_id": build.school_ids[course.school],
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
                    ("Math", "ELA") if course.subject == MULTIPLE_SUBJECTS else (course.subject,)
                )
                for index in roster:
                    for subject in subjects:
                        build.taught_by[(index, year, subject)] = teacher.seed.name
    ids = await insert_rows(build.session, models.Section, section_rows)
    enrollments = [
        {"section_id": section_id, "student_id": build.students[index].id}
        for section_id, roster in zip(ids, rosters, strict=True)
        for index in roster
    ]
    await insert_all(build.session, models.Enrollment, enrollments)
    build.counts["sections"] = len(ids)
    build.counts["enrollments"] = len(enrollments)

    profiles = [
        {
            "user_id": teacher.id,
            "school_id": build.school_ids[teacher.seed.school],
            "subjects": list(teacher.seed.subjects),
            "grade_levels": [GRADES[g] for g in sorted(teacher.grades)],
            "years_experience": teacher.seed.years,
            "bio": _bio(teacher),
        }
        for teacher in build.teachers.values()
    ]
    await insert_all(build.session, models.TeacherProfile, profiles)
    assignments = [
        {
            "coach_id": build.user_ids[teacher.coach],
            "teacher_id": teacher.id,
            "created_at": at_utc(date(2024, 8, 5), 17),
        }
        for teacher in build.teachers.values()
        if teacher.coach is not None
    ]
    await insert_all(build.session, models.CoachAssignment, assignments)
    build.counts["coach assignments"] = len(assignments)


def _bio(teacher: Teacher) -> str:
    school = next(s.name for s in SCHOOLS if s.key == teacher.seed.school)
    grades = [GRADES[g] for g in sorted(teacher.grades)]
    if grades == ["K"]:
        grade_text = "kindergarten"
    elif len(grades) == 1:
        grade_text = f"grade {grades[0]}"
    else:
        grade_text = f"grades {', '.join(grades[:-1])} and {grades[-1]}"
    subjects = "all subjects" if teacher.seed.subjects == ELEMENTARY else teacher.seed.subjects[0]
    years = teacher.seed.years
    return (
        f"Teaches {grade_text} ({subjects}) at {school}; "
        f"{years} year{'s' if years != 1 else ''} in the classroom."
    )
