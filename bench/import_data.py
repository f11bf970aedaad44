"""The import benchmark's data: a generated NWEA MAP results file, and the database it goes into.

:mod:`import_scores` (beside this file) measures; this module makes what it measures on: the file
(streamed to disk, never held in memory), a district with its students loaded beforehand, the MAP
assessments, and a way to clear the results between phases that share a database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from mypd_graph import migrate, models
from mypd_graph.db import create_engine

RESULTS_PER_STUDENT = 12  # Math and Reading, Fall/Winter/Spring, two school years
TERMS = (
    ("Fall 2024-2025", date(2024, 9, 16)),
    ("Winter 2024-2025", date(2025, 1, 13)),
    ("Spring 2024-2025", date(2025, 5, 5)),
    ("Fall 2025-2026", date(2025, 9, 15)),
    ("Winter 2025-2026", date(2026, 1, 12)),
    ("Spring 2025-2026", date(2026, 5, 4)),
)
COURSES = (
    ("Mathematics", "Math 6+", "Growth: Math 6+ CCSS 2010 V2"),
    ("Language Arts", "Reading", "Growth: Reading 6+ CCSS 2010 V4"),
)
HEADER = (
    "TermName,DistrictName,SchoolName,StudentLastName,StudentFirstName,StudentID,Student_StateID,"
    "Grade,Subject,Course,NormsReferenceData,TestType,TestName,TestStartDate,TestStartTime,"
    "TestDurationMinutes,TestRITScore,TestStandardError,TestPercentile,AchievementQuintile,"
    "PercentCorrect,RapidGuessingPercentage,Goal1Name,Goal1RitScore,Goal1StdErr,Goal1Range,"
    "Goal1Adjective,Goal2Name,Goal2RitScore,Goal2StdErr,Goal2Range,Goal2Adjective"
)
LAST_NAMES = ("Muñoz", "Nguyen", "O'Brien", "Okafor", "Patel", "García", "Kim", "Smith", "Lee")
FIRST_NAMES = ("José", "Bao", "Aoife", "Sam", "Riya", "Lucía", "Min", "Ava", "Noah", "Zoë")
ADMIN_EMAIL = "admin@bench.mypd"


# -------------------------------------------------------------------------
# The file
# -------------------------------------------------------------------------


def generate(path: Path, rows: int) -> int:
    """Write ``rows`` results (streamed, never held in memory); return the number of students."""
    students = -(-rows // RESULTS_PER_STUDENT)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        writer = csv.writer(out, lineterminator="\r\n")
        for term_index, (term_name, start) in enumerate(TERMS):
            for course_index, (subject, course, test_name) in enumerate(COURSES):
                for student in range(students):
                    if written == rows:
                        return students
                    rit = 180 + (student * 7 + term_index * 4 + course_index * 3) % 90
                    writer.writerow(
                        (
                            term_name,
                            "Lakeview Unified",
                            f"School {student % 40:02d}",
                            LAST_NAMES[student % len(LAST_NAMES)],
                            FIRST_NAMES[student % len(FIRST_NAMES)],
                            f"S{student:07d}",
                            f"40{student:08d}",
                            str(3 + student % 6),
                            subject,
                            course,
                            "2020",
                            "Survey With Goals",
                            test_name,
                            (start + timedelta(days=student % 10)).strftime("%-m/%-d/%Y"),
                            "9:05:12",
                            str(35 + student % 30),
                            f"{rit}.0" if student % 5 == 0 else str(rit),
                            "3.1",
                            str(1 + (rit - 180) % 99),
                            "Avg",
                            str(40 + student % 50),
                            "0.0",
                            "Operations and Algebraic Thinking",
                            str(rit - 2),
                            "3.3",
                            f"{rit - 5}-{rit + 1}",
                            "Avg",
                            "Number and Operations, Fractions",
                            str(rit + 1),
                            "3.4",
                            f"{rit - 2}-{rit + 4}",
                            "HiAvg",
                        )
                    )
                    written += 1
    return students


class FileSource:
    """An ImportSource over a file on disk, decoded as the core decodes it."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        self.path = path

    def binary(self) -> io.BufferedReader:
        return self.path.open("rb")

    def text(self) -> io.TextIOWrapper:
        return self.path.open("r", encoding="utf-8-sig", newline="")


def parsed_records(path: Path) -> Iterator[Any]:
    from mypd_graph_csv_scores import parse

    return iter(parse(FileSource(path), {"layout": "nwea-map"}))


# -------------------------------------------------------------------------
# The database: schema, one district, its students (a roster loaded beforehand)
# -------------------------------------------------------------------------


