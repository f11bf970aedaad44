"""Which students a teacher sees: a district admin sets the district's student scope (thin over
:mod:`mypd_graph.services.privacy.scope`; the rule is in :mod:`mypd_graph.services.access`)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.people.district import StudentScope
from mypd_graph.services.privacy import scope as service


@strawberry.input(description="How far back teachers read their students and their results.")
class SetStudentScopeInput:
    scope: StudentScope


@strawberry.type
class SetStudentScopePayload:
    student_scope: StudentScope | None
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A district admin sets which students teachers see.")
    async def set_student_scope(
        self, info: Info, input: SetStudentScopeInput
    ) -> SetStudentScopePayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> str:
            return await service.set_student_scope(session, actor, input.scope.value)

        scope, errors = await run_mutation(info, work)
        return SetStudentScopePayload(
            student_scope=StudentScope(scope) if scope else None, user_errors=errors
        )
