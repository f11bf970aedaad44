"""A district admin manages their district's users: create, update (name, role, school),
deactivate, reactivate. The GraphQL mutations and the ``mypd-graph user`` commands both call these
functions, so every rule lives here once.

Who may: a district admin of the target's own district, or the operator (:func:`operator_actor`,
the command line, which has the database anyway). Rows of another district are "not found", never
"forbidden", so an id says nothing about what exists elsewhere. Every change writes an
:class:`~mypd_graph.models.AuditEvent` in the same transaction.

A district always keeps an active admin: demoting or deactivating the last one is refused. Two
admins doing it to each other at once are serialised by a lock on the district's row (PostgreSQL;
SQLite's mutations hold the database's write lock already).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    AuditEvent,
    AuditSubject,
    District,
    Role,
    School,
    TeacherProfile,
    User,
)
from mypd_graph.services.access import Actor, may_administer
from mypd_graph.services.errors import NotFound, invalid
from mypd_graph.services.inputs import check_id, check_text, column_length

OPERATOR_ID = 0  # not a user: the operator acting from the command line
ROLES = tuple(role.value for role in Role)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class _Unchanged:
    """A field the caller left out (``None`` means "no school")."""


UNCHANGED = _Unchanged()


def operator_actor(district_id: int) -> Actor:
    """The operator (whoever runs the deployment) managing one district from the CLI: a district
    admin's powers there, audited as the operator (no user id)."""
    return Actor(OPERATOR_ID, district_id, None, Role.DISTRICT_ADMIN, "operator")


def record_change(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int,
    detail: str,
    *,
    teacher_id: int | None = None,
) -> None:
    """The audit row of one admin change, in the district's trail; it commits with the change or
    not at all. The operator has no user: the row says so in its actor columns. ``teacher_id``
    names a teacher whose record the change concerns (who may read it, say)."""
    by_operator = actor.user_id == OPERATOR_ID
    event = AuditEvent(
        user_id=None if by_operator else actor.user_id,
        district_id=actor.district_id,
        action=action,
        entity=entity,
        entity_ids=[str(entity_id)],
        detail=f"{detail} (by the operator)" if by_operator else detail,
        subjects=[AuditSubject(kind="teacher", subject_id=teacher_id)] if teacher_id else [],
    )
    if by_operator:
        event.actor_name, event.actor_role = "operator (command line)", "operator"
    session.add(event)


def check_email(email: str, field: tuple[str, ...]) -> str:
    """A plausible address, stored lower-case: the one key sign-in and rosters match users by."""
    email = check_text(email, field, column_length(User.email)).lower()
    if not _EMAIL.fullmatch(email):
        raise invalid(field, f"{email!r} is not an email address", "BAD_EMAIL")
    return email


def check_role(role: str, field: tuple[str, ...] = ("input", "role")) -> Role:
    value = role.strip().lower().replace(" ", "_").replace("-", "_")
    if value not in ROLES:
        raise invalid(field, f"role must be one of: {', '.join(ROLES)}", "BAD_ROLE")
    return Role(value)


async def email_taken(session: AsyncSession, email: str) -> bool:
    """Emails are unique across the deployment (a token names a user by email)."""
    return await session.scalar(select(User.id).where(User.email == email)) is not None


async def school_in_district(
    session: AsyncSession, actor: Actor, school_id: int, field: tuple[str, ...]
) -> School:
    school = await session.scalar(
        select(School).where(
            School.id == check_id(school_id, field), School.district_id == actor.district_id
        )
    )
    if school is None:
        raise invalid(field, "no such school in your district", "NOT_FOUND")
    return school


async def user_in_district(session: AsyncSession, actor: Actor, user_id: int) -> User:
    """The user, freshly read, when they belong to the actor's district; else NotFound."""
    user = await session.scalar(
        select(User)
        .where(User.id == check_id(user_id, ("input", "userId")))
        .where(User.district_id == actor.district_id)
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise NotFound("no such user")
    return user


async def _lock_district(session: AsyncSession, district_id: int) -> None:
    """Serialise changes to who the district's admins are (PostgreSQL; a no-op on SQLite)."""
    await session.execute(select(District.id).where(District.id == district_id).with_for_update())


async def _keep_an_admin(session: AsyncSession, user: User, doing: str) -> None:
    """Refuse to leave the district without an active admin."""
    if user.role != Role.DISTRICT_ADMIN.value or not user.active:
        return
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.district_id == user.district_id,
            User.role == Role.DISTRICT_ADMIN.value,
            User.active.is_(True),
            User.id != user.id,
        )
    )
    if not others:
        raise invalid(
            "input",
            f"cannot {doing} the district's last active admin: make another admin first",
            "LAST_ADMIN",
        )


def _needs_school(role: Role, school: School | None, field: tuple[str, ...]) -> None:
    if role is Role.PRINCIPAL and school is None:
        raise invalid(field, "a principal needs a school", "SCHOOL_REQUIRED")