async def prepare(url: str, students: int) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            for table in reversed(models.Base.metadata.sorted_tables):
                if table.name != "alembic_version":
                    await connection.execute(table.delete())
            district_id = (
                await connection.execute(
                    insert(models.District)
                    .values(key="lakeview", name="Lakeview Unified")
                    .returning(models.District.id)
                )
            ).scalar_one()
            await connection.execute(
                insert(models.User).values(
                    district_id=district_id,
                    email=ADMIN_EMAIL,
                    name="Bench Admin",
                    role=models.Role.DISTRICT_ADMIN.value,
                )
            )
            batch = []
            for student in range(students):
                batch.append(
                    {
                        "district_id": district_id,
                        "local_id": f"S{student:07d}",
                        "state_id": f"40{student:08d}",
                        "first_name": FIRST_NAMES[student % len(FIRST_NAMES)],
                        "last_name": LAST_NAMES[student % len(LAST_NAMES)],
                        "grade_level": str(3 + student % 6),
                    }
                )
                if len(batch) == 10_000:
                    await connection.execute(insert(models.Student), batch)
                    batch = []
            if batch:
                await connection.execute(insert(models.Student), batch)
            await sections(connection, district_id, students)
    finally:
        await engine.dispose()


STUDENTS_PER_SECTION = 100
SECTION_YEARS = ("2024-25", "2025-26")
SECTION_SUBJECTS = ("Math", "ELA")


async def sections(connection: Any, district_id: int, students: int) -> None:
    """Teachers and their sections in both school years of the file, Math and ELA, with every
    student enrolled in one of each: a roster as a district loads it before scores, so the
    import's refresh of the teachers' summary has real work to do."""
    school_id = (
        await connection.execute(
            insert(models.School)
            .values(district_id=district_id, code="LV", name="Lakeview School")
            .returning(models.School.id)
        )
    ).scalar_one()
    teachers = -(-students // STUDENTS_PER_SECTION)
    first_teacher = (
        await connection.execute(select(func.coalesce(func.max(models.User.id), 0)))
    ).scalar_one() + 1
    await connection.execute(
        insert(models.User),
        [
            {
                "id": first_teacher + t,
                "district_id": district_id,
                "school_id": school_id,
                "email": f"teacher{t}@bench.mypd",
                "name": f"Teacher {t}",
                "role": models.Role.TEACHER.value,
            }
            for t in range(teachers)
        ],
    )
    await connection.execute(
        insert(models.TeacherProfile),
        [{"user_id": first_teacher + t, "school_id": school_id} for t in range(teachers)],
    )
    section_rows = []
    for year in SECTION_YEARS:
        for subject in SECTION_SUBJECTS:
            for t in range(teachers):
                section_rows.append(
                    {
                        "school_id": school_id,
                        "teacher_id": first_teacher + t,
                        "local_id": f"{year}-{subject}-{t}",
                        "name": f"{subject} {t}",
                        "subject": subject,
                        "school_year": year,
                    }
                )
    await connection.execute(insert(models.Section), section_rows)
    section_ids = dict(
        (await connection.execute(select(models.Section.local_id, models.Section.id))).all()
    )
    student_ids = [
        row[0]
        for row in (
            await connection.execute(select(models.Student.id).order_by(models.Student.id))
        ).all()
    ]
    batch: list[dict[str, int]] = []
    for year in SECTION_YEARS:
        for subject in SECTION_SUBJECTS:
            for index, student_id in enumerate(student_ids):
                section = section_ids[f"{year}-{subject}-{index // STUDENTS_PER_SECTION}"]
                batch.append({"section_id": section, "student_id": student_id})
                if len(batch) == 10_000:
                    await connection.execute(insert(models.Enrollment), batch)
                    batch = []
    if batch:
        await connection.execute(insert(models.Enrollment), batch)


async def assessment_ids(url: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """Create the MAP assessments; the district id, {key: id} and {local id: student id}."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            district_id = (await connection.execute(select(models.District.id))).scalar_one()
            keys = {}
            for key, name, subject in (
                ("nwea-map-math", "NWEA MAP Growth Math", "Math"),
                ("nwea-map-reading", "NWEA MAP Growth Reading", "ELA"),
            ):
                existing = (
                    await connection.execute(
                        select(models.Assessment.id).where(models.Assessment.key == key)
                    )
                ).scalar()
                if existing is None:
                    existing = (
                        await connection.execute(
                            insert(models.Assessment)
                            .values(
                                district_id=district_id,
                                key=key,
                                name=name,
                                subject=subject,
                                vendor="NWEA",
                            )
                            .returning(models.Assessment.id)
                        )
                    ).scalar_one()
                keys[key] = existing
            students = dict(
                (await connection.execute(select(models.Student.local_id, models.Student.id))).all()
            )
        return district_id, keys, students
    finally:
        await engine.dispose()
