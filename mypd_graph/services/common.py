"""Small helpers every service uses: batching by key, keyset pagination, cursors, input checks."""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from mypd_graph.models import TeacherProfile
from mypd_graph.services.errors import invalid
from mypd_graph.services.inputs import MAX_ID

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

MAX_PAGE_SIZE = 100


def group_by_key(rows: Iterable[T], keys: Sequence[K], key_of: Callable[[T], K]) -> list[list[T]]:
    """Rows grouped under each requested key, in the order of ``keys`` (a DataLoader's contract)."""
    groups: dict[K, list[T]] = defaultdict(list)
    for row in rows:
        groups[key_of(row)].append(row)
    return [groups.get(key, []) for key in keys]


def one_by_key(rows: Iterable[T], keys: Sequence[K], key_of: Callable[[T], K]) -> list[T | None]:
    found = {key_of(row): row for row in rows}
    return [found.get(key) for key in keys]


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{value}".encode()).decode()


def decode_cursor(cursor: str, field: str = "after") -> int:
    try:
        prefix, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if prefix != "cursor":
            raise ValueError(prefix)
        number = int(value)
        if not 0 <= number <= MAX_ID:
            raise ValueError(number)
        return number
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise invalid(
            field, f"{cursor!r} is not a cursor this API returned", "BAD_CURSOR"
        ) from error


def check_first(first: int, field: str = "first") -> int:
    if first < 0 or first > MAX_PAGE_SIZE:
        raise invalid(
            field, f"first must be between 0 and {MAX_PAGE_SIZE}, got {first}", "BAD_PAGE"
        )
    return first


@dataclass
class Page(Generic[T]):
    items: list[T]
    has_next_page: bool
    count_statement: Select[Any]
    # Called with the count when a client asks for totalCount: a count of students is student
    # data too (repeated filtered counts reveal names), so student pages audit it.
    on_count: Callable[[AsyncSession, int], None] | None = None

    def cursor_of(self, item: Any) -> str:
        return encode_cursor(item.id)


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    id_column: InstrumentedAttribute[int],
    first: int,
    after: str | None,
) -> Page[Any]:
    """Keyset pagination on an integer id, ascending: stable under inserts and cheap at any depth."""
    check_first(first)
    count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
    if after is not None:
        statement = statement.where(id_column > decode_cursor(after))
    rows = (await session.scalars(statement.order_by(id_column).limit(first + 1))).all()
    return Page(list(rows[:first]), len(rows) > first, count_statement)


async def lock_teacher(session: AsyncSession, teacher_id: int) -> None:
    """Serialise the writers of one teacher's record on PostgreSQL.

    The teacher's profile row stays locked until the transaction ends, so a check followed by a
    write (no duplicate training record, one self-assessment per cycle, the focus set replaced
    whole) is one step even when two requests arrive together. On SQLite the mutation already
    holds the database's write lock (:func:`mypd_graph.db.begin_write`) and this is a plain read.
    """
    await session.execute(
        select(TeacherProfile.user_id).where(TeacherProfile.user_id == teacher_id).with_for_update()
    )