async def _ensure_profile(session: AsyncSession, user: User) -> None:
    """A teacher has a teacher profile at their school (the school that counts for a teacher)."""
    profile = await session.get(TeacherProfile, user.id)
    if profile is None:
        session.add(TeacherProfile(user_id=user.id, school_id=user.school_id))
    elif user.school_id is not None:
        profile.school_id = user.school_id


async def create_user(
    session: AsyncSession,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: str,
    school_id: int | None = None,
) -> User:
    """A new active user of the actor's district; a teacher gets a teacher profile too."""
    may_administer(actor)
    email = check_email(email, ("input", "email"))
    name = check_text(name, ("input", "name"), column_length(User.name))
    kind = check_role(role)
    school = (
        await school_in_district(session, actor, school_id, ("input", "schoolId"))
        if school_id is not None
        else None
    )
    _needs_school(kind, school, ("input", "schoolId"))
    if await email_taken(session, email):
        raise invalid(("input", "email"), f"{email} is already a user's email", "EMAIL_TAKEN")
    user = User(
        district_id=actor.district_id,
        school_id=school.id if school else None,
        email=email,
        name=name,
        role=kind.value,
        active=True,
    )
    session.add(user)
    await session.flush()
    if kind is Role.TEACHER:
        await _ensure_profile(session, user)
    where = f" at school {school.code}" if school else ""
    teacher = user.id if kind is Role.TEACHER else None
    record_change(
        session, actor, "create", "user", user.id, f"{kind.value}{where}", teacher_id=teacher
    )
    await session.flush()
    return user


async def update_user(
    session: AsyncSession,
    actor: Actor,
    user_id: int,
    *,
    name: str | None = None,
    role: str | None = None,
    school_id: int | None | _Unchanged = UNCHANGED,
) -> User:
    """Change a user's name, role or school (a principal's school, a teacher's school).

    A teacher keeps their profile when their role changes (a principal may also teach), and a
    teacher's new school is their profile's school too.
    """
    may_administer(actor)
    await _lock_district(session, actor.district_id)
    user = await user_in_district(session, actor, user_id)
    changes: list[str] = []
    if name is not None:
        user.name = check_text(name, ("input", "name"), column_length(User.name))
        changes.append("name")
    if not isinstance(school_id, _Unchanged):
        school = (
            await school_in_district(session, actor, school_id, ("input", "schoolId"))
            if school_id is not None
            else None
        )
        user.school_id = school.id if school else None
        changes.append(f"school {school.code if school else 'none'}")
    if role is not None:
        kind = check_role(role)
        if kind.value != user.role:
            await _keep_an_admin(session, user, "demote")
            changes.append(f"role {user.role} -> {kind.value}")
            user.role = kind.value
    school = await session.get(School, user.school_id) if user.school_id else None
    _needs_school(Role(user.role), school, ("input", "schoolId"))
    if user.role == Role.TEACHER.value:
        await _ensure_profile(session, user)
    elif not isinstance(school_id, _Unchanged) and user.school_id is not None:
        profile = await session.get(TeacherProfile, user.id)
        if profile is not None:
            profile.school_id = user.school_id
    teacher = user.id if user.role == Role.TEACHER.value else None
    detail = ", ".join(changes) or "nothing"
    record_change(session, actor, "update", "user", user.id, detail, teacher_id=teacher)
    await session.flush()
    return user


async def set_active(session: AsyncSession, actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate (they can no longer sign in) or reactivate a user: compare-and-set on ``active``,
    so of two requests at once one changes it and the other is told it already was."""
    may_administer(actor)
    await _lock_district(session, actor.district_id)
    user = await user_in_district(session, actor, user_id)
    if not active:
        await _keep_an_admin(session, user, "deactivate")
    changed = await session.execute(
        update(User)
        .where(User.id == user.id, User.active.is_(not active))
        .values(active=active)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        state = "active" if active else "deactivated"
        raise invalid(("input", "userId"), f"the user is already {state}", "UNCHANGED")
    action = "reactivate" if active else "deactivate"
    teacher = user.id if user.role == Role.TEACHER.value else None
    record_change(session, actor, action, "user", user.id, user.role, teacher_id=teacher)
    await session.flush()
    return await user_in_district(session, actor, user.id)


@dataclass(frozen=True)
class UserFilter:
    role: str | None = None
    school_id: int | None = None
    include_inactive: bool = True


async def district_users(session: AsyncSession, actor: Actor, where: UserFilter) -> list[User]:
    """The district's users for an admin (the CLI's ``user list``), by email."""
    may_administer(actor)
    statement = select(User).where(User.district_id == actor.district_id)
    if where.role is not None:
        statement = statement.where(User.role == check_role(where.role).value)
    if where.school_id is not None:
        statement = statement.where(User.school_id == where.school_id)
    if not where.include_inactive:
        statement = statement.where(User.active.is_(True))
    return list(await session.scalars(statement.order_by(User.email)))
