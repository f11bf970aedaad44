"""Data that arrives from outside: assessments and results, PD resources, import runs, the audit log."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mypd_graph.models.base import AUDIT_SCHEMA, Base, utcnow


class Assessment(Base):
    """A test students take (``NWEA MAP Growth Math``); results refer to it.

    Its proficiency rule (docs/student-results.md) says when one result is at or above standard:
    by achievement level (``achievement_level >= proficient_level``: CAASPP 3 of 4, i-Ready 4 of
    5) or by percentile (``percentile >= proficient_percentile``, or the district's cut when the
    assessment sets none: MAP Growth). Importer presets set it; a district may override it.
    ``summative`` marks the year-end state test, whose result decides a student's status.
    """

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("district_id", "key"),
        CheckConstraint(
            "proficiency_basis IN ('level', 'percentile')", name="proficiency_basis_value"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str] = mapped_column(String(100), default="")
    level_count: Mapped[int] = mapped_column(default=4)
    proficient_level: Mapped[int] = mapped_column(default=3)
    # "level" or "percentile": which of the result's values says whether it met standard.
    proficiency_basis: Mapped[str] = mapped_column(
        String(16), default="level", server_default="level"
    )
    proficient_percentile: Mapped[int | None]
    summative: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Teacher-entered classroom data (services/imports/classroom.py): the teacher who uploaded
    # it; NULL for the district's assessments. It shows in that teacher's growth, and feeds
    # needs only when the district says so (DistrictSettings.classroom_results_in_needs).
    classroom_teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )


class AssessmentResult(Base):
    """One student's score on one administration; the natural key makes re-imports idempotent."""

    __tablename__ = "assessment_result"
    __table_args__ = (
        UniqueConstraint("student_id", "assessment_id", "school_year", "term"),
        Index("ix_assessment_result_assessment_year", "assessment_id", "school_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    school_year: Mapped[str] = mapped_column(String(9))
    term: Mapped[str] = mapped_column(String(16))
    administered_on: Mapped[date | None]
    scale_score: Mapped[float | None]
    achievement_level: Mapped[int | None]
    percentile: Mapped[int | None]
    # Growth where the file carries it (MAP Growth's fall-to-spring columns, on the spring row):
    # the conditional growth percentile and whether the student met their projected growth.
    growth_percentile: Mapped[int | None]
    met_projected_growth: Mapped[bool | None]
    # The run that last wrote the row; no foreign key: checking it cost a lookup per imported row.
    import_id: Mapped[int | None]


class Resource(Base):
    """A PD resource offered by a provider plugin, aligned to elements of one framework.

    ``retired_at`` is set when a sync finds the provider no longer lists it: the row stays (plans
    and training records refer to it by id) but is no longer listed or recommended; a later sync
    that lists it again clears it. ``sample`` marks illustrative data, not a real publisher's.
    ``identifier`` is a global name (DOI, ISBN, URN) by which live search merges one item offered
    by several providers."""

    __tablename__ = "resource"
    __table_args__ = (UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000), default="")
    format: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    subjects: Mapped[list[str]] = mapped_column(default=list)
    grade_band: Mapped[str] = mapped_column(String(32), default="")
    duration_minutes: Mapped[int | None]
    identifier: Mapped[str] = mapped_column(String(300), default="", server_default="")
    sample: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class ResourceElement(Base):
    __tablename__ = "resource_element"
    __table_args__ = (Index("ix_resource_element_element_id", "element_id"),)

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[int] = mapped_column(
        ForeignKey("standard.id", ondelete="CASCADE"), primary_key=True
    )


class ImportStatus(enum.StrEnum):
    """Where a run is: ``queued`` (waiting for a worker of the job queue), ``running`` until it
    ends ``completed``, ``rejected`` (the file or too many of its rows were unusable; nothing was
    written) or ``failed`` (an error; everything rolled back)."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"


class ImportRun(Base):
    """One run of an importer: who, when, which file, what happened to each row."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    importer: Mapped[str] = mapped_column(String(100))
    layout: Mapped[str] = mapped_column(String(100), default="", server_default="")
    file_name: Mapped[str] = mapped_column(String(500))
    checksum: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_inserted: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    # Left out on purpose (another test, an untested student): not errors, not in the threshold.
    rows_skipped: Mapped[int] = mapped_column(default=0, server_default="0")
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ImportRowError(Base):
    """Why one row was rejected; ``file`` names the member of a multi-file import (``users.csv``)."""

    __tablename__ = "import_row_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("import_run.id", ondelete="CASCADE"), index=True
    )
    row: Mapped[int]
    file: Mapped[str] = mapped_column(String(200), default="", server_default="")
    column: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    """Who read or changed student data or a teacher's record, when, and from where (FERPA's
    record of disclosures, 34 CFR 99.32).

    Append-only, in its own schema (:data:`AUDIT_SCHEMA`): on SQLite a database file of its own, so
    recording a read never waits for an import holding the main file's write lock; triggers refuse
    UPDATE and DELETE (and TRUNCATE on PostgreSQL). No foreign key (SQLite cannot enforce one
    across files, and the record must outlive the user it names): the actor's email, name and
    role are copied in when the event is written.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_district_at", "district_id", "at"),
        {"schema": AUDIT_SCHEMA},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_ids: Mapped[list[str]] = mapped_column(default=list)
    detail: Mapped[str] = mapped_column(Text, default="")
    district_id: Mapped[int | None] = mapped_column()
    actor_email: Mapped[str | None] = mapped_column(String(254))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    # Written with the event; never loaded implicitly (lazy="raise": queries join the table).
    subjects: Mapped[list[AuditSubject]] = relationship(
        lazy="raise", cascade="save-update, merge, expunge"
    )


class AuditSubject(Base):
    """Whose records an audit event touched: one row per (event, student or teacher).

    Kept beside the event (same schema, same append-only rule) so "who accessed this student's
    records" and "who read this teacher's profile" are index lookups at millions of events.
    """

    __tablename__ = "audit_subject"
    __table_args__ = (
        Index("ix_audit_subject_kind_subject", "kind", "subject_id", "event_id"),
        {"schema": AUDIT_SCHEMA},
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey(f"{AUDIT_SCHEMA}.audit_event.id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "student" or "teacher"
    subject_id: Mapped[int] = mapped_column(primary_key=True)
