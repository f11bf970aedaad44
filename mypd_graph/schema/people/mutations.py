"""People mutations: a teacher's own profile and focus elements, the staff directory (the
district's active framework: schema.frameworks.swap)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.frameworks import Element
from mypd_graph.schema.people.district import District, StaffDirectoryScope
from mypd_graph.schema.people.types import Teacher
from mypd_graph.services.people import directory as service


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


@strawberry.input
class SetStaffDirectoryInput:
    scope: StaffDirectoryScope


@strawberry.type
class SetStaffDirectoryPayload:
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

        async def work(
            session: AsyncSession,
        ) -> tuple[models.TeacherProfile, list[models.Standard]]:
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

    @strawberry.mutation(description="A district admin sets who finds whom among the staff.")
    async def set_staff_directory(
        self, info: Info, input: SetStaffDirectoryInput
    ) -> SetStaffDirectoryPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.District:
            await service.set_staff_directory(session, actor, input.scope.value)
            return await session.get_one(models.District, actor.district_id)

        district, errors = await run_mutation(info, work)
        return SetStaffDirectoryPayload(
            district=District.from_row(district) if district else None, user_errors=errors
        )
