"""A teacher's growth: focus elements, self-assessments, observations, plans, goals, evidence, PD."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mypd_graph.models.base import Base, Timestamped, utcnow


class ObservationKind(enum.StrEnum):
    FORMAL = "formal"
    INFORMAL = "informal"
    WALKTHROUGH = "walkthrough"
    COACHING = "coaching"


class Audience(enum.StrEnum):
    """Who besides the teacher sees an item of their growth record (each level includes the last).

    PRIVATE: the teacher alone; COACH: also their coaches; SUPERVISORS: also their principal and
    the district admins. services/access.py turns it into SQL; docs/privacy.md says it in words.
    """

    PRIVATE = "private"
    COACH = "coach"
    SUPERVISORS = "supervisors"


AUDIENCES = tuple(audience.value for audience in Audience)
DEFAULT_AUDIENCE = Audience.COACH.value


def _audience_column() -> Mapped[str]:
    """Set from the district's default when a service creates the row; existing rows got it too."""
    return mapped_column(String(16), default=DEFAULT_AUDIENCE, server_default=DEFAULT_AUDIENCE)


def _audience_check(column: str) -> CheckConstraint:
    return CheckConstraint(
        f"{column} IN ('private', 'coach', 'supervisors')", name=f"{column}_value"
    )


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    COMPLETED = "completed"


class ActionStepStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class EvidenceKind(enum.StrEnum):
    ARTIFACT = "artifact"
    REFLECTION = "reflection"
    STUDENT_WORK = "student_work"
    LINK = "link"
    FILE = "file"


def _user_fk(**kwargs: object) -> Mapped[int]:
    return mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), **kwargs)  # type: ignore[arg-type]


def _element_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("standard.id", ondelete="CASCADE"), primary_key=True)


class FocusElement(Base, Timestamped):
    """An element a teacher chose to grow in."""

    __tablename__ = "focus_element"

    teacher_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[int] = _element_fk()


class SelfAssessment(Base):
    """A teacher's self-ratings for one cycle (school year); resubmitting updates it."""

    __tablename__ = "self_assessment"
    __table_args__ = (
        UniqueConstraint("teacher_id", "cycle", "framework_id"),
        _audience_check("audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = _user_fk()
    cycle: Mapped[str] = mapped_column(String(9))
    # A cycle's ratings belong to one framework: after a swap the same cycle starts anew
    # (models.crosswalk sets it to the district's active framework when none is given).
    framework_id: Mapped[int | None] = mapped_column(
        ForeignKey("framework.id", ondelete="CASCADE"), index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    audience: Mapped[str] = _audience_column()


class SelfAssessmentRating(Base):
    __tablename__ = "self_assessment_rating"

    self_assessment_id: Mapped[int] = mapped_column(
        ForeignKey("self_assessment.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[int] = _element_fk()
    level_id: Mapped[int] = mapped_column(ForeignKey("rating_level.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")


class Observation(Base, Timestamped):
    __tablename__ = "observation"

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = _user_fk(index=True)
    observer_id: Mapped[int] = _user_fk()
    kind: Mapped[str] = mapped_column(String(16))
    observed_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="")


class ObservationRating(Base):
    __tablename__ = "observation_rating"

    observation_id: Mapped[int] = mapped_column(
        ForeignKey("observation.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[int] = _element_fk()
    level_id: Mapped[int] = mapped_column(ForeignKey("rating_level.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")


class DistrictGoal(Base, Timestamped):
    """A district initiative that teachers' goals can align to."""

    __tablename__ = "district_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)


class LearningPlan(Base, Timestamped):
    """One teacher's plan for one cycle; its status moves draft → submitted → approved → completed."""

    __tablename__ = "learning_plan"
    __table_args__ = (UniqueConstraint("teacher_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = _user_fk()
    cycle: Mapped[str] = mapped_column(String(9))
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=PlanStatus.DRAFT.value, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanEvent(Base):
    """Who moved a plan and when: the plan's history (submitted, approved, returned, completed)."""

    __tablename__ = "plan_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("learning_plan.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int] = _user_fk()
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Goal(Base, Timestamped):
    __tablename__ = "goal"
    __table_args__ = (CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("learning_plan.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    baseline_level_id: Mapped[int | None] = mapped_column(ForeignKey("rating_level.id"))
    target_level_id: Mapped[int | None] = mapped_column(ForeignKey("rating_level.id"))
    due_on: Mapped[date | None]
    progress: Mapped[int] = mapped_column(default=0)
    district_goal_id: Mapped[int | None] = mapped_column(
        ForeignKey("district_goal.id", ondelete="SET NULL")
    )


class GoalElement(Base):
    __tablename__ = "goal_element"

    goal_id: Mapped[int] = mapped_column(
        ForeignKey("goal.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[int] = _element_fk()


class ActionStep(Base, Timestamped):
    """A step toward a goal; it is seen with its plan, its reflection by ``reflection_audience``."""

    __tablename__ = "action_step"
    __table_args__ = (_audience_check("reflection_audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=ActionStepStatus.NOT_STARTED.value)
    due_on: Mapped[date | None]
    reflection: Mapped[str] = mapped_column(Text, default="")
    reflection_audience: Mapped[str] = _audience_column()
    completed_at: Mapped[datetime | None]


class Evidence(Base, Timestamped):
    """Something a teacher offers to show growth: an artifact, reflection, student work, link or file."""

    __tablename__ = "evidence"
    __table_args__ = (_audience_check("audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = _user_fk(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    audience: Mapped[str] = _audience_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceElement(Base):
    __tablename__ = "evidence_element"

    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[int] = _element_fk()


class EvidenceGoal(Base):
    __tablename__ = "evidence_goal"

    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True
    )
    goal_id: Mapped[int] = mapped_column(
        ForeignKey("goal.id", ondelete="CASCADE"), primary_key=True
    )


class Comment(Base, Timestamped):
    """Feedback on exactly one of: evidence, a goal, an observation."""

    __tablename__ = "comment"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN evidence_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN goal_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN observation_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        Index("ix_comment_targets", "evidence_id", "goal_id", "observation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = _user_fk()
    body: Mapped[str] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"))
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"))
    observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("observation.id", ondelete="CASCADE")
    )


class TrainingRecord(Base, Timestamped):
    """Past PD a teacher took, with its hours; aligned elements lower the need for them.

    The natural key (teacher, title, completion date) makes re-imported PD transcripts idempotent.
    """

    __tablename__ = "training_record"
    __table_args__ = (UniqueConstraint("teacher_id", "title", "completed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = _user_fk(index=True)
    title: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(200), default="")
    completed_on: Mapped[date]
    hours: Mapped[float]
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id", ondelete="SET NULL"))


class TrainingRecordElement(Base):
    __tablename__ = "training_record_element"

    training_record_id: Mapped[int] = mapped_column(
        ForeignKey("training_record.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[int] = _element_fk()
