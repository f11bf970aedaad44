"""``district create|list``, ``user add|update|deactivate|reactivate|list``,
``caseload assign|unassign|list``.

The operator (whoever runs the deployment, with its database) creates districts; the user and
caseload commands run the very service functions of the admin mutations (services/people), as the
operator acting with a district admin's powers in the district ``--district KEY`` names (needed
only when the deployment has several). Their changes are audited as the operator's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.cli.base import _settings, caseload, district, run_in_transaction, user
from mypd_graph.services.access import Actor

T = TypeVar("T")


def _run(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Every command here writes: one write transaction."""
    return run_in_transaction(ctx, work)


async def district_actor(session: AsyncSession, key: str | None) -> Actor:
    """The operator in district ``key``, or in the only district when there is one."""
    from mypd_graph.models import District
    from mypd_graph.services.people.admin import operator_actor

    if key:
        found = await session.scalar(select(District).where(District.key == key.strip().lower()))
        if found is None:
            raise click.ClickException(
                f"no district with key {key!r}: see `mypd-graph district list`"
            )
        return operator_actor(found.id)
    keys = list(await session.scalars(select(District.key).order_by(District.key).limit(6)))
    if len(keys) == 1:
        found_id = await session.scalar(select(District.id))
        assert found_id is not None
        return operator_actor(found_id)
    if not keys:
        raise click.ClickException("no district yet: run `mypd-graph district create` first")
    raise click.ClickException(f"several districts: pass --district KEY (one of {', '.join(keys)})")


async def _user_id(session: AsyncSession, actor: Actor, email: str) -> int:
    from mypd_graph.models import User

    found = await session.scalar(
        select(User.id).where(
            User.email == email.strip().lower(), User.district_id == actor.district_id
        )
    )
    if found is None:
        raise click.ClickException(f"no user with email {email!r} in this district")
    return found


async def _school_id(session: AsyncSession, actor: Actor, code: str) -> int:
    from mypd_graph.models import School

    found = await session.scalar(
        select(School.id).where(
            School.code == code.strip(), School.district_id == actor.district_id
        )
    )
    if found is None:
        raise click.ClickException(f"no school with code {code!r} in this district")
    return found


_DISTRICT = click.option("--district", "district_key", metavar="KEY", help="The district's key.")


# --- districts ------------------------------------------------------------------------------------


@district.command("create")
@click.option("--key", required=True, help="Lowercase letters, digits, hyphens: long-beach.")
@click.option("--name", required=True, help="The district's name.")
@click.option("--admin-email", required=True, help="The first district admin's email.")
@click.option("--admin-name", help="The first admin's name (default: the email's local part).")
@click.pass_context
def district_create(
    ctx: click.Context, key: str, name: str, admin_email: str, admin_name: str | None
) -> None:
    """Create a district and its first district admin; CSTP is its framework when installed."""
    from mypd_graph.case.importer import case_importer
    from mypd_graph.plugins.manager import load_plugins
    from mypd_graph.services.frameworks.registry import sync_frameworks
    from mypd_graph.services.people.districts import create_district

    settings = _settings(ctx)
    plugins = load_plugins(settings.plugins_allow, settings.plugins_deny)

    async def work(session: AsyncSession) -> str:
        await sync_frameworks(session, plugins, case_importer())
        created, admin = await create_district(
            session, key=key, name=name, admin_email=admin_email, admin_name=admin_name
        )
        framework = "no framework active (none installed)"
        if created.active_framework_id is not None:
            from mypd_graph.models import Framework

            active = await session.get_one(Framework, created.active_framework_id)
            framework = f"framework {active.key} active"
        return f"district {created.key} created: {created.name}; admin {admin.email}; {framework}"

    click.echo(_run(ctx, work))


@district.command("list")
@click.pass_context
def district_list(ctx: click.Context) -> None:
    """Each district: key, name, schools, users (active), sign-in connected, framework."""
    from mypd_graph.services.people.districts import district_summaries

    rows = _run(ctx, district_summaries)
    if not rows:
        click.echo("no districts: create one with `mypd-graph district create`")
        return
    click.echo("key\tname\tschools\tusers\tactive users\tsign-in\tframework")
    for row in rows:
        sign_in = "connected" if row.sign_in else "not connected"
        click.echo(
            f"{row.key}\t{row.name}\t{row.schools}\t{row.users}\t{row.active_users}\t{sign_in}\t"
            f"{row.framework or '-'}"
        )


@district.command("roster-roles")
@_DISTRICT
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_context
def district_roster_roles(ctx: click.Context, district_key: str | None, state: str) -> None:
    """Whether roster imports make administrators principals and district admins (on by
    default; off: roles are given only in mypd)."""
    from mypd_graph.services.people import organisation

    async def work(session: AsyncSession) -> bool:
        actor = await district_actor(session, district_key)
        return await organisation.set_roster_staff_roles(session, actor, state == "on")

    enabled = _run(ctx, work)
    click.echo(f"roster imports {'give' if enabled else 'do not give'} staff roles")


# --- users ----------------------------------------------------------------------------------------

_ROLE_HELP = "teacher, coach, principal, district_admin or importer."


@user.command("add")
@_DISTRICT
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, help=_ROLE_HELP)
@click.option("--school", "school_code", metavar="CODE", help="A principal's or teacher's school.")
@click.pass_context
def user_add(
    ctx: click.Context,
    district_key: str | None,
    email: str,
    name: str,
    role: str,
    school_code: str | None,
) -> None:
    """Add a user to a district (a teacher gets a teacher profile)."""
    from mypd_graph.services.people import admin

    async def work(session: AsyncSession) -> str:
        actor = await district_actor(session, district_key)
        school = await _school_id(session, actor, school_code) if school_code else None
        added = await admin.create_user(
            session, actor, email=email, name=name, role=role, school_id=school
        )
        return f"added {added.email} ({added.role})"

    click.echo(_run(ctx, work))


