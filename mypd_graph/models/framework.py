"""Standards frameworks, from plugins or CASE packages: the framework, its rating levels, its tree.

``identifier`` columns hold CASE identifiers (UUIDs): those of the imported package, or for plugin
frameworks ones derived from the key and code (mypd_graph.services.frameworks.identity), so a
framework, element and level keep one identity across restarts and versions.
"""

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
    # "plugin": synced from a plugin at start-up; "case": imported from a CASE package, which no
    # plugin sync touches.
    source: Mapped[str] = mapped_column(String(16), default="plugin", server_default="plugin")
    identifier: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)
    publisher: Mapped[str] = mapped_column(String(200), default="", server_default="")
    adoption_status: Mapped[str] = mapped_column(String(50), default="", server_default="")
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
    identifier: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)


class Standard(Base):
    """A node of the standards tree, of any depth: ``is_element`` marks the rated level (an
    element's parent is a standard); nodes below it (indicators) hang under their element."""

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
    identifier: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)
    # The CASE isChildOf association that places this node under its parent (or the document).
    association_identifier: Mapped[str | None] = mapped_column(String(36), unique=True, index=True)
    item_type: Mapped[str] = mapped_column(String(100), default="", server_default="")
    list_enumeration: Mapped[str] = mapped_column(String(20), default="", server_default="")
