"""Files attached to a teacher's evidence: what the service stored, where, and what it holds.

The bytes live in a storage backend (``mypd_graph/storage``), under a random key; this row is the
only way to them, so reading a file goes through the evidence's own access and sharing rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mypd_graph.models.base import Base, utcnow


class EvidenceFile(Base):
    """One file of one piece of evidence (its type told from its content when it was uploaded)."""

    __tablename__ = "evidence_file"
    __table_args__ = (
        CheckConstraint("storage IN ('local', 's3')", name="storage_backend"),
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    storage: Mapped[str] = mapped_column(String(16))  # the backend that holds the bytes
    key: Mapped[str] = mapped_column(String(64), unique=True)  # the bytes' name there
    file_name: Mapped[str] = mapped_column(String(255))  # as the teacher named it
    content_type: Mapped[str] = mapped_column(String(100))  # as told from the content
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
