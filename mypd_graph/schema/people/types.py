"""Schools, users and teachers, with the loaders by id that every other domain calls.

Teacher reaches into the other domains (plans, feedback, students, needs, growth) through lazy types
and imports inside its resolvers, so that they may import this module and it none of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.frameworks import Element
from mypd_graph.schema.lookahead import then
from mypd_graph.schema.relay import Node, node_loader, to_global_id
from mypd_graph.services.access import Actor
from mypd_graph.services.people import directory as service

if TYPE_CHECKING:
    from mypd_graph.schema.feedback.types import (
        Evidence,
        Observation,
        SelfAssessment,
        TrainingRecord,
    )
    from mypd_graph.schema.insights.growth import TeacherGrowth
    from mypd_graph.schema.personalization.needs import Need
    from mypd_graph.schema.personalization.recommendations import (
        GoalSuggestion,
        RecommendationConnection,
    )
    from mypd_graph.schema.plans.types import LearningPlan
    from mypd_graph.schema.students import Section, StudentConnection, StudentFilterInput

# Teacher reaches into other domains; lazy types keep the modules free of import cycles.
_FEEDBACK = strawberry.lazy("mypd_graph.schema.feedback.types")
_STUDENTS = strawberry.lazy("mypd_graph.schema.students")
LazyPlan = Annotated["LearningPlan", strawberry.lazy("mypd_graph.schema.plans.types")]
LazySelfAssessment = Annotated["SelfAssessment", _FEEDBACK]
LazyObservation = Annotated["Observation", _FEEDBACK]
LazyEvidence = Annotated["Evidence", _FEEDBACK]
LazyTrainingRecord = Annotated["TrainingRecord", _FEEDBACK]
LazySection = Annotated["Section", _STUDENTS]
LazyStudents = Annotated["StudentConnection", _STUDENTS]
LazyStudentFilter = Annotated["StudentFilterInput", _STUDENTS]
_RECOMMENDATIONS = strawberry.lazy("mypd_graph.schema.personalization.recommendations")
LazyNeed = Annotated["Need", strawberry.lazy("mypd_graph.schema.personalization.needs")]
LazyGoalSuggestion = Annotated["GoalSuggestion", _RECOMMENDATIONS]
LazyRecommendations = Annotated["RecommendationConnection", _RECOMMENDATIONS]
LazyGrowth = Annotated["TeacherGrowth", strawberry.lazy("mypd_graph.schema.insights.growth")]

Role = strawberry.enum(models.Role, name="Role")


@strawberry.type
class School(Node):
    code: str
    name: str
    grade_band: str
    db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.School) -> School:
        return cls(
            id=to_global_id("School", row.id),
            code=row.code,
            name=row.name,
            grade_band=row.grade_band,
            db_id=row.id,
        )


@node_loader("School")
async def school_by_id(info: Info, school_id: int | None) -> School | None:
    if school_id is None:
        return None
    row = await info.context.loader(service.schools_by_ids).load(school_id)
    return School.from_row(row) if row else None


@strawberry.type(description="Anyone who signs in.")
class User(Node):
    name: str
    role: Role
    db_id: strawberry.Private[int]
    school_id: strawberry.Private[int | None]
    email_address: strawberry.Private[str]
    contact: strawberry.Private[bool]

    @strawberry.field(
        description="Null unless the district's staff directory lets the viewer contact this "
        "person (a teacher: their own coaches and principal)."
    )
    def email(self) -> str | None:
        return self.email_address if self.contact else None

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)

    @strawberry.field(description="The user's teacher profile, when they are a teacher.")
    async def teacher(self, info: Info) -> Teacher | None:
        return await teacher_by_id(info, self.db_id)

    @strawberry.field(
        description="District admins: the teachers on this coach's caseload (empty for anyone "
        "else, and for a user who is not a coach)."
    )
    async def caseload(self, info: Info) -> list[Teacher]:
        from mypd_graph.services.people import organisation

        if info.context.actor.role is not models.Role.DISTRICT_ADMIN:
            return []
        if self.role is not models.Role.COACH:
            return []
        rows = await info.context.read(organisation.caseload, self.db_id)
        found = await asyncio.gather(*(teacher_by_id(info, row.id) for row in rows))  # one batch
        return [teacher for teacher in found if teacher is not None]

    @classmethod
    def from_row(cls, person: service.Person) -> User:
        row = person.user
        return cls(
            id=to_global_id("User", row.id),
            name=row.name,
            role=Role(row.role),
            db_id=row.id,
            school_id=row.school_id,
            email_address=row.email,
            contact=person.contact,
        )


async def user_by_id(info: Info, user_id: int | None) -> User | None:
    """A user a record the viewer may read points to (an observer, an author), in the district."""
    if user_id is None:
        return None
    row = await info.context.loader(service.users_by_ids).load(user_id)
    return User.from_row(row) if row else None


@node_loader("User")
async def directory_user_by_id(info: Info, user_id: int) -> User | None:
    """A user looked up by id: only those the district's staff directory lets the viewer find."""
    row = await info.context.loader(service.directory_users_by_ids).load(user_id)
    return User.from_row(row) if row else None


