"""District settings: how needs are weighed, how small groups are protected, who finds whom."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from mypd_graph.models.base import Base, utcnow

DEFAULT_WEIGHTS = {
    "student_performance": 0.35,
    "training": 0.15,
    "self_assessment": 0.20,
    "observation": 0.30,
    # Students' growth (MAP conditional growth percentile): optional, off until a district
    # gives it a weight (docs/student-results.md).
    "student_growth": 0.0,
}
DEFAULT_MINIMUM_GROUP_SIZE = 10
DEFAULT_TRAINING_WINDOW_MONTHS = 36
DEFAULT_TRAINING_FULL_HOURS = 15.0
DEFAULT_STAFF_DIRECTORY = "school"
# Which students a teacher reads: "current" (this school year's sections), "recent" (also last
# year's students, in the subjects the teacher taught them: the default) or "all" (every year).
STUDENT_SCOPES = ("current", "recent", "all")
DEFAULT_STUDENT_SCOPE = "recent"
STAFF_DIRECTORY_SCOPES = ("school", "district")
# The audience of a teacher's records they did not choose one for (models.growth.Audience).
DEFAULT_DISTRICT_AUDIENCE = "coach"
DEFAULT_OBSERVATION_CORRECTION_DAYS = 14
# The data window (docs/student-results.md): the current school year speaks for a teacher and
# subject once this many of their students have results in it (or from current_year_from on,
# once any have); before that, the most recent complete year does.
DEFAULT_CURRENT_YEAR_MINIMUM_STUDENTS = 10
# The district's cut for assessments judged by achievement percentile (NWEA MAP Growth).
DEFAULT_PROFICIENT_PERCENTILE = 50


class DistrictSettings(Base):
    """One row per district that changed a default; a district without a row uses the defaults.

    ``subject_elements`` overrides the active framework's subject → element mapping subject by
    subject (a subject listed here replaces the framework's list; an empty list unmaps it).
    """

    __tablename__ = "district_settings"
    __table_args__ = (
        CheckConstraint("minimum_group_size >= 1", name="minimum_group_size_positive"),
        CheckConstraint(
            "observation_correction_days BETWEEN 0 AND 366", name="observation_correction_days"
        ),
        CheckConstraint(
            "weight_student_performance >= 0 AND weight_training >= 0 "
            "AND weight_self_assessment >= 0 AND weight_observation >= 0 "
            "AND weight_student_growth >= 0",
            name="weights_not_negative",
        ),
        CheckConstraint("staff_directory IN ('school', 'district')", name="staff_directory_scope"),
        CheckConstraint("student_scope IN ('current', 'recent', 'all')", name="student_scope"),
        CheckConstraint(
            "default_audience IN ('private', 'coach', 'supervisors')", name="default_audience_value"
        ),
        CheckConstraint(
            "current_year_minimum_students >= 1", name="current_year_minimum_students_positive"
        ),
        CheckConstraint(
            "proficient_percentile BETWEEN 1 AND 99", name="proficient_percentile_range"
        ),
    )

    district_id: Mapped[int] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), primary_key=True
    )
    weight_student_performance: Mapped[float] = mapped_column(
        default=DEFAULT_WEIGHTS["student_performance"]
    )
    weight_training: Mapped[float] = mapped_column(default=DEFAULT_WEIGHTS["training"])
    weight_self_assessment: Mapped[float] = mapped_column(
        default=DEFAULT_WEIGHTS["self_assessment"]
    )
    weight_observation: Mapped[float] = mapped_column(default=DEFAULT_WEIGHTS["observation"])
    weight_student_growth: Mapped[float] = mapped_column(
        default=DEFAULT_WEIGHTS["student_growth"], server_default="0"
    )
    minimum_group_size: Mapped[int] = mapped_column(default=DEFAULT_MINIMUM_GROUP_SIZE)
    training_window_months: Mapped[int] = mapped_column(default=DEFAULT_TRAINING_WINDOW_MONTHS)
    training_full_hours: Mapped[float] = mapped_column(default=DEFAULT_TRAINING_FULL_HOURS)
    subject_elements: Mapped[dict[str, object]] = mapped_column(default=dict)
    # Who finds whom in the staff directory: "school" (the safe default) or "district".
    staff_directory: Mapped[str] = mapped_column(
        String(16), default=DEFAULT_STAFF_DIRECTORY, server_default=DEFAULT_STAFF_DIRECTORY
    )
    # Which students (and their results) a teacher reads: one of STUDENT_SCOPES.
    student_scope: Mapped[str] = mapped_column(
        String(16), default=DEFAULT_STUDENT_SCOPE, server_default=DEFAULT_STUDENT_SCOPE
    )
    # OneRoster ``administrator`` users become principals (of their school) or district admins
    # (of the district org); False leaves every role to the district's admins.
    roster_staff_roles: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    # Results teachers upload for their own classes (docs/importing.md) count in needs and the
    # students' status only when the district turns this on; they show in growth either way.
    classroom_results_in_needs: Mapped[bool] = mapped_column(
        default=False, server_default=sa_false()
    )
    # Sharing (docs/privacy.md): the audience of new evidence, self-assessments, reflections and
    # growth profiles; whether coaching (coaching observations, coaches' comments) is also seen by
    # the teacher's principal and district admins; whether evaluations (formal, informal and
    # walkthrough observations, principals' and admins' comments) are also seen by their coaches.
    default_audience: Mapped[str] = mapped_column(
        String(16), default=DEFAULT_DISTRICT_AUDIENCE, server_default=DEFAULT_DISTRICT_AUDIENCE
    )
    coaching_shared_with_supervisors: Mapped[bool] = mapped_column(
        default=False, server_default=sa_false()
    )
    evaluations_shared_with_coaches: Mapped[bool] = mapped_column(
        default=False, server_default=sa_false()
    )
    # Corrections (docs/privacy.md): days after an observation's date during which its observer
    # may correct or withdraw it; 0 closes corrections.
    observation_correction_days: Mapped[int] = mapped_column(
        default=DEFAULT_OBSERVATION_CORRECTION_DAYS,
        server_default=str(DEFAULT_OBSERVATION_CORRECTION_DAYS),
    )
    # The data window (docs/student-results.md): the current school year's results speak for a
    # teacher and subject once this many of their students have them, or (when set) from this
    # date on once any have; until then the most recent complete year speaks.
    current_year_minimum_students: Mapped[int] = mapped_column(
        default=DEFAULT_CURRENT_YEAR_MINIMUM_STUDENTS,
        server_default=str(DEFAULT_CURRENT_YEAR_MINIMUM_STUDENTS),
    )
    current_year_from: Mapped[date | None]
    # A result of an assessment judged by percentile (MAP Growth) is at or above standard from
    # this achievement percentile on, unless the assessment sets its own cut.
    proficient_percentile: Mapped[int] = mapped_column(
        default=DEFAULT_PROFICIENT_PERCENTILE, server_default=str(DEFAULT_PROFICIENT_PERCENTILE)
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
