"""The rich world the security tests attack (test_security_*.py), and who may read what.

Those tests take an attacker's view of the GraphQL API over HTTP. Every one plays someone trying to
reach what they must not: another teacher's plans, a school they do not lead, a district they do not
belong to, student records without a legitimate educational interest, a write they have no right to,
or the service itself without a valid token. The rules under attack are those of DESIGN.md
("Security and data protection") and ``services/access.py``.

A test that shows a real hole is kept, marked ``xfail(strict=True, reason="SECURITY: ...")``: the
suite stays green, the hole stays recorded, and the test turns red (XPASS) the day it is fixed so the
marker can go.

The world is the shared one of ``tests/factories.py``, made richer by :func:`build_rich`: every
teacher (and a teacher of the *other* district) owns a draft, a submitted and an approved plan, a
goal, an action step, evidence, a self-assessment, a training record, an observation and comments,
all inserted with the models, so every test attacks real rows with real IDs.

Every teacher shares their evidence, self-assessment and growth profile with SUPERVISORS, so
these tests attack reach (who serves whom); what the sharing rule hides on top of it (a draft
plan, a coach's comment) is in :attr:`Rich.narrower`, and every audience is attacked by
``test_privacy_matrix.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.schema.relay import from_global_id, to_global_id
from mypd_graph.services.students.status import refresh_result_status
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import TestDatabase


OTHER_TEACHER = "teacher@other.mypd"  # a teacher of the other district, observed by OUTSIDER
TEACHERS = (TEACHER_A, TEACHER_B, TEACHER_C, OTHER_TEACHER)
EVERYONE = (
    ADMIN,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    COACH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    OUTSIDER,
    IMPORTER,
    OTHER_TEACHER,
)
# Who may read each teacher's growth data and students (the rules of services/access.py).
READERS = {
    TEACHER_A: {TEACHER_A, COACH, PRINCIPAL_NORTH, ADMIN},
    TEACHER_B: {TEACHER_B, PRINCIPAL_NORTH, ADMIN},
    TEACHER_C: {TEACHER_C, PRINCIPAL_SOUTH, ADMIN},
    OTHER_TEACHER: {OTHER_TEACHER, OUTSIDER},
}
SECTIONS = {TEACHER_A: "A-MATH", TEACHER_B: "B-MATH", TEACHER_C: "C-ELA", OTHER_TEACHER: "X-ELA"}
ROSTERS = {
    TEACHER_A: ["s1", "s2", "s3"],
    TEACHER_B: ["s4", "s5"],
    TEACHER_C: ["s6", "s7"],
    OTHER_TEACHER: ["x1"],
}
OBSERVERS = {
    TEACHER_A: COACH,
    TEACHER_B: PRINCIPAL_NORTH,
    TEACHER_C: PRINCIPAL_SOUTH,
    OTHER_TEACHER: OUTSIDER,
}
# Shared catalogs every signed-in user may read (frameworks and resources are not district data).
CATALOG_TYPES = {"Framework", "RatingLevel", "Element", "Standard", "Resource"}
GHOST = 987_654  # a database id no row has


def gid(type_name: str, db_id: int) -> str:
    return str(to_global_id(type_name, db_id))


# --------------------------------------------------------------------------------------------------
# The rich world
# --------------------------------------------------------------------------------------------------


@dataclass
class Owned:
    """One teacher's objects: global IDs by kind, and their database ids."""

    email: str
    ids: dict[str, str] = field(default_factory=dict)
    db: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, type_name: str, db_id: int) -> None:
        self.ids[kind] = gid(type_name, db_id)
        self.db[kind] = db_id


@dataclass
class Rich:
    world: World
    owned: dict[str, Owned]
    district_of_user: dict[str, int]
    owner_of: dict[str, str]  # global ID -> the teacher whose data it is
    district_of: dict[str, int]  # global ID -> district, for district-scoped objects
    student_ids: dict[str, str]  # local id -> global ID
    result_ids: dict[str, str]  # student local id -> global ID of its result
    district_goal: str = ""
    other_district_goal: str = ""
    # Objects the sharing rule (docs/privacy.md) shows to fewer than READERS: a plan never
    # submitted (and its goal, step and the goal's comment) is the teacher's alone; a coach's
    # comment is coaching, read by the teacher and the coach.
    narrower: dict[str, set[str]] = field(default_factory=dict)

    def may_see(self, viewer: str, global_id: str) -> bool:
        if global_id in self.narrower:
            return viewer in self.narrower[global_id]
        if global_id in self.owner_of:
            return viewer in READERS[self.owner_of[global_id]]
        if global_id in self.district_of:
            return self.district_of[global_id] == self.district_of_user[viewer]
        type_name, _ = from_global_id(global_id)
        return type_name in CATALOG_TYPES


