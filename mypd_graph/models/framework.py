"""Standards frameworks as synced from plugins: the framework, its rating levels, its standards tree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mypd_graph.models.base import Base, utcnow


class Framework(Base):
    __tablename__ = "framework"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(32))
    jurisdiction: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str] = mapped_column(String(500), default="")
    plugin: Mapped[str] = mapped_column(String(100), default="")
    subject_elements: Mapped[dict[str, object]] = mapped_column(default=dict)
    checksum: Mapped[str] = mapped_column(String(64), default="")
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class RatingLevel(Base):
    """One step of a framework's scale; ``position`` 1 is the lowest."""

    __tablename__ = "rating_level"
    __table_args__ = (
        UniqueConstraint("framework_id", "key"),
        UniqueConstraint("framework_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")


class Standard(Base):
    """A node of the standards tree: a standard (no parent) or one of its elements."""

    __tablename__ = "standard"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("standard.id", ondelete="CASCADE"), index=True
    )
    is_element: Mapped[bool]
    code: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int]
    retired: Mapped[bool] = mapped_column(default=False)
