"""Framework versions, crosswalks between elements, and the record of a district's framework swap.

A framework keeps one row and one identity across its versions (``framework_version`` lists them,
with what each added, retired and changed); its elements keep their rows, so ratings, goals and
evidence made against them stay as they were. A crosswalk row maps one element to another (of
another framework, or a replacement in a later version). A swap records, per teacher, what moved to
the new framework through the crosswalk and what did not map, so nothing is dropped unseen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from mypd_graph.models.base import Base, utcnow
from mypd_graph.models.growth import SelfAssessment
from mypd_graph.models.org import District, User

RELATIONS = ("exactMatchOf", "isRelatedTo", "replacedBy")


class FrameworkVersion(Base):
    """One version of a framework as it was written: what it added, retired and changed."""

    __tablename__ = "framework_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("framework.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str] = mapped_column(String(32))
    checksum: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Codes of the elements (rated items) this version added and retired; ``changed`` holds
    # ``{"code", "before", "after"}`` for each element whose statement changed.
    added: Mapped[list[str]] = mapped_column(default=list)
    retired: Mapped[list[str]] = mapped_column(default=list)
    changed: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class Crosswalk(Base):
    """``from_element`` maps to ``to_element`` by ``relation`` (CASE association types)."""

    __tablename__ = "crosswalk"
    __table_args__ = (
        UniqueConstraint("from_element_id", "to_element_id", "relation"),
        CheckConstraint(
            "relation IN ('exactMatchOf', 'isRelatedTo', 'replacedBy')", name="relation"
        ),
        Index("ix_crosswalk_to_element_id", "to_element_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_element_id: Mapped[int] = mapped_column(ForeignKey("standard.id", ondelete="CASCADE"))
    to_element_id: Mapped[int] = mapped_column(ForeignKey("standard.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(16))
    # Where the row came from: "csv", "case" (an association of an imported package), a plugin.
    source: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FrameworkSwap(Base):
    """A district's switch from one framework to another; ``totals`` as the swap counted them."""

    __tablename__ = "framework_swap"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), index=True
    )
    from_framework_id: Mapped[int | None] = mapped_column(
        ForeignKey("framework.id", ondelete="SET NULL")
    )
    to_framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    totals: Mapped[dict[str, object]] = mapped_column(default=dict)


class FrameworkSwapItem(Base):
    """One of a teacher's focus elements, goal elements or latest ratings at a swap, and the
    element it maps to (``to_element_id`` null: it does not map)."""

    __tablename__ = "framework_swap_item"
    __table_args__ = (
        CheckConstraint("kind IN ('focus', 'goal', 'self_rating', 'observed_rating')", name="kind"),
        Index("ix_framework_swap_item_teacher", "teacher_id", "swap_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    swap_id: Mapped[int] = mapped_column(
        ForeignKey("framework_swap.id", ondelete="CASCADE"), index=True
    )
    teacher_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    from_element_id: Mapped[int] = mapped_column(ForeignKey("standard.id", ondelete="CASCADE"))
    to_element_id: Mapped[int | None] = mapped_column(ForeignKey("standard.id", ondelete="CASCADE"))
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(16), default="")


@event.listens_for(SelfAssessment, "before_insert")
def _self_assessment_framework(mapper: Any, connection: Any, target: SelfAssessment) -> None:
    """A self-assessment belongs to the framework its teacher's district has active when it is
    started: a cycle's ratings never mix two frameworks (whoever creates the row)."""
    if target.framework_id is None:
        target.framework_id = connection.scalar(
            select(District.active_framework_id)
            .join(User, User.district_id == District.id)
            .where(User.id == target.teacher_id)
        )