@user.command("update")
@_DISTRICT
@click.argument("email")
@click.option("--name")
@click.option("--role", help=_ROLE_HELP)
@click.option("--school", "school_code", metavar="CODE", help="Move them to this school.")
@click.option("--no-school", is_flag=True, help="Take them out of any school.")
@click.pass_context
def user_update(
    ctx: click.Context,
    district_key: str | None,
    email: str,
    name: str | None,
    role: str | None,
    school_code: str | None,
    no_school: bool,
) -> None:
    """Change a user's name, role or school."""
    from mypd_graph.services.people import admin

    if school_code and no_school:
        raise click.UsageError("pass --school CODE or --no-school, not both")

    async def work(session: AsyncSession) -> str:
        actor = await district_actor(session, district_key)
        school: int | None | admin._Unchanged = admin.UNCHANGED
        if school_code:
            school = await _school_id(session, actor, school_code)
        elif no_school:
            school = None
        changed = await admin.update_user(
            session,
            actor,
            await _user_id(session, actor, email),
            name=name,
            role=role,
            school_id=school,
        )
        return f"updated {changed.email} ({changed.role})"

    click.echo(_run(ctx, work))


def _set_active(ctx: click.Context, district_key: str | None, email: str, active: bool) -> None:
    from mypd_graph.services.people import admin

    async def work(session: AsyncSession) -> str:
        actor = await district_actor(session, district_key)
        changed = await admin.set_active(
            session, actor, await _user_id(session, actor, email), active
        )
        return f"{'reactivated' if active else 'deactivated'} {changed.email}"

    click.echo(_run(ctx, work))


@user.command("deactivate")
@_DISTRICT
@click.argument("email")
@click.pass_context
def user_deactivate(ctx: click.Context, district_key: str | None, email: str) -> None:
    """Deactivate a user: they can no longer sign in (nothing of theirs is deleted)."""
    _set_active(ctx, district_key, email, False)


@user.command("reactivate")
@_DISTRICT
@click.argument("email")
@click.pass_context
def user_reactivate(ctx: click.Context, district_key: str | None, email: str) -> None:
    """Let a deactivated user sign in again."""
    _set_active(ctx, district_key, email, True)


@user.command("list")
@_DISTRICT
@click.option("--role", help=_ROLE_HELP)
@click.pass_context
def user_list(ctx: click.Context, district_key: str | None, role: str | None) -> None:
    """The district's users: email, name, role, school code, active."""
    from mypd_graph.models import School
    from mypd_graph.services.people import admin

    async def work(session: AsyncSession) -> list[str]:
        actor = await district_actor(session, district_key)
        users = await admin.district_users(session, actor, admin.UserFilter(role=role))
        rows = await session.execute(
            select(School.id, School.code).where(School.district_id == actor.district_id)
        )
        codes = {school_id: code for school_id, code in rows}
        return [
            f"{u.email}\t{u.name}\t{u.role}\t{codes.get(u.school_id, '-')}"
            f"\t{'active' if u.active else 'deactivated'}"
            for u in users
        ]

    lines = _run(ctx, work)
    click.echo("email\tname\trole\tschool\tstatus")
    for line in lines:
        click.echo(line)


# --- caseloads ------------------------------------------------------------------------------------


def _caseload(
    ctx: click.Context, district_key: str | None, coach: str, teachers: tuple[str, ...], add: bool
) -> None:
    from mypd_graph.services.people import organisation

    change = organisation.assign_coach if add else organisation.unassign_coach

    async def work(session: AsyncSession) -> list[str]:
        actor = await district_actor(session, district_key)
        coach_id = await _user_id(session, actor, coach)
        done = []
        for teacher in teachers:
            await change(session, actor, coach_id, await _user_id(session, actor, teacher))
            done.append(f"{'assigned' if add else 'unassigned'} {teacher.strip().lower()}")
        return done

    for line in _run(ctx, work):  # all teachers or none: one transaction
        click.echo(f"{line} {'to' if add else 'from'} {coach.strip().lower()}")


@caseload.command("assign")
@_DISTRICT
@click.option("--coach", required=True, metavar="EMAIL")
@click.option("--teacher", "teachers", required=True, multiple=True, metavar="EMAIL")
@click.pass_context
def caseload_assign(
    ctx: click.Context, district_key: str | None, coach: str, teachers: tuple[str, ...]
) -> None:
    """Add teachers (--teacher, repeatable) to a coach's caseload."""
    _caseload(ctx, district_key, coach, teachers, add=True)


@caseload.command("unassign")
@_DISTRICT
@click.option("--coach", required=True, metavar="EMAIL")
@click.option("--teacher", "teachers", required=True, multiple=True, metavar="EMAIL")
@click.pass_context
def caseload_unassign(
    ctx: click.Context, district_key: str | None, coach: str, teachers: tuple[str, ...]
) -> None:
    """Take teachers off a coach's caseload."""
    _caseload(ctx, district_key, coach, teachers, add=False)


@caseload.command("list")
@_DISTRICT
@click.option("--coach", required=True, metavar="EMAIL")
@click.pass_context
def caseload_list(ctx: click.Context, district_key: str | None, coach: str) -> None:
    """The teachers a coach serves."""
    from mypd_graph.services.people import organisation

    async def work(session: AsyncSession) -> list[str]:
        actor = await district_actor(session, district_key)
        rows = await organisation.caseload(session, actor, await _user_id(session, actor, coach))
        return [f"{row.email}\t{row.name}" for row in rows]

    for line in _run(ctx, work):
        click.echo(line)
