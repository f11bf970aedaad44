"""``audit export``, ``students delete|purge``, ``teacher export``: privacy work for operators.

The operator (whoever runs the deployment, with its database) answers a records request, a
parent's or the law's deletion request, or the district's retention rule here. Every command
names its district by key; what a command deletes is recorded in the audit trail as the
operator's (no user id). See docs/privacy.md.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.cli.base import main, run_in_transaction

T = TypeVar("T")


@main.group()
def audit() -> None:
    """The audit trail: who read or changed student data or a teacher's record."""


@main.group()
def students() -> None:
    """Students' data: delete one student's, or apply the retention rule."""


@main.group()
def teacher() -> None:
    """A teacher's growth record."""


def _run(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]], write: bool) -> T:
    return run_in_transaction(ctx, work, write=write)


async def _district_id(session: AsyncSession, key: str) -> int:
    from mypd_graph.models import District

    found = await session.scalar(select(District.id).where(District.key == key.strip().lower()))
    if found is None:
        raise click.ClickException(f"no district with key {key!r}: see `mypd-graph district list`")
    return found


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


@audit.command("export")
@click.option("--district", "district_key", required=True, help="The district's key.")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC).")
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (UTC), included; default: all."
)
@click.option("--format", "format_", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--chunk", default=5000, show_default=True, type=click.IntRange(1, 100_000),
              help="Events read per statement.")  # fmt: skip
@click.pass_context
def audit_export(
    ctx: click.Context,
    district_key: str,
    since: datetime,
    until: datetime | None,
    format_: str,
    chunk: int,
) -> None:
    """Stream a district's audit trail, oldest first, as JSON lines or CSV on standard output.

    Memory stays bounded whatever the trail's size: events are read CHUNK at a time and written
    as they are read.
    """
    from mypd_graph.services.privacy import trail

    where = trail.AuditFilter(
        since=_day_start(since.date()),
        until=_day_start(until.date() + timedelta(days=1)) if until else None,
    )
    line = trail.jsonl_line if format_ == "jsonl" else trail.csv_line
    out = sys.stdout

    async def work(session: AsyncSession) -> None:
        district_id = await _district_id(session, district_key)
        if format_ == "csv":
            out.write(trail.csv_header())
        async for entry in trail.stream_entries(session, district_id, where, chunk):
            out.write(line(entry))
        out.flush()

    _run(ctx, work, write=False)


@students.command("delete")
@click.option("--district", "district_key", required=True, help="The district's key.")
@click.option("--local-id", required=True, help="The student's id in the district's SIS.")
@click.option(
    "--reason", default="", help="Why (kept in the audit trail), e.g. a request's number."
)
@click.pass_context
def students_delete(ctx: click.Context, district_key: str, local_id: str, reason: str) -> None:
    """Remove one student's results, enrollments and summaries, and the student (a parent's or
    the law's request); the audit trail keeps a tombstone."""
    from mypd_graph.services.privacy.students import delete_student

    async def work(session: AsyncSession) -> None:
        district_id = await _district_id(session, district_key)
        removed = await delete_student(session, district_id, local_id.strip(), reason.strip())
        click.echo(
            f"deleted student {local_id.strip()}: {removed.results} results, "
            f"{removed.enrollments} enrollments"
        )

    _run(ctx, work, write=True)


@students.command("purge")
@click.option("--district", "district_key", required=True, help="The district's key.")
@click.option("--before", "school_year", required=True, help="The first school year kept: 2023-24.")
@click.pass_context
def students_purge(ctx: click.Context, district_key: str, school_year: str) -> None:
    """Apply the retention rule: remove the results, sections and enrollments of every school
    year before SCHOOL_YEAR, and students left with no data; the audit trail records it."""
    from mypd_graph.services.privacy.students import purge_before

    async def work(session: AsyncSession) -> None:
        district_id = await _district_id(session, district_key)
        removed = await purge_before(session, district_id, school_year)
        click.echo(
            f"purged school years before {school_year.strip()}: {removed.results} results, "
            f"{removed.enrollments} enrollments, {removed.sections} sections, "
            f"{removed.students} students"
        )

    _run(ctx, work, write=True)


@teacher.command("export")
@click.option("--email", required=True, help="The teacher's email.")
@click.pass_context
def teacher_export(ctx: click.Context, email: str) -> None:
    """Print a teacher's whole growth record as one JSON document (docs/privacy.md, "A
    teacher's record"): what the teacher sees of it, no student names. Recorded in the audit
    trail as the operator's."""
    import json

    from mypd_graph.services.privacy.record import export_teacher_record

    async def work(session: AsyncSession) -> None:
        document = await export_teacher_record(session, email)
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))

    _run(ctx, work, write=True)
