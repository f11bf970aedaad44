"""userErrors: the one way mutations report problems the user can fix, and the mutation runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import begin_write
from mypd_graph.services.errors import NotFound, PermissionDenied, Problem, UserInputError

T = TypeVar("T")


@strawberry.type(description="A problem with a mutation's input; nothing was written.")
class UserError:
    field: list[str] = strawberry.field(description="Path to the input field, e.g. input.goalId.")
    message: str
    code: str


def _as_user_errors(problems: tuple[Problem, ...]) -> list[UserError]:
    return [UserError(field=list(p.field), message=p.message, code=p.code) for p in problems]


async def run_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run ``work`` in one session and one transaction: all of it is written, or none of it."""
    async with info.context.sessionmaker() as session:
        try:
            async with session.begin():
                await begin_write(session)
                result = await work(session)
        except UserInputError as error:
            return None, _as_user_errors(error.problems)
        except PermissionDenied as error:
            return None, [UserError(field=["input"], message=str(error), code=error.code)]
        except NotFound as error:
            return None, [UserError(field=["input"], message=str(error), code=error.code)]
    # What loaders cached before this write is stale now (a request may run several mutations).
    info.context.clear_loaders()
    return result, []
