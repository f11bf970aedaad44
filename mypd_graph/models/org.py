"""Who is who: districts, schools, users and their roles, students, sections and enrollments."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mypd_graph.models.base import Base, Timestamped, utcnow


class Role(enum.StrEnum):
    TEACHER = "teacher"
    COACH = "coach"
    PRINCIPAL = "principal"
    DISTRICT_ADMIN = "district_admin"
    IMPORTER = "importer"


class District(Base, Timestamped):
    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active_framework_id: Mapped[int | None] = mapped_column(
        ForeignKey("framework.id", ondelete="SET NULL")
    )


class School(Base, Timestamped):
    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("district_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    grade_band: Mapped[str] = mapped_column(String(32), default="")


class User(Base, Timestamped):
    """Anyone who signs in; ``role`` decides what they may see and do."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    # "Log out everywhere": tokens issued before this moment are refused (None: none revoked).
    tokens_valid_after: Mapped[datetime | None] = mapped_column(default=None)


class DistrictSignIn(Base):
    """How a district's people sign in: its OpenID Connect provider, and whom a token names.

    ``user_claim`` is the token claim that holds the user's email (``email`` by default);
    ``jit_domains`` lists email domains whose unknown users are created as teachers on first
    sign-in (empty: nobody is created).
    """

    __tablename__ = "district_sign_in"

    district_id: Mapped[int] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), primary_key=True
    )
    issuer: Mapped[str] = mapped_column(String(500), index=True)
    audience: Mapped[str] = mapped_column(String(500))
    user_claim: Mapped[str] = mapped_column(String(64), default="email")
    jit_domains: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )


class TeacherProfile(Base):
    """What a teacher tells us about their work; the teacher's school is the one that counts."""

    __tablename__ = "teacher_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"), index=True
    )
    subjects: Mapped[list[str]] = mapped_column(default=list)
    grade_levels: Mapped[list[str]] = mapped_column(default=list)
    years_experience: Mapped[int | None]
    bio: Mapped[str] = mapped_column(default="")
    # Who sees the teacher's needs and growth views (models.growth.Audience); None: the district's
    # default (DistrictSettings.default_audience), so a teacher who never chose follows the district.
    growth_audience: Mapped[str | None] = mapped_column(String(16), default=None)


class CoachAssignment(Base, Timestamped):
    """A coach serves the teachers assigned to them, and only those."""

    __tablename__ = "coach_assignment"
    __table_args__ = (UniqueConstraint("coach_id", "teacher_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    teacher_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )


class Student(Base, Timestamped):
    __tablename__ = "student"
    __table_args__ = (UniqueConstraint("district_id", "local_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"))
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("school.id", ondelete="SET NULL"), index=True
    )
    local_id: Mapped[str] = mapped_column(String(64))
    state_id: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    grade_level: Mapped[str] = mapped_column(String(8), default="")


class Section(Base, Timestamped):
    """A class a teacher teaches in one school year."""

    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("school_id", "local_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    teacher_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    local_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(64), default="")
    grade_level: Mapped[str] = mapped_column(String(8), default="")
    school_year: Mapped[str] = mapped_column(String(9))


class Enrollment(Base):
    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("section_id", "student_id"),
        Index("ix_enrollment_student_id", "student_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
