"""The viewer's district and the root reads: viewer, district, a teacher; the filter over teachers.

District reaches into personalization and insights lazily, as Teacher does in :mod:`.types`.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import PlanStatus
from mypd_graph.schema.frameworks import Framework, framework_by_id
from mypd_graph.schema.people.types import (
    Role,
    School,
    Teacher,
    User,
    teacher_by_id,
    user_by_id,
)
from mypd_graph.schema.relay import Connection, Node, connection, decode_id, to_global_id
from mypd_graph.services.errors import UserInputError
from mypd_graph.services.people import admin
from mypd_graph.services.people import directory as service
from mypd_graph.services.people.directory import TeacherFilter
from mypd_graph.services.privacy import scope as privacy_scope

if TYPE_CHECKING:
    from mypd_graph.schema.insights.district import DistrictInsights
    from mypd_graph.schema.personalization.settings import PersonalizationSettings

LazySettings = Annotated[
    "PersonalizationSettings", strawberry.lazy("mypd_graph.schema.personalization.settings")
]
LazyDistrictInsights = Annotated[
    "DistrictInsights", strawberry.lazy("mypd_graph.schema.insights.district")
]


@strawberry.enum(description="Who finds whom among the district's staff.")
class StaffDirectoryScope(enum.Enum):
    SCHOOL = strawberry.enum_value(
        "school",
        description="Staff find the people of their school, those they serve and who serves "
        "them, and the district admins; a teacher reads only their coaches' and principal's email.",
    )
    DISTRICT = strawberry.enum_value(
        "district", description="All staff find and contact everyone in the district."
    )


@strawberry.enum(description="Which students (and results) a teacher reads (docs/privacy.md).")
class StudentScope(enum.Enum):
    CURRENT = strawberry.enum_value(
        "current", description="The students of the teacher's sections of this school year."
    )
    RECENT = strawberry.enum_value(
        "recent",
        description="Also last year's students, with their results only in the subjects the "
        "teacher taught them (the default).",
    )
    ALL = strawberry.enum_value("all", description="The students of every year's sections.")


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

    @strawberry.field(
        description="District admins: the district's users by email, inactive ones too, "
        "optionally of one role or school (empty for everyone else). A district's staff, for "
        "the admin's pages; not paginated."
    )
    async def users(
        self, info: Info, role: Role | None = None, school_id: strawberry.ID | None = None
    ) -> list[User]:
        if info.context.actor.role is not models.Role.DISTRICT_ADMIN:
            return []
        school = decode_id(school_id, "School", "schoolId") if school_id is not None else None
        where = admin.UserFilter(role=role.value if role else None, school_id=school)
        rows = await info.context.read(admin.district_users, where)
        return [User.from_row(service.Person(row, contact=True)) for row in rows]

    @strawberry.field(description="Who finds whom among the staff (node(id) of a User, emails).")
    async def staff_directory(self, info: Info) -> StaffDirectoryScope:
        scope = await info.context.read(
            lambda session, actor: service.staff_directory(session, actor.district_id)
        )
        return StaffDirectoryScope(scope)

    @strawberry.field(description="Which students (and their results) teachers read.")
    async def student_scope(self, info: Info) -> StudentScope:
        scope = await info.context.read(
            lambda session, actor: privacy_scope.student_scope(session, actor.district_id)
        )
        return StudentScope(scope)

    @strawberry.field
    async def active_framework(self, info: Info) -> Framework | None:
        return await framework_by_id(info, self.active_framework_id)

    @strawberry.field(description="How needs are weighed and small groups protected.")
    async def personalization_settings(self, info: Info) -> LazySettings:
        from mypd_graph.schema.personalization.settings import settings_of_district

        return await settings_of_district(info)

    @strawberry.field(
        description="District views over the teachers the viewer serves (coaches, principals, "
        "district admins; FORBIDDEN for teachers), optionally one school."
    )
    def insights(self, info: Info, school_id: strawberry.ID | None = None) -> LazyDistrictInsights:
        from mypd_graph.schema.insights.district import insights_of_district

        school = decode_id(school_id, "School", "schoolId") if school_id is not None else None
        return insights_of_district(info, school)

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
