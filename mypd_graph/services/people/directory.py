"""Teachers, users, schools: reading them within the viewer's reach and updating profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    DistrictSettings,
    FocusElement,
    LearningPlan,
    School,
    Standard,
    TeacherProfile,
    User,
    utcnow,
)
from mypd_graph.models.settings import DEFAULT_STAFF_DIRECTORY, STAFF_DIRECTORY_SCOPES
from mypd_graph.services.access import (
    Actor,
    contact_user_ids,
    directory_user_ids,
    may_edit_own,
    plan_condition,
    teacher_condition,
)
from mypd_graph.services.common import Page, group_by_key, lock_teacher, one_by_key, paginate
from mypd_graph.services.errors import PermissionDenied, invalid
from mypd_graph.services.frameworks import registry as frameworks
from mypd_graph.services.inputs import (
    LONG_TEXT,
    check_list,
    check_text,
    column_length,
    search_pattern,
)

MAX_YEARS_EXPERIENCE = 60


@dataclass(frozen=True)
class Person:
    """A user as the viewer sees them: ``contact`` says whether they may read the email."""

    user: User
    contact: bool


def _open_directory(actor: Actor) -> ColumnElement[bool]:
    return exists().where(
        DistrictSettings.district_id == actor.district_id,
        DistrictSettings.staff_directory == "district",
    )


async def _people(
    session: AsyncSession, actor: Actor, ids: Sequence[int], *conditions: ColumnElement[bool]
) -> list[Person | None]:
    """One statement: the users asked for, in the district, with the contact rule folded in."""
    contact = or_(_open_directory(actor), User.id.in_(contact_user_ids(actor)))
    rows = await session.execute(
        select(User, contact).where(
            User.id.in_(ids), User.district_id == actor.district_id, *conditions
        )
    )
    people = [Person(user, bool(visible)) for user, visible in rows]
    return one_by_key(people, ids, lambda person: person.user.id)


async def users_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Person | None]:
    """Users a record the viewer may read points to (names and roles are not student data)."""
    return await _people(session, actor, ids)


async def directory_users_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Person | None]:
    """Users the actor may look up by id (the directory rule in :mod:`..access`)."""
    found = or_(_open_directory(actor), User.id.in_(directory_user_ids(actor)))
    return await _people(session, actor, ids, found)


async def staff_directory(session: AsyncSession, district_id: int) -> str:
    """The district's directory scope: "school" unless the district opened it to "district"."""
    scope = await session.scalar(
        select(DistrictSettings.staff_directory).where(DistrictSettings.district_id == district_id)
    )
    return scope or DEFAULT_STAFF_DIRECTORY


async def set_staff_directory(session: AsyncSession, actor: Actor, scope: str) -> str:
    """A district admin opens the directory to the whole district, or narrows it to schools."""
    if not actor.is_district_admin:
        raise PermissionDenied("only a district admin may change the staff directory")
    if scope not in STAFF_DIRECTORY_SCOPES:
        raise invalid(("input", "scope"), f"scope must be one of {STAFF_DIRECTORY_SCOPES}")
    settings = await session.get(DistrictSettings, actor.district_id)
    if settings is None:
        settings = DistrictSettings(district_id=actor.district_id)
        session.add(settings)
    settings.staff_directory = scope
    settings.updated_by_id = actor.user_id
    settings.updated_at = utcnow()
    await session.flush()
    return scope


async def teachers_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[TeacherProfile | None]:
    """Teacher profiles the actor may read; ``None`` for any other id."""
    rows = await session.scalars(
        select(TeacherProfile).where(
            TeacherProfile.user_id.in_(ids), teacher_condition(actor, TeacherProfile.user_id)
        )
    )
    return one_by_key(rows, ids, lambda row: row.user_id)


LABEL_LENGTH = 64  # a subject or a grade level, stored in a JSON list


@dataclass(frozen=True)
class TeacherFilter:
    school_id: int | None = None
    focus_element_code: str | None = None
    plan_status: str | None = None
    plan_cycle: str | None = None
    name_contains: str | None = None


