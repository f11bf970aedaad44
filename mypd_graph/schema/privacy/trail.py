"""The audit trail as district admins read it: filtered, paged, newest first.

Not a ``Node``: an event is never fetched by ID (``node(id:)`` stays null for it); it is reached
only through the district admin's filtered lists. Thin over :mod:`mypd_graph.services.privacy.trail`.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.relay import Connection, connection, decode_id, to_global_id
from mypd_graph.services.privacy import trail as service


@strawberry.type(description="Who an event names, as they were when it was written.")
class AuditActor:
    user_id: strawberry.ID | None = strawberry.field(
        description="The user's ID (it may name a user since deleted); null for the operator "
        "or the system."
    )
    email: str | None
    name: str | None
    role: str | None


@strawberry.type(
    description="One entry of the audit trail: a read of student data, or a change to a "
    "teacher's record or a plan decision. Append-only."
)
class AuditEvent:
    number: int = strawberry.field(description="The event's place in the trail (ascending).")
    at: datetime
    actor: AuditActor
    action: str = strawberry.field(
        description="read, count, import, create, update, delete, plan_submit, plan_approve, "
        "..., student_deleted, student_purge (docs/privacy.md)."
    )
    entity: str = strawberry.field(description="The kind of record (table), e.g. evidence.")
    entity_ids: list[str] = strawberry.field(description="The records' database ids.")
    students: list[strawberry.ID] = strawberry.field(
        description="The students whose records it touched."
    )
    teachers: list[strawberry.ID] = strawberry.field(
        description="The teachers whose record it touched or whose profile it read."
    )
    detail: str
    request_id: str | None
    client_address: str | None

    @classmethod
    def from_entry(cls, entry: service.Entry) -> AuditEvent:
        event = entry.event
        return cls(
            number=event.id,
            at=event.at,
            actor=AuditActor(
                user_id=strawberry.ID(to_global_id("User", event.user_id))
                if event.user_id is not None
                else None,
                email=event.actor_email,
                name=event.actor_name,
                role=event.actor_role,
            ),
            action=event.action,
            entity=event.entity,
            entity_ids=list(event.entity_ids),
            students=[strawberry.ID(to_global_id("Student", i)) for i in entry.students],
            teachers=[strawberry.ID(to_global_id("Teacher", i)) for i in entry.teachers],
            detail=event.detail,
            request_id=event.request_id,
            client_address=event.client_address,
        )


@strawberry.input(description="Narrow the audit trail; all given filters must match.")
class AuditFilterInput:
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="A User ID.")
    student_id: strawberry.ID | None = strawberry.field(default=None, description="A Student ID.")
    teacher_id: strawberry.ID | None = strawberry.field(default=None, description="A Teacher ID.")
    action: str | None = None
    entity: str | None = None
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")

    def to_service(self) -> service.AuditFilter:
        def decoded(value: strawberry.ID | None, kind: str, name: str) -> int | None:
            return None if value is None else decode_id(value, kind, ("where", name))

        return service.AuditFilter(
            actor_id=decoded(self.actor_id, "User", "actorId"),
            student_id=decoded(self.student_id, "Student", "studentId"),
            teacher_id=decoded(self.teacher_id, "Teacher", "teacherId"),
            action=self.action or None,
            entity=self.entity or None,
            since=self.since,
            until=self.until,
        )


async def _page(
    info: Info, where: service.AuditFilter, first: int, after: str | None
) -> Connection[AuditEvent]:
    page = await info.context.read(service.trail_page, where, first, after)
    return connection(page, AuditEvent.from_entry)


@strawberry.type
class Query:
    @strawberry.field(
        description="The district's audit trail, newest first (district admins; empty for "
        "everyone else). Events of other districts never appear."
    )
    async def audit_trail(
        self,
        info: Info,
        first: int = 25,
        after: str | None = None,
        where: AuditFilterInput | None = None,
    ) -> Connection[AuditEvent]:
        filters = (where or AuditFilterInput()).to_service()
        return await _page(info, filters, first, after)

    @strawberry.field(
        description="Who accessed this student's records: every event naming the student, "
        "newest first (district admins; empty for everyone else)."
    )
    async def student_access_log(
        self, info: Info, student_id: strawberry.ID, first: int = 25, after: str | None = None
    ) -> Connection[AuditEvent]:
        student = decode_id(student_id, "Student", "studentId")
        return await _page(info, service.AuditFilter(student_id=student), first, after)

    @strawberry.field(
        description="Who read this teacher's growth profile (needs, growth): reads naming the "
        "teacher, newest first (district admins; empty for everyone else)."
    )
    async def teacher_profile_reads(
        self, info: Info, teacher_id: strawberry.ID, first: int = 25, after: str | None = None
    ) -> Connection[AuditEvent]:
        teacher = decode_id(teacher_id, "Teacher", "teacherId")
        where = service.AuditFilter(teacher_id=teacher, action="read")
        return await _page(info, where, first, after)
