"""Fixed points every step of the demo shares: seed, keys, well-known accounts, school calendar.

With them the few helpers the steps have in common: demo e-mail addresses, fixed UTC moments,
seeded school days, grade spans and the two bulk inserts. Nothing here draws from the builder's
random generator unless it is handed one.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import PlanStatus

SEED = 2026
EMAIL_DOMAIN = "demo.mypd.test"
DEMO_ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
DEMO_IMPORTER_EMAIL = f"importer@{EMAIL_DOMAIN}"
DEMO_TEACHER_EMAIL = f"elena.ramirez@{EMAIL_DOMAIN}"
DEMO_COACH_EMAIL = f"david.chen@{EMAIL_DOMAIN}"
DEMO_PRINCIPAL_EMAIL = f"robert.nakamura@{EMAIL_DOMAIN}"

DISTRICT_KEY = "demo"
DISTRICT_NAME = "Demo Unified School District"
FRAMEWORK_KEY = "cstp-2009"

PRIOR_YEAR = "2024-25"
CURRENT_YEAR = "2025-26"
SCHOOL_YEARS = (PRIOR_YEAR, CURRENT_YEAR)
# The demo's "today": the last week of the 2025-26 school year, so every test window has passed.
AS_OF = date(2026, 6, 5)
ONBOARDED = date(2024, 7, 15)
FIRST_DAY = {PRIOR_YEAR: date(2024, 8, 14), CURRENT_YEAR: date(2025, 8, 13)}
GOALS_DUE = date(2026, 5, 29)
LAST_STEP_DONE = date(2026, 5, 8)  # plans are completed from May 11 on
# Winter and spring breaks (Saturday to Sunday): nobody observes or submits anything then.
SCHOOL_BREAKS = (
    (date(2024, 12, 21), date(2025, 1, 5)),
    (date(2025, 3, 29), date(2025, 4, 6)),
    (date(2025, 12, 20), date(2026, 1, 4)),
    (date(2026, 3, 28), date(2026, 4, 5)),
)

GRADES = ("K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")

# Plan values: a 2025-26 plan status, NO_PLAN (uses mypd, no plan yet) or INACTIVE (roster only).
NO_PLAN = "none"
INACTIVE = "inactive"
DRAFT, SUBMITTED, APPROVED, COMPLETED = (s.value for s in PlanStatus)


def email_for(name: str) -> str:
    """``first.last@demo.mypd.test`` in plain ASCII (accents and apostrophes dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    parts = ["".join(ch for ch in part if ch.isalnum()) for part in ascii_name.lower().split()]
    return f"{parts[0]}.{parts[-1]}@{EMAIL_DOMAIN}"


def at_utc(day: date, hour: int = 23, minute: int = 0) -> datetime:
    """A fixed UTC moment on ``day``; 23:00 UTC is mid-afternoon in California."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def school_day(rng: random.Random, start: date, end: date) -> date:
    """A school day between start and end (inclusive), drawn uniformly and then moved off
    weekends (to Friday, or Monday) and breaks (to the Monday after)."""
    day = start + timedelta(days=rng.randrange((end - start).days + 1))
    for first, last in SCHOOL_BREAKS:
        if first <= day <= last:
            return last + timedelta(days=1)
    if day.weekday() >= 5:
        friday = day - timedelta(days=day.weekday() - 4)
        day = friday if friday >= start else day + timedelta(days=7 - day.weekday())
    return day


def grade_span(band: str) -> range:
    low, _, high = band.partition("-")
    return range(GRADES.index(low), GRADES.index(high or low) + 1)


def school_for_grade(grade: int) -> str:
    return "ES" if grade <= 5 else "MS" if grade <= 8 else "HS"


async def insert_rows(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Bulk INSERT ... RETURNING: the new ids in the order of ``rows``, in a few round trips.

    Core statements on the model's table (the ORM's bulk path costs three times as much here);
    rows carry every column, timestamps included, so no default like ``utcnow`` sneaks in.
    """
    if not rows:
        return []
    table = model.__table__
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(await session.scalars(statement, rows))


async def insert_all(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk INSERT (executemany) of rows whose ids nobody needs back."""
    if rows:
        await session.execute(insert(model.__table__), rows)
