"""Writing the audit trail: who, from where, and every change to a teacher's record.

Three things happen here, all through SQLAlchemy session events, so no service has to remember them:

- **Who and from where.** Every new :class:`AuditEvent` gets the request id and client address of
  the request whose session wrote it (``session.info``, set by the GraphQL context through
  :func:`request_sessionmaker`) and a snapshot of its user (district, email, name, role) copied
  from ``app_user`` in the INSERT itself: the event still says who it was after the user is
  deleted, renamed or deactivated, and no extra statement runs.
- **Changes to a teacher's record.** In a request's session, every row of a teacher's growth record
  that a flush inserts, updates or deletes (profile, focus elements, self-assessments, observations,
  plans and their decisions, goals, action steps, evidence, comments, training) is collected, and
  one event per (record kind, action) is added before the transaction commits, naming the records
  and the teachers whose record they are. The change and its record commit together.
- Rows of a link or rating table count as an update of the record they belong to. A teacher's
  own change of their name (``updateProfile``: the name is kept on the user) counts as an update
  of their profile.
- **Reads of a teacher's growth record** by anyone but the teacher (profile, focus elements,
  self-assessments, observations, plans, evidence, training): every such row a request's session
  loads is noted, and a ``read`` of ``teacher_profile`` naming them is added before the session
  commits. A request names each teacher in one read event only: the first (a profile read, or
  a read of their needs and growth) names them, later ones of the request do not. The event
  rides on the reading session's own commit, so a request runs one more INSERT per loader batch
  that read someone's record, however many rows it read.

Bulk statements (``session.execute(update(...))``) do not pass through a flush; the services that
use them for a teacher's record (plan transitions) also add an ORM row (the plan event) that does.

May import the services kernel and models; nothing else.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, UOWTransaction

from mypd_graph.models import (
    AuditEvent,
    AuditSubject,
    Evidence,
    FocusElement,
    Goal,
    LearningPlan,
    Observation,
    SelfAssessment,
    TeacherProfile,
    TrainingRecord,
    User,
)
from mypd_graph.services.access import Actor

STUDENT = "student"
TEACHER = "teacher"
REQUEST_KEY = "mypd_request"
_CHANGES_KEY = "mypd_audit_changes"
_READS_KEY = "mypd_profile_reads"
PROFILE_READ = "teacher_profile"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,64}")

# Tables of a teacher's growth record, recorded under their own name.
RECORD_TABLES = frozenset(
    {
        "teacher_profile",
        "focus_element",
        "self_assessment",
        "observation",
        "learning_plan",
        "plan_event",
        "goal",
        "action_step",
        "evidence",
        "comment",
        "training_record",
    }
)
# Rows that belong to one record: (the record's table, the column holding its id).
PART_OF = {
    "self_assessment_rating": ("self_assessment", "self_assessment_id"),
    "observation_rating": ("observation", "observation_id"),
    "goal_element": ("goal", "goal_id"),
    "evidence_element": ("evidence", "evidence_id"),
    "evidence_goal": ("evidence", "evidence_id"),
    "training_record_element": ("training_record", "training_record_id"),
}
_WITH_TEACHER: dict[str, Any] = {
    "learning_plan": LearningPlan,
    "evidence": Evidence,
    "observation": Observation,
    "self_assessment": SelfAssessment,
    "training_record": TrainingRecord,
}
# Rows of a teacher's growth record whose loading is a read of the teacher's profile, and the
# attribute naming the teacher (rows reached only through these, such as goals, are not noted).
_PROFILE_ROWS: dict[type, str] = {
    TeacherProfile: "user_id",
    FocusElement: "teacher_id",
    SelfAssessment: "teacher_id",
    Observation: "teacher_id",
    LearningPlan: "teacher_id",
    Evidence: "teacher_id",
    TrainingRecord: "teacher_id",
}


@dataclass(frozen=True)
class RequestInfo:
    """What the trail keeps of the HTTP request a session works for."""

    actor: Actor | None
    request_id: str
    client_address: str | None
    # Teachers whose record this request has already recorded a read of (shared by the request's
    # sessions: one event per request per teacher).
    profiles_read: set[int] = field(default_factory=set, compare=False)


def request_id_from(header: str | None) -> str:
    """An incoming ``X-Request-ID`` when it is short and plain (a proxy's or client's id, so logs
    correlate), else a fresh one: nothing a client sends reaches the trail unchecked."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def request_sessionmaker(
    base: async_sessionmaker[AsyncSession], info: RequestInfo
) -> async_sessionmaker[AsyncSession]:
    """The same sessionmaker, whose sessions know the request (read by the audit listeners)."""
    kw = dict(base.kw)
    kw["info"] = {**kw.get("info", {}), REQUEST_KEY: info}
    return async_sessionmaker(class_=base.class_, **kw)


def request_of(session: Session | AsyncSession) -> RequestInfo | None:
    found = session.info.get(REQUEST_KEY)
    return found if isinstance(found, RequestInfo) else None


