"""A small, fully known district for tests: two schools, every role, sections, students, results.

Tests assert against these names and counts, so keep them stable; add, don't change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.services.students.status import refresh_result_status

CSTP = "cstp-2009"


@dataclass
class World:
    district_id: int
    other_district_id: int
    framework_id: int
    school_ids: dict[str, int]
    user_ids: dict[str, int] = field(default_factory=dict)
    student_ids: dict[str, int] = field(default_factory=dict)
    section_ids: dict[str, int] = field(default_factory=dict)
    level_ids: dict[str, int] = field(default_factory=dict)
    element_ids: dict[str, int] = field(default_factory=dict)

    def id(self, email: str) -> int:
        return self.user_ids[email]


ADMIN = "admin@test.mypd"
PRINCIPAL_NORTH = "principal.north@test.mypd"
PRINCIPAL_SOUTH = "principal.south@test.mypd"
COACH = "coach@test.mypd"
TEACHER_A = "ana.teacher@test.mypd"  # North; coached by COACH
TEACHER_B = "ben.teacher@test.mypd"  # North
TEACHER_C = "cam.teacher@test.mypd"  # South
OUTSIDER = "admin@other.mypd"  # district admin of another district
IMPORTER = "importer@test.mypd"


async def build_world(session: AsyncSession) -> World:
    framework = await session.scalar(select(models.Framework).where(models.Framework.key == CSTP))
    assert framework is not None, "sync frameworks before building the world"
    district = models.District(key="test", name="Test Unified", active_framework_id=framework.id)
    other = models.District(key="other", name="Other Unified", active_framework_id=framework.id)
    session.add_all([district, other])
    await session.flush()
    north = models.School(district_id=district.id, code="N", name="North Elementary")
    south = models.School(district_id=district.id, code="S", name="South Middle")
    elsewhere = models.School(district_id=other.id, code="X", name="Elsewhere High")
    session.add_all([north, south, elsewhere])
    await session.flush()
    world = World(
        district.id,
        other.id,
        framework.id,
        {"N": north.id, "S": south.id, "X": elsewhere.id},
    )

    people = [
        (ADMIN, "Ada Admin", models.Role.DISTRICT_ADMIN, None, district),
        (PRINCIPAL_NORTH, "Pat North", models.Role.PRINCIPAL, north, district),
        (PRINCIPAL_SOUTH, "Sam South", models.Role.PRINCIPAL, south, district),
        (COACH, "Cora Coach", models.Role.COACH, None, district),
        (TEACHER_A, "Ana Alvarez", models.Role.TEACHER, north, district),
        (TEACHER_B, "Ben Brooks", models.Role.TEACHER, north, district),
        (TEACHER_C, "Cam Chen", models.Role.TEACHER, south, district),
        (OUTSIDER, "Otto Other", models.Role.DISTRICT_ADMIN, None, other),
        (IMPORTER, "Import Bot", models.Role.IMPORTER, None, district),
    ]
    for email, name, role, school, owner in people:
        user = models.User(
            district_id=owner.id,
            school_id=school.id if school else None,
            email=email,
            name=name,
            role=role.value,
        )
        session.add(user)
        await session.flush()
        world.user_ids[email] = user.id
        if role is models.Role.TEACHER:
            session.add(
                models.TeacherProfile(
                    user_id=user.id,
                    school_id=school.id if school else None,
                    subjects=["Math"] if email != TEACHER_C else ["ELA"],
                    grade_levels=["4"],
                    years_experience=3,
                )
            )
    session.add(models.CoachAssignment(coach_id=world.id(COACH), teacher_id=world.id(TEACHER_A)))

    sections = [
        ("A-MATH", TEACHER_A, north, "Math"),
        ("B-MATH", TEACHER_B, north, "Math"),
        ("C-ELA", TEACHER_C, south, "ELA"),
    ]
    for local_id, teacher, school, subject in sections:
        section = models.Section(
            school_id=school.id,
            teacher_id=world.id(teacher),
            local_id=local_id,
            name=f"{subject} 4 ({local_id})",
            subject=subject,
            grade_level="4",
            school_year="2025-26",
        )
        session.add(section)
        await session.flush()
        world.section_ids[local_id] = section.id

    math = models.Assessment(
        district_id=district.id, key="map-math", name="MAP Growth Math", subject="Math"
    )
    session.add(math)
    await session.flush()
    roster = {"A-MATH": ["s1", "s2", "s3"], "B-MATH": ["s4", "s5"], "C-ELA": ["s6", "s7"]}
    for section_key, locals_ in roster.items():
        school = north if section_key != "C-ELA" else south
        for local_id in locals_:
            student = models.Student(
                district_id=district.id,
                school_id=school.id,
                local_id=local_id,
                first_name=f"First{local_id}",
                last_name=f"Last{local_id}",
                grade_level="4",
            )
            session.add(student)
            await session.flush()
            world.student_ids[local_id] = student.id
            session.add(
                models.Enrollment(section_id=world.section_ids[section_key], student_id=student.id)
            )
            session.add(
                models.AssessmentResult(
                    assessment_id=math.id,
                    student_id=student.id,
                    school_year="2025-26",
                    term="Fall",
                    administered_on=date(2025, 9, 15),
                    scale_score=200.0 + int(local_id[1:]),
                    achievement_level=2,
                    percentile=40,
                )
            )
    outsider_student = models.Student(
        district_id=other.id,
        school_id=elsewhere.id,
        local_id="x1",
        first_name="Far",
        last_name="Away",
        grade_level="9",
    )
    session.add(outsider_student)
    await session.flush()
    world.student_ids["x1"] = outsider_student.id

    for level in await session.scalars(
        select(models.RatingLevel)
        .where(models.RatingLevel.framework_id == framework.id)
        .order_by(models.RatingLevel.position)
    ):
        world.level_ids[level.key] = level.id
    for element in await session.scalars(
        select(models.Standard).where(
            models.Standard.framework_id == framework.id, models.Standard.is_element.is_(True)
        )
    ):
        world.element_ids[element.code] = element.id
    await session.flush()
    await refresh_result_status(session, world.district_id)
    return world
