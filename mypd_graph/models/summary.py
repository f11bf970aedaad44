"""Summaries the database keeps beside the rows they summarize, refreshed by whoever writes them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mypd_graph.models.base import Base


class StudentSubjectStatus(Base):
    """One student's scored results in one subject and school year: how many, and how many below
    the assessment's proficient level.

    Needs and district views ask "is this student below standard in Math this year?" for every
    student of a district; reading 140,000 of these rows is several times cheaper than grouping the
    700,000 results behind them on every request. Every writer of ``assessment_result`` refreshes
    it through :func:`mypd_graph.services.students.status.refresh_result_status`.
    """

    __tablename__ = "student_subject_status"
    __table_args__ = (
        Index("ix_student_subject_status_district_year", "district_id", "school_year"),
    )

    student_id: Mapped[int] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_year: Mapped[str] = mapped_column(String(9), primary_key=True)
    # Copied from the assessment, for reading a district's rows by index. No foreign key: it
    # would be checked for every row of every refresh, and the student's key already cascades.
    district_id: Mapped[int]
    # The deciding results (docs/student-results.md): those of the latest administration that
    # decides, ``decided_by`` (services.students.status.decider: summative over interim, then
    # the season); how many the rules judged, and how many of them were below standard.
    scored: Mapped[int]
    below: Mapped[int]
    decided_by: Mapped[int] = mapped_column(default=0, server_default="0")
    # Growth (services.students.growth_measures): the student's results there with a growth
    # measure (MAP's fall-to-spring conditional growth percentile), and those short of typical.
    growth_measures: Mapped[int] = mapped_column(default=0, server_default="0")
    growth_short: Mapped[int] = mapped_column(default=0, server_default="0")


class TeacherSubjectStatus(Base):
    """One teacher's students in one subject and school year, from the student summary above: how
    many have scored results there, and how many of those are below standard.

    A district's needs ask this for every teacher at once; joining 140,000 enrollments with
    140,000 student rows on every request cost several times the floor on PostgreSQL, reading
    these few thousand rows costs nothing. It changes with results *and* rosters, so both kinds of
    writer refresh it: :func:`mypd_graph.services.students.status.refresh_result_status` does it
    with the student summary, :func:`~mypd_graph.services.students.status.refresh_teacher_status`
    after sections or enrollments change. It counts every student of the teacher with scored
    results in the subject and year: readers whose view of students is narrower (a principal)
    compute their figures from the student summary instead.
    """

    __tablename__ = "teacher_subject_status"
    __table_args__ = (
        Index("ix_teacher_subject_status_district_year", "district_id", "school_year"),
    )

    teacher_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    school_year: Mapped[str] = mapped_column(String(9), primary_key=True)
    # The results' district, as in student_subject_status: a refresh recomputes one district's
    # rows, so the key holds it too (a student's results of another district count there).
    district_id: Mapped[int] = mapped_column(primary_key=True)
    students: Mapped[int]
    below: Mapped[int]
    # Of the teacher's students, those with a growth measure and those who grew less than
    # typical (most of their measures short), from the student summary's growth columns.
    growth_students: Mapped[int] = mapped_column(default=0, server_default="0")
    growth_short: Mapped[int] = mapped_column(default=0, server_default="0")