def new_event(
    action: str,
    entity: str,
    entity_ids: Iterable[Any] = (),
    *,
    user_id: int | None = None,
    detail: str = "",
    students: Iterable[int] = (),
    teachers: Iterable[int] = (),
    district_id: int | None = None,
) -> AuditEvent:
    """An event naming the students and teachers whose records it touched."""
    subjects = [AuditSubject(kind=STUDENT, subject_id=i) for i in sorted(set(students))]
    subjects += [AuditSubject(kind=TEACHER, subject_id=i) for i in sorted(set(teachers))]
    return AuditEvent(
        user_id=user_id,
        action=action,
        entity=entity,
        entity_ids=[str(i) for i in entity_ids],
        detail=detail,
        district_id=district_id,
        subjects=subjects,
    )


# -------------------------------------------------------------------------------------------------
# Who and from where
# -------------------------------------------------------------------------------------------------


def _once_per_request(session: Session, request: RequestInfo, events: list[AuditEvent]) -> None:
    """A request's reads name each teacher once: the first read event of the request that reads
    a teacher's record (their profile, or their needs and growth) names them, later ones of the
    same request do not (they still say what they read, in ``entity_ids``)."""
    for item in events:
        if item.action != "read":
            continue
        repeated = [
            subject
            for subject in item.subjects
            if subject.kind == TEACHER and subject.subject_id in request.profiles_read
        ]
        request.profiles_read.update(s.subject_id for s in item.subjects if s.kind == TEACHER)
        if not repeated:
            continue
        item.subjects = [subject for subject in item.subjects if subject not in repeated]
        for subject in repeated:
            session.expunge(subject)
        if item.entity == PROFILE_READ and not item.subjects:
            session.expunge(item)


def _stamp(session: Session, events: list[AuditEvent]) -> None:
    request = request_of(session)
    if request is not None:
        _once_per_request(session, request, events)
    for item in events:
        if item not in session:
            continue
        if request is not None:
            item.request_id = item.request_id or request.request_id
            item.client_address = item.client_address or request.client_address
        if item.user_id is None or item.actor_email is not None:
            continue
        user = select(User).where(User.id == item.user_id).subquery()
        if item.district_id is None:
            item.district_id = select(user.c.district_id).scalar_subquery()  # type: ignore[assignment]
        item.actor_email = select(user.c.email).scalar_subquery()  # type: ignore[assignment]
        item.actor_name = select(user.c.name).scalar_subquery()  # type: ignore[assignment]
        item.actor_role = select(user.c.role).scalar_subquery()  # type: ignore[assignment]


# -------------------------------------------------------------------------------------------------
# Changes to a teacher's record
# -------------------------------------------------------------------------------------------------


@dataclass
class _Changes:
    """What a transaction changed: (table, action) -> record ids, and how to find each teacher."""

    records: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    teacher_of: dict[tuple[str, int], int] = field(default_factory=dict)
    lookups: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    details: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))


def _owner(table: str, row: Any) -> tuple[str, int] | None:
    """The record a row names, to find its teacher: (table, id)."""
    if table in ("plan_event", "goal"):
        return ("learning_plan", row.plan_id)
    if table == "action_step":
        return ("goal", row.goal_id)
    if table == "comment":
        for column, owner in (
            ("evidence_id", "evidence"),
            ("goal_id", "goal"),
            ("observation_id", "observation"),
        ):
            if getattr(row, column, None) is not None:
                return (owner, getattr(row, column))
    return None


def _note(changes: _Changes, table: str, action: str, row: Any) -> None:
    if table in PART_OF:
        table, column = PART_OF[table]
        record_id, action = getattr(row, column), "update"
        changes.lookups.setdefault((table, record_id), (table, record_id))
    elif table == "teacher_profile":
        record_id = row.user_id
        changes.teacher_of[(table, record_id)] = row.user_id
    elif table == "focus_element":
        record_id = row.element_id
        changes.teacher_of[(table, record_id)] = row.teacher_id
    else:
        record_id = row.id
        if getattr(row, "teacher_id", None) is not None:
            changes.teacher_of[(table, record_id)] = row.teacher_id
        elif (owner := _owner(table, row)) is not None:
            changes.lookups[(table, record_id)] = owner
    if table == "plan_event":
        action = f"plan_{row.action}"
        changes.details[(table, action)].add(f"{row.from_status} -> {row.to_status}")
    changes.records[(table, action)].add(record_id)


def describe(session: AsyncSession, table: str, action: str, detail: str) -> None:
    """A note for the event this transaction records for (table, action): why, what went with it."""
    changes = session.sync_session.info.setdefault(_CHANGES_KEY, _Changes())
    changes.details[(table, action)].add(detail)


