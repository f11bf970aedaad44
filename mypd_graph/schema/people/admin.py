"""A district admin's mutations: schools, users, coach caseloads, district goals.

Resolvers only translate (global IDs to database ids, absent fields to ``UNCHANGED``, rows to
types); who may do what and every check live in services/people (:mod:`.admin`,
:mod:`.organisation`), which the ``mypd-graph user`` and ``caseload`` commands call too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.people.types import Role, School, Teacher, User
from mypd_graph.schema.relay import decode_id
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import UserInputError, invalid
from mypd_graph.services.people import admin as service
from mypd_graph.services.people import organisation
from mypd_graph.services.people.directory import Person

if TYPE_CHECKING:
    from mypd_graph.schema.plans.types import DistrictGoal

LazyDistrictGoal = Annotated["DistrictGoal", strawberry.lazy("mypd_graph.schema.plans.types")]
T = TypeVar("T")
R = TypeVar("R")


def _user(row: models.User) -> User:
    return User.from_row(Person(row, contact=True))  # an admin may contact their district


def _given(value: Any) -> Any:
    """Absent (UNSET) or null means "leave as it is" for fields that cannot be cleared."""
    return None if value is strawberry.UNSET else value


def _teacher_id(global_id: strawberry.ID) -> int:
    """A teacher named by their Teacher ID or their User ID (the same person)."""
    for kind in ("Teacher", "User"):
        try:
            return decode_id(global_id, kind, ("input", "teacherId"))
        except UserInputError:  # try the other spelling, then report one error
            continue
    raise invalid(("input", "teacherId"), "expected the ID of a Teacher or a User", "BAD_ID")


async def _mutate(
    info: Info, work: Callable[[AsyncSession, Actor], Awaitable[T]], convert: Callable[[T], R]
) -> tuple[R | None, list[UserError]]:
    actor = info.context.actor
    row, errors = await run_mutation(info, lambda session: work(session, actor))
    return (convert(row) if row is not None else None), errors


@strawberry.input
class CreateSchoolInput:
    code: str = strawberry.field(description="The SIS's school code (rosters match by it).")
    name: str
    grade_band: str = ""


@strawberry.input
class UpdateSchoolInput:
    school_id: strawberry.ID
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    grade_band: str | None = strawberry.UNSET


@strawberry.type
class SchoolPayload:
    school: School | None
    user_errors: list[UserError]


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    role: Role
    school_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for a principal; a teacher's school."
    )


@strawberry.input
class UpdateUserInput:
    user_id: strawberry.ID
    name: str | None = strawberry.UNSET
    role: Role | None = strawberry.UNSET
    school_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Absent: unchanged; null: no school."
    )


@strawberry.input
class UserIdInput:
    user_id: strawberry.ID


@strawberry.type
class UserPayload:
    user: User | None
    user_errors: list[UserError]


@strawberry.input
class CoachAssignmentInput:
    coach_id: strawberry.ID = strawberry.field(description="The coach's User ID.")
    teacher_id: strawberry.ID = strawberry.field(description="The teacher's Teacher or User ID.")


@strawberry.type
class CoachAssignmentPayload:
    coach: User | None
    teacher: Teacher | None
    user_errors: list[UserError]


@strawberry.input
class CreateDistrictGoalInput:
    title: str
    description: str = ""


@strawberry.input
class UpdateDistrictGoalInput:
    district_goal_id: strawberry.ID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input
class DistrictGoalIdInput:
    district_goal_id: strawberry.ID


@strawberry.type
class DistrictGoalPayload:
    district_goal: LazyDistrictGoal | None
    user_errors: list[UserError]


def _school_id(value: Any) -> int | None | service._Unchanged:
    if value is strawberry.UNSET:
        return service.UNCHANGED
    return decode_id(value, "School", ("input", "schoolId")) if value is not None else None


def _goal(row: models.DistrictGoal) -> DistrictGoal:
    from mypd_graph.schema.plans.types import DistrictGoal

    return DistrictGoal.from_row(row)


def _user_id(input: UserIdInput | UpdateUserInput) -> int:
    return decode_id(input.user_id, "User", ("input", "userId"))


def _goal_id(input: DistrictGoalIdInput | UpdateDistrictGoalInput) -> int:
    return decode_id(input.district_goal_id, "DistrictGoal", ("input", "districtGoalId"))


async def _caseload(
    info: Info, input: CoachAssignmentInput, assign: bool
) -> CoachAssignmentPayload:
    change = organisation.assign_coach if assign else organisation.unassign_coach

    async def work(
        session: AsyncSession, actor: Actor
    ) -> tuple[models.User, models.TeacherProfile]:
        coach_id = decode_id(input.coach_id, "User", ("input", "coachId"))
        return await change(session, actor, coach_id, _teacher_id(input.teacher_id))

    pair, errors = await _mutate(info, work, lambda pair: pair)
    if pair is None:
        return CoachAssignmentPayload(coach=None, teacher=None, user_errors=errors)
    return CoachAssignmentPayload(
        coach=_user(pair[0]), teacher=Teacher.from_row(pair[1]), user_errors=[]
    )


@strawberry.input
class SetRosterStaffRolesInput:
    enabled: bool = strawberry.field(
        description="True: OneRoster administrators become principals of their school and admins "
        "of the district org on import (the default); false: roles are given only in mypd."
    )


@strawberry.type
class RosterStaffRolesPayload:
    enabled: bool | None
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A district admin adds a school to their district.")
    async def create_school(self, info: Info, input: CreateSchoolInput) -> SchoolPayload:
        school, errors = await _mutate(
            info,
            lambda session, actor: organisation.create_school(
                session, actor, code=input.code, name=input.name, grade_band=input.grade_band
            ),
            School.from_row,
        )
        return SchoolPayload(school=school, user_errors=errors)

    @strawberry.mutation(description="A district admin renames or recodes one of their schools.")
    async def update_school(self, info: Info, input: UpdateSchoolInput) -> SchoolPayload:
        async def work(session: AsyncSession, actor: Actor) -> models.School:
            return await organisation.update_school(
                session,
                actor,
                decode_id(input.school_id, "School", ("input", "schoolId")),
                code=_given(input.code),
                name=_given(input.name),
                grade_band=_given(input.grade_band),
            )

        school, errors = await _mutate(info, work, School.from_row)
        return SchoolPayload(school=school, user_errors=errors)

    @strawberry.mutation(
        description="A district admin adds a user with a role (a teacher gets a teacher profile)."
    )
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        async def work(session: AsyncSession, actor: Actor) -> models.User:
            school_id = _school_id(input.school_id)
            return await service.create_user(
                session,
                actor,
                email=input.email,
                name=input.name,
                role=input.role.value,
                school_id=school_id if isinstance(school_id, int) else None,
            )

        user, errors = await _mutate(info, work, _user)
        return UserPayload(user=user, user_errors=errors)

    @strawberry.mutation(description="A district admin changes a user's name, role or school.")
    async def update_user(self, info: Info, input: UpdateUserInput) -> UserPayload:
        async def work(session: AsyncSession, actor: Actor) -> models.User:
            role = _given(input.role)
            return await service.update_user(
                session,
                actor,
                _user_id(input),
                name=_given(input.name),
                role=role.value if role is not None else None,
                school_id=_school_id(input.school_id),
            )

        user, errors = await _mutate(info, work, _user)
        return UserPayload(user=user, user_errors=errors)

    @strawberry.mutation(description="A district admin deactivates a user: they cannot sign in.")
    async def deactivate_user(self, info: Info, input: UserIdInput) -> UserPayload:
        user, errors = await _mutate(
            info,
            lambda session, actor: service.set_active(session, actor, _user_id(input), False),
            _user,
        )
        return UserPayload(user=user, user_errors=errors)

    @strawberry.mutation(description="A district admin lets a deactivated user sign in again.")
    async def reactivate_user(self, info: Info, input: UserIdInput) -> UserPayload:
        user, errors = await _mutate(
            info,
            lambda session, actor: service.set_active(session, actor, _user_id(input), True),
            _user,
        )
        return UserPayload(user=user, user_errors=errors)

    @strawberry.mutation(description="A district admin adds a teacher to a coach's caseload.")
    async def assign_coach(self, info: Info, input: CoachAssignmentInput) -> CoachAssignmentPayload:
        return await _caseload(info, input, assign=True)

    @strawberry.mutation(description="A district admin takes a teacher off a coach's caseload.")
    async def unassign_coach(
        self, info: Info, input: CoachAssignmentInput
    ) -> CoachAssignmentPayload:
        return await _caseload(info, input, assign=False)

    @strawberry.mutation(description="A district admin adds a district goal (an initiative).")
    async def create_district_goal(
        self, info: Info, input: CreateDistrictGoalInput
    ) -> DistrictGoalPayload:
        goal, errors = await _mutate(
            info,
            lambda session, actor: organisation.create_district_goal(
                session, actor, title=input.title, description=input.description
            ),
            _goal,
        )
        return DistrictGoalPayload(district_goal=goal, user_errors=errors)

    @strawberry.mutation(description="A district admin edits a district goal.")
    async def update_district_goal(
        self, info: Info, input: UpdateDistrictGoalInput
    ) -> DistrictGoalPayload:
        goal, errors = await _mutate(
            info,
            lambda session, actor: organisation.update_district_goal(
                session,
                actor,
                _goal_id(input),
                title=_given(input.title),
                description=_given(input.description),
            ),
            _goal,
        )
        return DistrictGoalPayload(district_goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="A district admin archives a district goal: new plan goals cannot choose it."
    )
    async def archive_district_goal(
        self, info: Info, input: DistrictGoalIdInput
    ) -> DistrictGoalPayload:
        goal, errors = await _mutate(
            info,
            lambda session, actor: organisation.archive_district_goal(
                session, actor, _goal_id(input)
            ),
            _goal,
        )
        return DistrictGoalPayload(district_goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="A district admin decides whether roster imports give staff roles."
    )
    async def set_roster_staff_roles(
        self, info: Info, input: SetRosterStaffRolesInput
    ) -> RosterStaffRolesPayload:
        enabled, errors = await _mutate(
            info,
            lambda session, actor: organisation.set_roster_staff_roles(
                session, actor, input.enabled
            ),
            lambda value: value,
        )
        return RosterStaffRolesPayload(enabled=enabled, user_errors=errors)
