"""Errors services raise; the GraphQL layer turns them into userErrors or GraphQL errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Something the user can fix, pinned to the input field it concerns (``["input", "goalId"]``)."""

    field: tuple[str, ...]
    message: str
    code: str = "INVALID"


class UserInputError(Exception):
    """One or more problems with what the user sent; nothing was written."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


def invalid(field: str | tuple[str, ...], message: str, code: str = "INVALID") -> UserInputError:
    path = (field,) if isinstance(field, str) else field
    return UserInputError(Problem(path, message, code))


class PermissionDenied(Exception):
    """The viewer may not see or do this. Messages never reveal whether the target exists."""

    code = "FORBIDDEN"


class NotFound(Exception):
    code = "NOT_FOUND"
