"""The viewer, teachers, schools and the district; profile and focus-element mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import PlanStatus
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.frameworks import Element, Framework, framework_by_id
from mypd_graph.schema.relay import (
    Connection,
    Node,
    connection,
    decode_id,
    node_loader,
    to_global_id,
)
from mypd_graph.services.errors import UserInputError
from mypd_graph.services.frameworks import registry as framework_service
from mypd_graph.services.people import directory as service
from mypd_graph.services.people.directory import TeacherFilter

if TYPE_CHECKING:
    from mypd_graph.schema.feedback import Evidence, Observation, SelfAssessment, TrainingRecord
    from mypd_graph.schema.insights import DistrictInsights, TeacherGrowth
    from mypd_graph.schema.personalization import (
        GoalSuggestion,
        Need,
        PersonalizationSettings,
        RecommendationConnection,
    )
    from mypd_graph.schema.plans import LearningPlan
    from mypd_graph.schema.students import Section, Student, StudentFilterInput

# Teacher reaches into other domains; lazy types keep the modules free of import cycles.
_FEEDBACK = strawberry.lazy("mypd_graph.schema.feedback")
_STUDENTS = strawberry.lazy("mypd_graph.schema.students")
LazyPlan = Annotated["LearningPlan", strawberry.lazy("mypd_graph.schema.plans")]
LazySelfAssessment = Annotated["SelfAssessment", _FEEDBACK]
LazyObservation = Annotated["Observation", _FEEDBACK]
LazyEvidence = Annotated["Evidence", _FEEDBACK]
LazyTrainingRecord = Annotated["TrainingRecord", _FEEDBACK]
LazySection = Annotated["Section", _STUDENTS]
LazyStudent = Annotated["Student", _STUDENTS]
LazyStudentFilter = Annotated["StudentFilterInput", _STUDENTS]
_PERSONALIZATION = strawberry.lazy("mypd_graph.schema.personalization")
_INSIGHTS = strawberry.lazy("mypd_graph.schema.insights")
LazyNeed = Annotated["Need", _PERSONALIZATION]
LazyGoalSuggestion = Annotated["GoalSuggestion", _PERSONALIZATION]
LazyRecommendations = Annotated["RecommendationConnection", _PERSONALIZATION]
LazySettings = Annotated["PersonalizationSettings", _PERSONALIZATION]
LazyGrowth = Annotated["TeacherGrowth", _INSIGHTS]
LazyDistrictInsights = Annotated["DistrictInsights", _INSIGHTS]

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
    email: str
    role: Role
    db_id: strawberry.Private[int]
    school_id: strawberry.Private[int | None]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)

    @strawberry.field(description="The user's teacher profile, when they are a teacher.")
    async def teacher(self, info: Info) -> Teacher | None:
        return await teacher_by_id(info, self.db_id)

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            id=to_global_id("User", row.id),
            name=row.name,
            email=row.email,
            role=Role(row.role),
            db_id=row.id,
            school_id=row.school_id,
        )


@node_loader("User")
async def user_by_id(info: Info, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    row = await info.context.loader(service.users_by_ids).load(user_id)
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

    @strawberry.field
    async def name(self, info: Info) -> str:
        return (await self.user(info)).name

    @strawberry.field
    async def email(self, info: Info) -> str:
        return (await self.user(info)).email

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)

    @strawberry.field(description="The elements the teacher chose to grow in.")
    async def focus_elements(self, info: Info) -> list[Element]:
        rows = await info.context.loader(service.focus_elements_by_teacher).load(self.db_id)
        return [Element.from_row(row) for row in rows]

    @strawberry.field(description="Learning plans, newest cycle first; optionally one cycle.")
    async def plans(self, info: Info, cycle: str | None = None) -> list[LazyPlan]:
        from mypd_graph.schema import plans

        return await plans.plans_of_teacher(info, self.db_id, cycle)

    @strawberry.field
    async def self_assessments(self, info: Info) -> list[LazySelfAssessment]:
        from mypd_graph.schema import feedback

        return await feedback.self_assessments_of_teacher(info, self.db_id)

    @strawberry.field
    async def observations(self, info: Info) -> list[LazyObservation]:
        from mypd_graph.schema import feedback

        return await feedback.observations_of_teacher(info, self.db_id)

    @strawberry.field
    async def evidence(self, info: Info) -> list[LazyEvidence]:
        from mypd_graph.schema import feedback

        return await feedback.evidence_of_teacher(info, self.db_id)

    @strawberry.field(description="Past PD with hours and aligned elements.")
    async def training_records(self, info: Info) -> list[LazyTrainingRecord]:
        from mypd_graph.schema import feedback

        return await feedback.training_of_teacher(info, self.db_id)

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
    ) -> Connection[LazyStudent]:
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
        from mypd_graph.schema import personalization

        return await personalization.needs_of_teacher(
            info, self.db_id, first, include_unscored, element_code
        )

    @strawberry.field(description="Goals drafted from top needs and focus elements.")
    async def goal_suggestions(self, info: Info, first: int = 3) -> list[LazyGoalSuggestion]:
        from mypd_graph.schema import personalization

        return await personalization.goal_suggestions_of_teacher(info, self.db_id, first)

    @strawberry.field(
        description="PD resources ranked for the teacher's needs and focus, with reasons; "
        "completed resources and other subjects and grades left out."
    )
    async def recommendations(
        self, info: Info, first: int = 10, after: str | None = None
    ) -> LazyRecommendations:
        from mypd_graph.schema import personalization

        return await personalization.recommendations_of_teacher(info, self.db_id, first, after)

    @strawberry.field(
        description="Growth over time: ratings, goals, training, students, PD impact."
    )
    def growth(self) -> LazyGrowth:
        from mypd_graph.schema import insights

        return insights.growth_of_teacher(self.db_id)

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


@node_loader("Teacher")
async def teacher_by_id(info: Info, teacher_id: int) -> Teacher | None:
    row = await info.context.loader(service.teachers_by_ids).load(teacher_id)
    return Teacher.from_row(row) if row else None


@strawberry.input
class TeacherFilterInput:
    school_id: strawberry.ID | None = None
    focus_element_code: str | None = None
    plan_status: PlanStatus | None = None
    plan_cycle: str | None = None
    name_contains: str | None = None

    def to_filter(self) -> TeacherFilter:
        school_id = (
            decode_id(self.school_id, "School", ("where", "schoolId")) if self.school_id else None
        )
        return TeacherFilter(
            school_id=school_id,
            focus_element_code=self.focus_element_code,
            plan_status=self.plan_status.value if self.plan_status else None,
            plan_cycle=self.plan_cycle,
            name_contains=self.name_contains,
        )


async def teacher_connection(
    info: Info, where: TeacherFilterInput | None, first: int, after: str | None
) -> Connection[Teacher]:
    page = await info.context.read(
        service.teacher_page, (where or TeacherFilterInput()).to_filter(), first, after
    )
    return connection(page, Teacher.from_row)


@strawberry.type(description="The viewer's district: schools, teachers they may see, framework.")
class District(Node):
    key: str
    name: str
    db_id: strawberry.Private[int]
    active_framework_id: strawberry.Private[int | None]

    @strawberry.field
    async def schools(self, info: Info) -> list[School]:
        rows = await info.context.read(service.schools_of_district)
        return [School.from_row(row) for row in rows]

    @strawberry.field(description="Teachers the viewer may see, filtered.")
    async def teachers(
        self,
        info: Info,
        where: TeacherFilterInput | None = None,
        first: int = 25,
        after: str | None = None,
    ) -> Connection[Teacher]:
        return await teacher_connection(info, where, first, after)

    @strawberry.field
    async def active_framework(self, info: Info) -> Framework | None:
        return await framework_by_id(info, self.active_framework_id)

    @strawberry.field(description="How needs are weighed and small groups protected.")
    async def personalization_settings(self, info: Info) -> LazySettings:
        from mypd_graph.schema import personalization

        return await personalization.settings_of_district(info)

    @strawberry.field(
        description="District views over the teachers the viewer serves (coaches, principals, "
        "district admins; FORBIDDEN for teachers), optionally one school."
    )
    def insights(self, info: Info, school_id: strawberry.ID | None = None) -> LazyDistrictInsights:
        from mypd_graph.schema import insights

        school = decode_id(school_id, "School", "schoolId") if school_id is not None else None
        return insights.insights_of_district(info, school)

    @classmethod
    def from_row(cls, row: models.District) -> District:
        return cls(
            id=to_global_id("District", row.id),
            key=row.key,
            name=row.name,
            db_id=row.id,
            active_framework_id=row.active_framework_id,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    async def viewer(self, info: Info) -> User:
        user = await user_by_id(info, info.context.actor.user_id)
        assert user is not None
        return user

    @strawberry.field
    async def district(self, info: Info) -> District:
        async with info.context.sessionmaker() as session:
            row = await session.get_one(models.District, info.context.actor.district_id)
        return District.from_row(row)

    @strawberry.field(description="A teacher the viewer may see; null otherwise.")
    async def teacher(self, info: Info, id: strawberry.ID) -> Teacher | None:
        try:
            teacher_id = decode_id(id, "Teacher", "id")
        except UserInputError:
            return None
        return await teacher_by_id(info, teacher_id)


@strawberry.input
class UpdateProfileInput:
    name: str | None = None
    subjects: list[str] | None = None
    grade_levels: list[str] | None = None
    years_experience: int | None = None
    bio: str | None = None


@strawberry.type
class UpdateProfilePayload:
    teacher: Teacher | None
    user_errors: list[UserError]


@strawberry.input
class SetFocusElementsInput:
    element_codes: list[str] = strawberry.field(
        description="Codes of elements of the active framework, e.g. 1.1; replaces the set."
    )


@strawberry.type
class SetFocusElementsPayload:
    teacher: Teacher | None
    focus_elements: list[Element] | None
    user_errors: list[UserError]


@strawberry.type
class ActivateFrameworkPayload:
    district: District | None
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="The signed-in teacher updates their own profile.")
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> UpdateProfilePayload:
        actor = info.context.actor
        profile, errors = await run_mutation(
            info,
            lambda session: service.update_profile(
                session,
                actor,
                name=input.name,
                subjects=input.subjects,
                grade_levels=input.grade_levels,
                years_experience=input.years_experience,
                bio=input.bio,
            ),
        )
        return UpdateProfilePayload(
            teacher=Teacher.from_row(profile) if profile else None, user_errors=errors
        )

    @strawberry.mutation(description="The signed-in teacher chooses the elements to grow in.")
    async def set_focus_elements(
        self, info: Info, input: SetFocusElementsInput
    ) -> SetFocusElementsPayload:
        actor = info.context.actor

        async def work(session):  # type: ignore[no-untyped-def]
            elements = await service.set_focus_elements(
                session, actor, actor.user_id, input.element_codes
            )
            return await session.get_one(models.TeacherProfile, actor.user_id), elements

        result, errors = await run_mutation(info, work)
        if result is None:
            return SetFocusElementsPayload(teacher=None, focus_elements=None, user_errors=errors)
        profile, elements = result
        return SetFocusElementsPayload(
            teacher=Teacher.from_row(profile),
            focus_elements=[Element.from_row(row) for row in elements],
            user_errors=[],
        )

    @strawberry.mutation(
        description="A district admin makes a framework the district's active one."
    )
    async def activate_framework(self, info: Info, key: str) -> ActivateFrameworkPayload:
        actor = info.context.actor
        district, errors = await run_mutation(
            info, lambda session: framework_service.activate_framework(session, actor, key)
        )
        return ActivateFrameworkPayload(
            district=District.from_row(district) if district else None, user_errors=errors
        )
