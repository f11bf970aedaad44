"""A district admin's schools, coach caseloads and district goals (the mutations and the CLI call
these). The rules of :mod:`.admin` hold: admins of the row's own district only, other districts'
rows are "not found", every change audited, state changes compare-and-set."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    CoachAssignment,
    DistrictGoal,
    DistrictSettings,
    Role,
    School,
    TeacherProfile,
    User,
    utcnow,
)
from mypd_graph.services.access import Actor, may_administer
from mypd_graph.services.errors import NotFound, invalid
from mypd_graph.services.inputs import LONG_TEXT, check_id, check_text, column_length
from mypd_graph.services.people.admin import (
    OPERATOR_ID,
    record_change,
    user_in_district,
)

# --- schools --------------------------------------------------------------------------------------


def _code(code: str) -> str:
    return check_text(code, ("input", "code"), column_length(School.code))


async def _code_taken(session: AsyncSession, actor: Actor, code: str, but: int | None) -> None:
    taken = select(School.id).where(School.district_id == actor.district_id, School.code == code)
    if but is not None:
        taken = taken.where(School.id != but)
    if await session.scalar(taken) is not None:
        raise invalid(("input", "code"), f"another school has code {code!r}", "DUPLICATE")


async def create_school(
    session: AsyncSession, actor: Actor, *, code: str, name: str, grade_band: str = ""
) -> School:
    """A school of the actor's district; its code (the SIS's, which rosters use) is unique there."""
    may_administer(actor)
    code = _code(code)
    school = School(
        district_id=actor.district_id,
        code=code,
        name=check_text(name, ("input", "name"), column_length(School.name)),
        grade_band=check_text(
            grade_band, ("input", "gradeBand"), column_length(School.grade_band), required=False
        ),
    )
    await _code_taken(session, actor, code, None)
    session.add(school)
    await session.flush()
    record_change(session, actor, "create", "school", school.id, f"school {code}")
    await session.flush()
    return school


async def update_school(
    session: AsyncSession,
    actor: Actor,
    school_id: int,
    *,
    code: str | None = None,
    name: str | None = None,
    grade_band: str | None = None,
) -> School:
    may_administer(actor)
    school = await session.scalar(
        select(School).where(
            School.id == check_id(school_id, ("input", "schoolId")),
            School.district_id == actor.district_id,
        )
    )
    if school is None:
        raise NotFound("no such school")
    changed = []
    if code is not None:
        school.code = _code(code)
        await _code_taken(session, actor, school.code, school.id)
        changed.append(f"code {school.code}")
    if name is not None:
        school.name = check_text(name, ("input", "name"), column_length(School.name))
        changed.append("name")
    if grade_band is not None:
        school.grade_band = check_text(
            grade_band, ("input", "gradeBand"), column_length(School.grade_band), required=False
        )
        changed.append("grade band")
    record_change(session, actor, "update", "school", school.id, ", ".join(changed) or "nothing")
    await session.flush()
    return school


# --- coach caseloads ------------------------------------------------------------------------------


async def _pair(
    session: AsyncSession, actor: Actor, coach_id: int, teacher_id: int
) -> tuple[User, TeacherProfile]:
    """The coach and the teacher, both of the actor's district and each of their role."""
    may_administer(actor)
    coach = await user_in_district(session, actor, coach_id)
    if coach.role != Role.COACH.value:
        raise invalid(("input", "coachId"), f"{coach.name} is a {coach.role}, not a coach", "ROLE")
    teacher = await user_in_district(session, actor, teacher_id)
    profile = await session.get(TeacherProfile, teacher.id)
    if teacher.role != Role.TEACHER.value or profile is None:
        raise invalid(
            ("input", "teacherId"), f"{teacher.name} is a {teacher.role}, not a teacher", "ROLE"
        )
    return coach, profile


async def assign_coach(
    session: AsyncSession, actor: Actor, coach_id: int, teacher_id: int
) -> tuple[User, TeacherProfile]:
    """Add a teacher to a coach's caseload: the coach then reads and supports their growth."""
    coach, profile = await _pair(session, actor, coach_id, teacher_id)
    if not coach.active:
        raise invalid(("input", "coachId"), "the coach is deactivated", "INACTIVE")
    insert = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert
    added = await session.execute(
        insert(CoachAssignment)
        .values(coach_id=coach.id, teacher_id=profile.user_id)
        .on_conflict_do_nothing(index_elements=["coach_id", "teacher_id"])
    )
    if not added.rowcount:  # type: ignore[attr-defined]
        raise invalid("input", "the coach already serves this teacher", "ALREADY_ASSIGNED")
    record_change(
        session,
        actor,
        "assign",
        "coach_assignment",
        profile.user_id,
        f"coach {coach.id}",
        teacher_id=profile.user_id,
    )
    await session.flush()
    return coach, profile


