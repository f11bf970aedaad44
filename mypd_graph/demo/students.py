"""The students: about 800 of them, with names, state ids, English-learner status and an ability
per subject that their results are drawn around.
"""

from __future__ import annotations

from datetime import timedelta

from mypd_graph import models
from mypd_graph.demo.basics import (
    CURRENT_YEAR,
    FIRST_DAY,
    GRADES,
    PRIOR_YEAR,
    at_utc,
    insert_rows,
    school_for_grade,
)
from mypd_graph.demo.state import Build, Student

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


async def insert_students(build: Build) -> None:
    """Every student, grade by grade, with an ability per subject."""
    rng = build.rng
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
            build.students.append(
                Student(
                    local_id=str(300001 + len(build.students)),
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
            "district_id": build.district_id,
            "school_id": build.school_ids[school_for_grade(student.grade)],
            "local_id": student.local_id,
            "state_id": str(state_id),
            "first_name": student.first_name,
            "last_name": student.last_name,
            "grade_level": GRADES[student.grade],
            # Rostered when they joined the district: kindergarteners and sixth graders
            # from outside the demo arrived for 2025-26.
            "created_at": at_utc(
                FIRST_DAY[CURRENT_YEAR if student.school_in(PRIOR_YEAR) is None else PRIOR_YEAR]
                - timedelta(days=10),
                16,
            ),
        }
        for student, state_id in zip(build.students, state_ids, strict=True)
    ]
    ids = await insert_rows(build.session, models.Student, rows)
    for student, id_ in zip(build.students, ids, strict=True):
        student.id = id_
    build.counts["students"] = len(ids)