async def build_rich(db: TestDatabase, world: World) -> Rich:
    """Add a teacher in the other district and growth data for every teacher (see module doc)."""
    level = world.level_ids
    element = world.element_ids["1.1"]
    other = world.other_district_id
    async with db.sessionmaker.begin() as session:
        outsider_teacher = models.User(
            district_id=other,
            school_id=world.school_ids["X"],
            email=OTHER_TEACHER,
            name="Olga Other",
            role=models.Role.TEACHER.value,
        )
        session.add(outsider_teacher)
        await session.flush()
        world.user_ids[OTHER_TEACHER] = outsider_teacher.id
        session.add(
            models.TeacherProfile(
                user_id=outsider_teacher.id,
                school_id=world.school_ids["X"],
                subjects=["ELA"],
                grade_levels=["9"],
                years_experience=5,
            )
        )
        section = models.Section(
            school_id=world.school_ids["X"],
            teacher_id=outsider_teacher.id,
            local_id="X-ELA",
            name="ELA 9 (X-ELA)",
            subject="ELA",
            grade_level="9",
            school_year="2025-26",
        )
        session.add(section)
        await session.flush()
        world.section_ids["X-ELA"] = section.id
        session.add(models.Enrollment(section_id=section.id, student_id=world.student_ids["x1"]))
        far_test = models.Assessment(
            district_id=other, key="map-math", name="MAP Growth Math", subject="Math"
        )
        session.add(far_test)
        await session.flush()
        session.add(
            models.AssessmentResult(
                assessment_id=far_test.id,
                student_id=world.student_ids["x1"],
                school_year="2025-26",
                term="Fall",
                scale_score=250.0,
                achievement_level=3,
                percentile=70,
            )
        )
        await session.flush()
        await refresh_result_status(session, other)
        goal_here = models.DistrictGoal(district_id=world.district_id, title="Literacy for all")
        goal_there = models.DistrictGoal(district_id=other, title="Elsewhere initiative")
        session.add_all([goal_here, goal_there])
        await session.flush()

        owned: dict[str, Owned] = {}
        for email in TEACHERS:
            teacher_id = world.user_ids[email]
            observer_id = world.user_ids[OBSERVERS[email]]
            mine = Owned(email)
            owned[email] = mine
            mine.add("teacher", "Teacher", teacher_id)
            mine.add("section", "Section", world.section_ids[SECTIONS[email]])
            plans = {
                "plan": ("2025-26", models.PlanStatus.DRAFT),
                "submitted_plan": ("2024-25", models.PlanStatus.SUBMITTED),
                "approved_plan": ("2023-24", models.PlanStatus.APPROVED),
                "second_submitted_plan": ("2022-23", models.PlanStatus.SUBMITTED),
            }
            for kind, (cycle, status) in plans.items():
                plan = models.LearningPlan(
                    teacher_id=teacher_id, cycle=cycle, title=f"{kind} of {email}", status=status
                )
                session.add(plan)
                await session.flush()
                mine.add(kind, "LearningPlan", plan.id)
                if status is not models.PlanStatus.DRAFT:
                    session.add(
                        models.PlanEvent(
                            plan_id=plan.id,
                            actor_id=teacher_id,
                            action="submit",
                            from_status="draft",
                            to_status="submitted",
                            note="",
                        )
                    )
            goal = models.Goal(
                plan_id=mine.db["plan"], title=f"secret goal of {email}", progress=10
            )
            approved_goal = models.Goal(
                plan_id=mine.db["approved_plan"], title=f"approved goal of {email}", progress=50
            )
            session.add_all([goal, approved_goal])
            await session.flush()
            mine.add("goal", "Goal", goal.id)
            mine.add("approved_goal", "Goal", approved_goal.id)
            session.add(models.GoalElement(goal_id=goal.id, element_id=element))
            step = models.ActionStep(goal_id=goal.id, description=f"step of {email}")
            evidence = models.Evidence(
                teacher_id=teacher_id,
                kind="reflection",
                title=f"evidence of {email}",
                audience="supervisors",
            )
            assessment = models.SelfAssessment(
                teacher_id=teacher_id, cycle="2025-26", audience="supervisors"
            )
            profile = await session.get(models.TeacherProfile, teacher_id)
            assert profile is not None
            profile.growth_audience = "supervisors"
            training = models.TrainingRecord(
                teacher_id=teacher_id,
                title=f"training of {email}",
                completed_on=date(2025, 1, 10),
                hours=3.0,
            )
            observation = models.Observation(
                teacher_id=teacher_id,
                observer_id=observer_id,
                kind="informal",
                observed_on=date(2025, 10, 1),
                notes=f"private notes on {email}",
            )
            session.add_all([step, evidence, assessment, training, observation])
            await session.flush()
            mine.add("step", "ActionStep", step.id)
            mine.add("evidence", "Evidence", evidence.id)
            mine.add("self_assessment", "SelfAssessment", assessment.id)
            mine.add("training", "TrainingRecord", training.id)
            mine.add("observation", "Observation", observation.id)
            session.add_all(
                [
                    models.EvidenceGoal(evidence_id=evidence.id, goal_id=goal.id),
                    models.EvidenceElement(evidence_id=evidence.id, element_id=element),
                    models.SelfAssessmentRating(
                        self_assessment_id=assessment.id,
                        element_id=element,
                        level_id=level["emerging"],
                    ),
                    models.TrainingRecordElement(
                        training_record_id=training.id, element_id=element
                    ),
                    models.ObservationRating(
                        observation_id=observation.id,
                        element_id=element,
                        level_id=level["applying"],
                    ),
                    models.FocusElement(teacher_id=teacher_id, element_id=element),
                ]
            )
            comments = {
                "goal_comment": models.Comment(
                    author_id=teacher_id, body="on my goal", goal_id=goal.id
                ),
                "evidence_comment": models.Comment(
                    author_id=observer_id, body="on the evidence", evidence_id=evidence.id
                ),
                "observation_comment": models.Comment(
                    author_id=teacher_id, body="on the observation", observation_id=observation.id
                ),
            }
            session.add_all(comments.values())
            await session.flush()
            for kind, comment in comments.items():
                mine.add(kind, "Comment", comment.id)

        results = {
            student_id: result_id
            for result_id, student_id in await session.execute(
                select(models.AssessmentResult.id, models.AssessmentResult.student_id)
            )
        }
        assessments = list(
            await session.execute(select(models.Assessment.id, models.Assessment.district_id))
        )
        users = list(await session.execute(select(models.User.email, models.User.district_id)))

    owner_of: dict[str, str] = {}
    narrower: dict[str, set[str]] = {}
    for email, mine in owned.items():
        for global_id in mine.ids.values():
            owner_of[global_id] = email
        for kind in ("plan", "goal", "step", "goal_comment"):
            narrower[mine.ids[kind]] = {email}
        if OBSERVERS[email] == COACH:
            narrower[mine.ids["evidence_comment"]] = {email, COACH}
    student_ids: dict[str, str] = {}
    result_ids: dict[str, str] = {}
    for email, roster in ROSTERS.items():
        for local_id in roster:
            db_id = world.student_ids[local_id]
            student_ids[local_id] = gid("Student", db_id)
            result_ids[local_id] = gid("AssessmentResult", results[db_id])
            owner_of[student_ids[local_id]] = email
            owner_of[result_ids[local_id]] = email
    district_of_user = dict(users)
    district_of = {gid("User", world.user_ids[email]): d for email, d in district_of_user.items()}
    for key, school_id in world.school_ids.items():
        district_of[gid("School", school_id)] = other if key == "X" else world.district_id
    for assessment_id, district_id in assessments:
        district_of[gid("Assessment", assessment_id)] = district_id
    district_of[gid("District", world.district_id)] = world.district_id
    district_of[gid("District", other)] = other
    district_of[gid("DistrictGoal", goal_here.id)] = world.district_id
    district_of[gid("DistrictGoal", goal_there.id)] = other
    return Rich(
        world,
        owned,
        district_of_user,
        owner_of,
        district_of,
        student_ids,
        result_ids,
        district_goal=gid("DistrictGoal", goal_here.id),
        other_district_goal=gid("DistrictGoal", goal_there.id),
        narrower=narrower,
    )


@pytest.fixture
async def rich(db: TestDatabase, world: World) -> Rich:
    return await build_rich(db, world)