def _collect(session: Session, _flush: UOWTransaction) -> None:
    """After a flush: note what it changed in a teacher's record (ids are known by now)."""
    if request_of(session) is None:
        return
    changes = session.info.setdefault(_CHANGES_KEY, _Changes())
    for rows, action in (
        (session.new, "create"),
        (session.dirty, "update"),
        (session.deleted, "delete"),
    ):
        for row in rows:
            table = getattr(row, "__tablename__", "")
            if table == "app_user" and action == "update" and _renamed_self(session, row):
                _note(changes, "teacher_profile", "update", _ProfileOf(row.id))
                changes.details[("teacher_profile", "update")].add("name")
                continue
            if table not in RECORD_TABLES and table not in PART_OF:
                continue
            if action == "update" and not session.is_modified(row, include_collections=False):
                continue
            _note(changes, table, action, row)


@dataclass(frozen=True)
class _ProfileOf:
    """Stands for a teacher's profile when only their user row changed (their name)."""

    user_id: int


def _renamed_self(session: Session, row: Any) -> bool:
    """A user changed their own name: only ``updateProfile`` does (admins' renames of others are
    recorded by the admin mutations)."""
    request = request_of(session)
    actor = request.actor if request else None
    if actor is None or row.id != actor.user_id:
        return False
    return bool(inspect(row).attrs.name.history.has_changes())


def _loaded(session: Session, row: Any) -> None:
    """A row of a teacher's growth record was loaded: note whose, unless it is the reader's own."""
    attribute = _PROFILE_ROWS.get(type(row))
    request = request_of(session) if attribute else None
    if request is None or request.actor is None:
        return
    teacher = getattr(row, attribute or "", None)
    if teacher is not None and teacher != request.actor.user_id:
        session.info.setdefault(_READS_KEY, set()).add(teacher)


def _record_profile_reads(session: Session, request: RequestInfo, changed: bool) -> None:
    """One ``read`` of ``teacher_profile`` naming the teachers this session read and no earlier
    session of the request recorded. A session that changed a teacher's record is recorded as
    that change (a mutation loads what it changes), not as a read."""
    teachers: set[int] = session.info.pop(_READS_KEY, set())
    teachers -= request.profiles_read
    if changed or not teachers or request.actor is None:
        return
    session.add(
        new_event(
            "read",
            PROFILE_READ,
            sorted(teachers),
            user_id=request.actor.user_id,
            district_id=request.actor.district_id,
            detail="growth record",
            teachers=teachers,
        )
    )


def _resolve(session: Session, changes: _Changes) -> None:
    """Teachers of records known only through another: a goal's plan, a comment's evidence."""
    pending = dict(changes.lookups)
    for _ in range(3):  # action step -> goal -> plan
        if not pending:
            return
        wanted: dict[str, set[int]] = defaultdict(set)
        for owner_table, owner_id in pending.values():
            if (owner_table, owner_id) not in changes.teacher_of:
                wanted[owner_table].add(owner_id)
        for owner_table, ids in wanted.items():
            for owner_id, teacher_id in session.execute(_teachers_of(owner_table, ids)):
                changes.teacher_of[(owner_table, owner_id)] = teacher_id
        still: dict[tuple[str, int], tuple[str, int]] = {}
        for key, owner in pending.items():
            if owner in changes.teacher_of:
                changes.teacher_of[key] = changes.teacher_of[owner]
            elif owner[0] == "goal":
                still[key] = owner
        pending = still


def _teachers_of(table: str, ids: set[int]) -> Any:
    if table == "goal":
        return (
            select(Goal.id, LearningPlan.teacher_id)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .where(Goal.id.in_(ids))
        )
    model = _WITH_TEACHER[table]
    return select(model.id, model.teacher_id).where(model.id.in_(ids))


def _record_changes(session: Session) -> None:
    """Before commit: one event per (record kind, action) for what the transaction changed."""
    request = request_of(session)
    if request is None:
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook: collect what is still pending first
    changes: _Changes | None = session.info.pop(_CHANGES_KEY, None)
    _record_profile_reads(session, request, changed=bool(changes and changes.records))
    if not changes or not changes.records:
        return
    _resolve(session, changes)
    for (table, action), ids in list(changes.records.items()):
        if action == "update":  # a record created or deleted here is not also "updated"
            ids -= changes.records.get((table, "create"), set())
            ids -= changes.records.get((table, "delete"), set())
            if not ids:
                del changes.records[(table, action)]
    actor = request.actor
    for (table, action), ids in sorted(changes.records.items()):
        teachers = {changes.teacher_of[(table, i)] for i in ids if (table, i) in changes.teacher_of}
        session.add(
            new_event(
                action,
                table,
                sorted(ids),
                user_id=actor.user_id if actor else None,
                district_id=actor.district_id if actor else None,
                detail="; ".join(sorted(changes.details.get((table, action), ()))),
                teachers=teachers,
            )
        )


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    _stamp(session, [row for row in session.new if isinstance(row, AuditEvent)])


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGES_KEY, None)
    session.info.pop(_READS_KEY, None)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _collect)
event.listen(Session, "loaded_as_persistent", _loaded)
event.listen(Session, "before_commit", _record_changes)
event.listen(Session, "after_soft_rollback", lambda session, _previous: _after_rollback(session))