def _teacher_statement(actor: Actor, where: TeacherFilter) -> Select[tuple[TeacherProfile]]:
    statement = select(TeacherProfile).where(teacher_condition(actor, TeacherProfile.user_id))
    if where.school_id is not None:
        statement = statement.where(TeacherProfile.school_id == where.school_id)
    if where.focus_element_code:
        focused = (
            select(FocusElement.teacher_id)
            .join(Standard, Standard.id == FocusElement.element_id)
            .where(Standard.code == where.focus_element_code)
        )
        statement = statement.where(TeacherProfile.user_id.in_(focused))
    if where.plan_status or where.plan_cycle:
        # Only plans the viewer may read: a supervisor must not learn who has an unsubmitted draft.
        plans = select(LearningPlan.teacher_id).where(plan_condition(actor))
        if where.plan_status:
            plans = plans.where(LearningPlan.status == where.plan_status)
        if where.plan_cycle:
            plans = plans.where(LearningPlan.cycle == where.plan_cycle)
        statement = statement.where(TeacherProfile.user_id.in_(plans))
    pattern = search_pattern(where.name_contains, ("where", "nameContains"))
    if pattern:
        named = select(User.id).where(User.name.ilike(pattern, escape="\\"))
        statement = statement.where(TeacherProfile.user_id.in_(named))
    return statement


async def teacher_page(
    session: AsyncSession, actor: Actor, where: TeacherFilter, first: int, after: str | None
) -> Page[TeacherProfile]:
    return await paginate(
        session, _teacher_statement(actor, where), TeacherProfile.user_id, first, after
    )


async def schools_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[School | None]:
    rows = await session.scalars(
        select(School).where(School.id.in_(ids), School.district_id == actor.district_id)
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def schools_of_district(session: AsyncSession, actor: Actor) -> list[School]:
    return list(
        await session.scalars(
            select(School).where(School.district_id == actor.district_id).order_by(School.name)
        )
    )


async def update_profile(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str | None = None,
    subjects: Sequence[str] | None = None,
    grade_levels: Sequence[str] | None = None,
    years_experience: int | None = None,
    bio: str | None = None,
) -> TeacherProfile:
    """A teacher edits their own profile; fields left as ``None`` stay as they are."""
    profile = await session.get(TeacherProfile, actor.user_id)
    if profile is None:
        raise invalid("input", "only teachers have a teacher profile", "NOT_A_TEACHER")
    may_edit_own(actor, profile.user_id)
    if name is not None:
        user = await session.get_one(User, actor.user_id)
        user.name = check_text(name, ("input", "name"), column_length(User.name))
    if years_experience is not None:
        if not 0 <= years_experience <= MAX_YEARS_EXPERIENCE:
            raise invalid(
                ("input", "yearsExperience"),
                f"years of experience must be between 0 and {MAX_YEARS_EXPERIENCE}",
                "OUT_OF_RANGE",
            )
        profile.years_experience = years_experience
    if subjects is not None:
        profile.subjects = sorted(set(_labels(subjects, ("input", "subjects"))))
    if grade_levels is not None:
        profile.grade_levels = _labels(grade_levels, ("input", "gradeLevels"))
    if bio is not None:
        profile.bio = check_text(bio, ("input", "bio"), LONG_TEXT, required=False)
    await session.flush()
    return profile


def _labels(values: Sequence[str], field: tuple[str, ...]) -> list[str]:
    """Short labels (subjects, grade levels): each checked as text, the empty ones dropped."""
    check_list(values, field)
    labels = (check_text(value, field, LABEL_LENGTH, required=False) for value in values)
    return [label for label in labels if label]


async def set_focus_elements(
    session: AsyncSession, actor: Actor, teacher_id: int, codes: Sequence[str]
) -> list[Standard]:
    """Replace a teacher's focus elements with the given codes of the active framework."""
    may_edit_own(actor, teacher_id)
    if await session.get(TeacherProfile, teacher_id) is None:
        raise invalid("input", "only teachers choose focus elements", "NOT_A_TEACHER")
    framework = await frameworks.active_framework(session, actor.district_id)
    if framework is None:
        raise invalid("input", "the district has no active framework", "NO_FRAMEWORK")
    elements = await frameworks.resolve_elements(
        session, framework.id, codes, ("input", "elementCodes")
    )
    await lock_teacher(session, teacher_id)  # two requests at once: one whole set wins
    existing = {
        row.element_id: row
        for row in await session.scalars(
            select(FocusElement).where(FocusElement.teacher_id == teacher_id)
        )
    }
    wanted = {element.id for element in elements}
    for element_id, row in existing.items():
        if element_id not in wanted:
            await session.delete(row)
    for element_id in wanted - existing.keys():
        session.add(FocusElement(teacher_id=teacher_id, element_id=element_id))
    await session.flush()
    return elements


async def focus_elements_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Standard]]:
    rows = await session.execute(
        select(FocusElement.teacher_id, Standard)
        .join(Standard, Standard.id == FocusElement.element_id)
        .where(
            FocusElement.teacher_id.in_(teacher_ids),
            teacher_condition(actor, FocusElement.teacher_id),
        )
        .order_by(Standard.parent_id, Standard.position)
    )
    grouped = group_by_key(list(rows), teacher_ids, lambda row: row[0])
    return [[row[1] for row in group] for group in grouped]
