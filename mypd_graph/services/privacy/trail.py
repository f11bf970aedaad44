"""Reading the audit trail: a district admin's filtered pages, and the operator's streamed export.

Only district admins read the trail, and only their district's events (``audit_event.district_id``,
copied from the actor when the event is written): events of other districts never appear, whatever
the filter. Pages go newest first, keyset on the event id (the order events were appended), with
the same cursors as every other list. The export streams in keyset chunks of ``chunk`` events, so
memory stays bounded at millions of rows on both databases.

Reading the trail is itself recorded: each page a district admin reads adds a ``read`` of
``audit_event`` naming the events shown and, in its detail, the question asked (the filters), so
"who looked at whose trail" has an answer too. The event names no student or teacher, so it never
shows up in the lists of what it looked at (reading a student's access log does not lengthen it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import AuditEvent, AuditSubject
from mypd_graph.services.access import Actor
from mypd_graph.services.common import Page, check_first, decode_cursor
from mypd_graph.services.privacy.audit import STUDENT, TEACHER, new_event

EXPORT_CHUNK = 5000
AUDIT_EVENT = "audit_event"
EXPORT_COLUMNS = (
    "id", "at", "district_id", "user_id", "actor_email", "actor_name", "actor_role", "action",
    "entity", "entity_ids", "students", "teachers", "detail", "request_id", "client_address",
)  # fmt: skip


@dataclass(frozen=True)
class AuditFilter:
    """All given filters must match; ``until`` is exclusive."""

    actor_id: int | None = None
    student_id: int | None = None
    teacher_id: int | None = None
    action: str | None = None
    entity: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Entry:
    """One event with the students and teachers it names."""

    event: AuditEvent
    students: list[int] = field(default_factory=list)
    teachers: list[int] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.event.id


def _names(kind: str, subject_id: int) -> ColumnElement[bool]:
    named = select(AuditSubject.event_id).where(
        AuditSubject.kind == kind, AuditSubject.subject_id == subject_id
    )
    return AuditEvent.id.in_(named)


def _conditions(district_id: int, where: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [AuditEvent.district_id == district_id]
    if where.actor_id is not None:
        conditions.append(AuditEvent.user_id == where.actor_id)
    if where.student_id is not None:
        conditions.append(_names(STUDENT, where.student_id))
    if where.teacher_id is not None:
        conditions.append(_names(TEACHER, where.teacher_id))
    if where.action:
        conditions.append(AuditEvent.action == where.action)
    if where.entity:
        conditions.append(AuditEvent.entity == where.entity)
    if where.since is not None:
        conditions.append(AuditEvent.at >= where.since)
    if where.until is not None:
        conditions.append(AuditEvent.at < where.until)
    return conditions


async def with_subjects(session: AsyncSession, events: Sequence[AuditEvent]) -> list[Entry]:
    """The events with the students and teachers they name: one statement for all of them."""
    entries = {event.id: Entry(event) for event in events}
    if entries:
        rows = await session.execute(
            select(AuditSubject.event_id, AuditSubject.kind, AuditSubject.subject_id)
            .where(AuditSubject.event_id.in_(entries))
            .order_by(AuditSubject.event_id, AuditSubject.kind, AuditSubject.subject_id)
        )
        for event_id, kind, subject_id in rows:
            entry = entries[event_id]
            (entry.students if kind == STUDENT else entry.teachers).append(subject_id)
    return list(entries.values())


async def trail_page(
    session: AsyncSession, actor: Actor, where: AuditFilter, first: int, after: str | None
) -> Page[Entry]:
    """A district admin's page of their district's trail, newest first; empty for anyone else."""
    check_first(first)
    conditions = _conditions(actor.district_id, where)
    if not actor.is_district_admin:
        conditions = [AuditEvent.id.is_(None)]  # nobody else reads the trail
    statement: Select[Any] = select(AuditEvent).where(and_(*conditions))
    count = select(func.count()).select_from(statement.subquery())
    if after is not None:
        statement = statement.where(AuditEvent.id < decode_cursor(after))
    rows = list(await session.scalars(statement.order_by(AuditEvent.id.desc()).limit(first + 1)))
    entries = await with_subjects(session, rows[:first])
    if actor.is_district_admin:
        session.add(
            new_event(
                "read",
                AUDIT_EVENT,
                [entry.id for entry in entries],
                user_id=actor.user_id,
                district_id=actor.district_id,
                detail=describe_filter(where, first, after),
            )
        )
    return Page(entries, len(rows) > first, count)


def describe_filter(where: AuditFilter, first: int, after: str | None) -> str:
    """The question a page of the trail answered, in the reading's own event: the filters given
    (ids as stored: users, students and teachers by their database id), the page size and
    cursor."""
    parts = [
        f"{name}={value.isoformat() if isinstance(value, datetime) else value}"
        for name, value in (
            ("actor", where.actor_id),
            ("student", where.student_id),
            ("teacher", where.teacher_id),
            ("action", where.action),
            ("entity", where.entity),
            ("since", where.since),
            ("until", where.until),
        )
        if value is not None
    ]
    parts.append(f"first={first}")
    if after is not None:
        parts.append(f"after={after}")
    return "audit trail: " + " ".join(parts)


# -------------------------------------------------------------------------------------------------
# The operator's export
# -------------------------------------------------------------------------------------------------


async def stream_entries(
    session: AsyncSession, district_id: int, where: AuditFilter, chunk: int = EXPORT_CHUNK
) -> AsyncIterator[Entry]:
    """Every matching event, oldest first, read ``chunk`` at a time (keyset on id): memory is
    bounded by the chunk, not the trail, and no statement stays open between chunks."""
    conditions = _conditions(district_id, where)
    last = 0
    while True:
        rows = list(
            await session.scalars(
                select(AuditEvent)
                .where(*conditions, AuditEvent.id > last)
                .order_by(AuditEvent.id)
                .limit(chunk)
            )
        )
        if not rows:
            return
        for entry in await with_subjects(session, rows):
            yield entry
        last = rows[-1].id
        session.expunge_all()  # nothing read stays in the session's identity map
        if len(rows) < chunk:
            return


def as_record(entry: Entry) -> dict[str, Any]:
    event = entry.event
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "district_id": event.district_id,
        "user_id": event.user_id,
        "actor_email": event.actor_email,
        "actor_name": event.actor_name,
        "actor_role": event.actor_role,
        "action": event.action,
        "entity": event.entity,
        "entity_ids": list(event.entity_ids),
        "students": entry.students,
        "teachers": entry.teachers,
        "detail": event.detail,
        "request_id": event.request_id,
        "client_address": event.client_address,
    }


def jsonl_line(entry: Entry) -> str:
    return json.dumps(as_record(entry), ensure_ascii=False) + "\n"


def csv_header() -> str:
    return _csv_row(list(EXPORT_COLUMNS))


def csv_line(entry: Entry) -> str:
    record = as_record(entry)
    for key in ("entity_ids", "students", "teachers"):
        record[key] = " ".join(str(value) for value in record[key])
    return _csv_row(["" if record[key] is None else record[key] for key in EXPORT_COLUMNS])


def _csv_row(values: list[Any]) -> str:
    """One CSV line; text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
    carriage return first) gets a leading apostrophe, as OWASP advises for CSV exports."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        f"'{value}" if isinstance(value, str) and value[:1] in _FORMULA_STARTS else value
        for value in values
    )
    return buffer.getvalue()


_FORMULA_STARTS = frozenset("=+-@\t\r")