async def unassign_coach(
    session: AsyncSession, actor: Actor, coach_id: int, teacher_id: int
) -> tuple[User, TeacherProfile]:
    """Take a teacher off a coach's caseload (the coach stops seeing their data at once)."""
    coach, profile = await _pair(session, actor, coach_id, teacher_id)
    removed = await session.execute(
        delete(CoachAssignment).where(
            CoachAssignment.coach_id == coach.id, CoachAssignment.teacher_id == profile.user_id
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise invalid("input", "the coach does not serve this teacher", "NOT_ASSIGNED")
    record_change(
        session,
        actor,
        "unassign",
        "coach_assignment",
        profile.user_id,
        f"coach {coach.id}",
        teacher_id=profile.user_id,
    )
    await session.flush()
    return coach, profile


async def caseload(session: AsyncSession, actor: Actor, coach_id: int) -> list[User]:
    """The teachers a coach serves (for the CLI)."""
    may_administer(actor)
    coach = await user_in_district(session, actor, coach_id)
    served = select(CoachAssignment.teacher_id).where(CoachAssignment.coach_id == coach.id)
    return list(await session.scalars(select(User).where(User.id.in_(served)).order_by(User.email)))


# --- district goals -------------------------------------------------------------------------------


async def _goal(session: AsyncSession, actor: Actor, goal_id: int) -> DistrictGoal:
    may_administer(actor)
    goal = await session.scalar(
        select(DistrictGoal)
        .where(
            DistrictGoal.id == check_id(goal_id, ("input", "districtGoalId")),
            DistrictGoal.district_id == actor.district_id,
        )
        .execution_options(populate_existing=True)
    )
    if goal is None:
        raise NotFound("no such district goal")
    return goal


async def create_district_goal(
    session: AsyncSession, actor: Actor, *, title: str, description: str = ""
) -> DistrictGoal:
    """A district initiative teachers' goals can align to."""
    may_administer(actor)
    title = check_text(title, ("input", "title"), column_length(DistrictGoal.title))
    if await session.scalar(
        select(DistrictGoal.id).where(
            DistrictGoal.district_id == actor.district_id,
            DistrictGoal.title == title,
            DistrictGoal.active.is_(True),
        )
    ):
        raise invalid(("input", "title"), "an active district goal has this title", "DUPLICATE")
    goal = DistrictGoal(
        district_id=actor.district_id,
        title=title,
        description=check_text(description, ("input", "description"), LONG_TEXT, required=False),
        active=True,
    )
    session.add(goal)
    await session.flush()
    record_change(session, actor, "create", "district_goal", goal.id, "district goal")
    await session.flush()
    return goal


async def update_district_goal(
    session: AsyncSession,
    actor: Actor,
    goal_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
) -> DistrictGoal:
    goal = await _goal(session, actor, goal_id)
    if title is not None:
        goal.title = check_text(title, ("input", "title"), column_length(DistrictGoal.title))
    if description is not None:
        goal.description = check_text(
            description, ("input", "description"), LONG_TEXT, required=False
        )
    record_change(session, actor, "update", "district_goal", goal.id, "district goal")
    await session.flush()
    return goal


async def archive_district_goal(session: AsyncSession, actor: Actor, goal_id: int) -> DistrictGoal:
    """Retire an initiative: goals already aligned to it keep it; new ones cannot choose it."""
    goal = await _goal(session, actor, goal_id)
    archived = await session.execute(
        update(DistrictGoal)
        .where(DistrictGoal.id == goal.id, DistrictGoal.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    if not archived.rowcount:  # type: ignore[attr-defined]
        raise invalid(("input", "districtGoalId"), "the goal is already archived", "UNCHANGED")
    record_change(session, actor, "archive", "district_goal", goal.id, "district goal")
    await session.flush()
    return await _goal(session, actor, goal.id)


# --- the roster's say in roles --------------------------------------------------------------------


async def set_roster_staff_roles(session: AsyncSession, actor: Actor, enabled: bool) -> bool:
    """Whether OneRoster ``administrator`` users become principals and district admins on import
    (on by default); off leaves every role in the district admins' hands."""
    may_administer(actor)
    settings = await session.get(DistrictSettings, actor.district_id)
    if settings is None:
        settings = DistrictSettings(district_id=actor.district_id)
        session.add(settings)
    settings.roster_staff_roles = enabled
    settings.updated_by_id = None if actor.user_id == OPERATOR_ID else actor.user_id
    settings.updated_at = utcnow()
    await session.flush()
    state = "on" if enabled else "off"
    record_change(
        session, actor, "update", "district_settings", actor.district_id, f"roster roles {state}"
    )
    await session.flush()
    return enabled
