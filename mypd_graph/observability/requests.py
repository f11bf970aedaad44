"""The record of one HTTP request, kept in a context variable while it runs.

The middleware (:mod:`.middleware`) opens it; the schema's extension notes the operation and its
error codes; a SQLAlchemy listener counts the statements run on its behalf. Child tasks (sibling
fields, DataLoader batches) copy the context, so they all write to the same record.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class RequestRecord:
    """What the request's log line and metrics report."""

    request_id: str
    method: str = ""
    path: str = ""
    started: float = field(default_factory=time.perf_counter)
    statements: int = 0
    user_id: int | None = None
    operation: str | None = None
    error_codes: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


CURRENT: ContextVar[RequestRecord | None] = ContextVar("mypd_request", default=None)


def current() -> RequestRecord | None:
    """The record of the request this code runs for, or None (the CLI, start-up, a worker)."""
    return CURRENT.get()


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*_: Any) -> None:
    record = CURRENT.get()
    if record is not None:
        record.statements += 1