@strawberry.type(description="A teacher: their profile and, through its fields, their growth.")
class Teacher(Node):
    subjects: list[str]
    grade_levels: list[str]
    years_experience: int | None
    bio: str
    db_id: strawberry.Private[int]
    school_id: strawberry.Private[int | None]

    @strawberry.field
    async def user(self, info: Info) -> User:
        user = await user_by_id(info, self.db_id)
        assert user is not None  # a visible teacher's user is in the viewer's district
        return user

    # name and email: the user loader's future mapped (no coroutine per field, lookahead.then)
    @strawberry.field
    def name(self, info: Info) -> str:
        found = info.context.loader(service.users_by_ids).load(self.db_id)
        return then(found, _person_name)  # type: ignore[return-value]

    @strawberry.field
    def email(self, info: Info) -> str:
        found = info.context.loader(service.users_by_ids).load(self.db_id)
        return then(found, _person_email)  # type: ignore[return-value]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)

    @strawberry.field(description="The elements the teacher chose to grow in.")
    async def focus_elements(self, info: Info) -> list[Element]:
        rows = await info.context.loader(service.focus_elements_by_teacher).load(self.db_id)
        return [Element.from_row(row) for row in rows]

    # plans, observations and evidence return their loader's awaitable without a coroutine of
    # their own: graphql-core awaits it (one awaitable per field, not two).
    @strawberry.field(description="Learning plans, newest cycle first; optionally one cycle.")
    def plans(self, info: Info, cycle: str | None = None) -> list[LazyPlan]:
        from mypd_graph.schema.plans.types import plans_of_teacher

        return plans_of_teacher(info, self.db_id, cycle)  # type: ignore[return-value]

    @strawberry.field
    async def self_assessments(self, info: Info) -> list[LazySelfAssessment]:
        from mypd_graph.schema.feedback.types import self_assessments_of_teacher

        return await self_assessments_of_teacher(info, self.db_id)

    @strawberry.field
    def observations(self, info: Info) -> list[LazyObservation]:
        from mypd_graph.schema.feedback.branches import observations_of_teacher

        return observations_of_teacher(info, self.db_id)  # type: ignore[return-value]

    @strawberry.field
    def evidence(self, info: Info) -> list[LazyEvidence]:
        from mypd_graph.schema.feedback.branches import evidence_of_teacher

        return evidence_of_teacher(info, self.db_id)  # type: ignore[return-value]

    @strawberry.field(description="Past PD with hours and aligned elements.")
    async def training_records(self, info: Info) -> list[LazyTrainingRecord]:
        from mypd_graph.schema.feedback.types import training_of_teacher

        return await training_of_teacher(info, self.db_id)

    @strawberry.field
    async def sections(self, info: Info) -> list[LazySection]:
        from mypd_graph.schema import students

        return await students.sections_of_teacher(info, self.db_id)

    @strawberry.field(description="Students enrolled in the teacher's sections (student data).")
    async def students(
        self,
        info: Info,
        where: LazyStudentFilter | None = None,
        first: int = 25,
        after: str | None = None,
    ) -> LazyStudents:
        from mypd_graph.schema import students

        return await students.students_of_teacher(info, self.db_id, where, first, after)

    @strawberry.field(
        description="Needs per element of the active framework, highest first, each with the "
        "signals behind it. Unscored elements (no student, self or observer data) only with "
        "includeUnscored."
    )
    async def needs(
        self,
        info: Info,
        first: int = 10,
        include_unscored: bool = False,
        element_code: str | None = None,
    ) -> list[LazyNeed]:
        from mypd_graph.schema.personalization.needs import needs_of_teacher

        return await needs_of_teacher(info, self.db_id, first, include_unscored, element_code)

    @strawberry.field(description="Goals drafted from top needs and focus elements.")
    async def goal_suggestions(self, info: Info, first: int = 3) -> list[LazyGoalSuggestion]:
        from mypd_graph.schema.personalization.recommendations import goal_suggestions_of_teacher

        return await goal_suggestions_of_teacher(info, self.db_id, first)

    @strawberry.field(
        description="PD resources ranked for the teacher's needs and focus, with reasons; "
        "completed resources and other subjects and grades left out."
    )
    async def recommendations(
        self, info: Info, first: int = 10, after: str | None = None
    ) -> LazyRecommendations:
        from mypd_graph.schema.personalization.recommendations import recommendations_of_teacher

        return await recommendations_of_teacher(info, self.db_id, first, after)

    @strawberry.field(
        description="Whether the viewer reads the teacher's growth profile (needs, growth, goal "
        "suggestions, recommendations): their own, or shared with the viewer. False tells a "
        "profile not shared with the viewer from one with no data yet."
    )
    async def growth_profile_visible(self, info: Info) -> bool:
        return await info.context.loader(growth_profile_readable).load(self.db_id)

    @strawberry.field(
        description="Growth over time: ratings, goals, training, students, PD impact."
    )
    def growth(self) -> LazyGrowth:
        from mypd_graph.schema.insights.growth import growth_of_teacher

        return growth_of_teacher(self.db_id)

    @classmethod
    def from_row(cls, row: models.TeacherProfile) -> Teacher:
        return cls(
            id=to_global_id("Teacher", row.user_id),
            subjects=list(row.subjects),
            grade_levels=list(row.grade_levels),
            years_experience=row.years_experience,
            bio=row.bio,
            db_id=row.user_id,
            school_id=row.school_id,
        )


def _person_name(person: service.Person | None) -> str:
    assert person is not None  # a visible teacher's user is in the viewer's district
    return person.user.name


def _person_email(person: service.Person | None) -> str:
    assert person is not None  # a visible teacher's user is in the viewer's district
    return person.user.email


async def growth_profile_readable(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[bool]:
    """DataLoader batch: whether ``actor`` reads each teacher's growth profile, by the rule the
    profile's fields follow (services.personalization.needs.teachers_by_ids)."""
    from mypd_graph.services.personalization.needs import teachers_by_ids as readable

    found = set(await session.scalars(readable(actor, teacher_ids)))
    return [teacher_id in found for teacher_id in teacher_ids]


@node_loader("Teacher")
async def teacher_by_id(info: Info, teacher_id: int) -> Teacher | None:
    row = await info.context.loader(service.teachers_by_ids).load(teacher_id)
    return Teacher.from_row(row) if row else None
