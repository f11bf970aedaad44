"""The operator's districts: create one with its first admin, list them (``mypd-graph district``).

Creating a district is not a district admin's act (there is none yet): the command line calls
these as the operator, who runs the deployment. Districts stay isolated as they are today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import District, DistrictSignIn, Framework, Role, School, User
from mypd_graph.services.errors import invalid
from mypd_graph.services.inputs import check_text, column_length
from mypd_graph.services.people.admin import (
    check_email,
    email_taken,
    operator_actor,
    record_change,
)

DEFAULT_FRAMEWORK = "cstp-2009"
_KEY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*", re.ASCII)


def check_key(key: str) -> str:
    """A district key (``long-beach``): lowercase letters, digits and single hyphens."""
    key = check_text(key, ("key",), column_length(District.key))
    if not _KEY.fullmatch(key):
        raise invalid(
            "key",
            f"key {key!r} must be lowercase letters, digits and hyphens (e.g. long-beach)",
            "BAD_KEY",
        )
    return key


async def create_district(
    session: AsyncSession,
    *,
    key: str,
    name: str,
    admin_email: str,
    admin_name: str | None = None,
    framework_key: str = DEFAULT_FRAMEWORK,
) -> tuple[District, User]:
    """A new district, its first district admin, and the framework active when it is synced
    (sync the plugins' frameworks first, as the CLI does)."""
    key = check_key(key)
    name = check_text(name, ("name",), column_length(District.name))
    email = check_email(admin_email, ("admin-email",))
    person = check_text(
        admin_name or email.split("@")[0], ("admin-name",), column_length(User.name)
    )
    if await session.scalar(select(District.id).where(District.key == key)) is not None:
        raise invalid("key", f"a district with key {key!r} exists already", "DUPLICATE")
    if await email_taken(session, email):
        raise invalid("admin-email", f"{email} is already a user's email", "EMAIL_TAKEN")
    framework = await session.scalar(select(Framework.id).where(Framework.key == framework_key))
    district = District(key=key, name=name, active_framework_id=framework)
    session.add(district)
    await session.flush()
    admin = User(district_id=district.id, email=email, name=person, role=Role.DISTRICT_ADMIN.value)
    session.add(admin)
    await session.flush()
    actor = operator_actor(district.id)
    record_change(session, actor, "create", "district", district.id, f"district {key}")
    record_change(session, actor, "create", "user", admin.id, "district_admin")
    await session.flush()
    return district, admin


async def district_by_key(session: AsyncSession, key: str) -> District | None:
    return await session.scalar(select(District).where(District.key == key.strip().lower()))


@dataclass(frozen=True)
class DistrictSummary:
    key: str
    name: str
    schools: int
    users: int
    active_users: int
    sign_in: bool
    framework: str | None


async def district_summaries(session: AsyncSession) -> list[DistrictSummary]:
    """Every district with its counts, in one statement (correlated counts)."""
    schools = select(func.count()).where(School.district_id == District.id).scalar_subquery()
    users = select(func.count()).where(User.district_id == District.id).scalar_subquery()
    active = (
        select(func.count())
        .where(User.district_id == District.id, User.active.is_(True))
        .scalar_subquery()
    )
    sign_in = (
        select(func.count()).where(DistrictSignIn.district_id == District.id).scalar_subquery()
    )
    framework = (
        select(Framework.key).where(Framework.id == District.active_framework_id).scalar_subquery()
    )
    rows = await session.execute(
        select(District.key, District.name, schools, users, active, sign_in, framework).order_by(
            District.key
        )
    )
    return [
        DistrictSummary(key, name, int(s), int(u), int(a), bool(c), f)
        for key, name, s, u, a, c, f in rows
    ]
