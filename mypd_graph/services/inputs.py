"""The limits of every kind of input, in one place: services, the GraphQL layer and importers use them.

Each check either returns the clean value or raises a userError naming the field, so a bad value is
something the user can fix, never an INTERNAL error from the database:

- **text** is trimmed, fits its column (PostgreSQL refuses longer text and fails the transaction;
  SQLite stores anything) and holds no NUL bytes, unpaired surrogates or control characters other
  than tab and line breaks (PostgreSQL cannot store NUL; neither driver encodes a lone surrogate);
- **lists** hold at most :data:`MAX_LIST_ITEMS` items;
- **days** lie between :data:`EARLIEST_DAY` and a couple of years ahead (``0001-01-01`` became
  ``-infinity`` on PostgreSQL and broke every view of that teacher);
- **school years** are written ``2025-26`` in ASCII digits, the second year following the first;
- **weights** are finite numbers from 0 to 1; **ids and cursors** fit a 32-bit integer column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from mypd_graph.services.errors import Problem, UserInputError, invalid

if TYPE_CHECKING:
    from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T")
Field = tuple[str, ...]

MAX_LIST_ITEMS = 100
MAX_SEARCH_LENGTH = 200
MAX_ID = 2**31 - 1  # ids and cursors: the Integer keys of both databases
LONG_TEXT = 10_000  # descriptions, reflections, notes, bios: prose, not documents
EARLIEST_DAY = date(1990, 1, 1)
YEARS_AHEAD = 2

_CYCLE = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def column_length(column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None]) -> int:
    """The length of a model's string column: text limits follow the schema by construction.

    (SQLAlchemy is imported here, not above: the importers' parsing process uses this module.)"""
    from sqlalchemy import String

    kind = column.property.columns[0].type
    assert isinstance(kind, String) and kind.length, f"{column} has no length"
    return kind.length


def today() -> date:
    """Today in UTC: never earlier than any US district's local date, so "not in the future" never
    rejects a teacher's honest "today"."""
    return datetime.now(UTC).date()


def is_unstorable(value: str) -> bool:
    """Whether text holds NUL bytes, unpaired surrogates or control characters (tab and line
    breaks excepted): what no stored text of ours may hold (the importers check rows with it)."""
    return _FORBIDDEN.search(value) is not None


def text_problem(value: str, field: Field, limit: int | None, required: bool) -> Problem | None:
    """What is wrong with a text value, if anything (for checks that collect every problem)."""
    name = field[-1]
    if is_unstorable(value):
        return Problem(field, f"{name} contains control characters or invalid text", "BAD_TEXT")
    if required and not value.strip():
        return Problem(field, f"{name} must not be empty", "REQUIRED")
    if limit is not None and len(value.strip()) > limit:
        return Problem(field, f"{name} must be at most {limit} characters", "TOO_LONG")
    return None


def check_text(value: str, field: Field, limit: int | None, *, required: bool = True) -> str:
    """Trimmed text that fits its column and can be stored on both databases."""
    problem = text_problem(value, field, limit, required)
    if problem is not None:
        raise UserInputError(problem)
    return value.strip()


def search_pattern(value: str | None, field: Field) -> str | None:
    """A "contains" search as a LIKE pattern (escaped with backslash), or None when empty.

    Bounded in length: SQLite refuses long patterns ("LIKE or GLOB pattern too complex")."""
    needle = check_text(value or "", field, MAX_SEARCH_LENGTH, required=False)
    if not needle:
        return None
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def check_url(url: str, field: Field, limit: int, *, required: bool) -> str:
    """An absolute http(s) URL, so clients can render it as a link without further checks."""
    url = check_text(url, field, limit, required=required)
    if not url:
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise invalid(field, f"url must be an absolute http(s) URL, got {url!r}", "BAD_URL")
    return url


def check_cycle(cycle: str, field: Field = ("input", "cycle")) -> str:
    """A school year written ``2025-26`` in ASCII digits: the second year follows the first."""
    match = _CYCLE.fullmatch(cycle.strip())
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        shown = cycle[:20].encode("ascii", "backslashreplace").decode()
        raise invalid(
            field, f"cycle must look like 2025-26 (a school year), got {shown!r}", "BAD_CYCLE"
        )
    return match[0]


def check_day(day: date, field: Field, *, not_after: date | None = None) -> date:
    """A plausible day: from 1990 to a couple of years ahead (or not after ``not_after``)."""
    latest = not_after or today() + timedelta(days=365 * YEARS_AHEAD)
    if day > latest:
        if not_after is not None:
            raise invalid(field, f"{field[-1]} {day.isoformat()} is in the future", "IN_FUTURE")
        raise invalid(field, f"{field[-1]} {day.isoformat()} is too far ahead", "OUT_OF_RANGE")
    if day < EARLIEST_DAY:
        raise invalid(
            field, f"{field[-1]} {day.isoformat()} is before {EARLIEST_DAY.year}", "OUT_OF_RANGE"
        )
    return day


def check_not_future(day: date, field: Field) -> date:
    return check_day(day, field, not_after=today())


def check_list(items: Sequence[T], field: Field, limit: int = MAX_LIST_ITEMS) -> Sequence[T]:
    if len(items) > limit:
        raise invalid(field, f"{field[-1]} may hold at most {limit} items", "TOO_MANY")
    return items


def check_weight(value: float, field: Field) -> float:
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise invalid(field, f"{field[-1]} must be a number from 0 to 1", "RANGE")
    return value


def check_id(value: int, field: Field) -> int:
    """A database id: what cannot be one is a userError, not a failed SQL statement."""
    if not 0 < value <= MAX_ID:
        raise invalid(field, f"{field[-1]} is not a valid ID", "BAD_ID")
    return value
