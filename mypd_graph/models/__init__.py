"""Typed SQLAlchemy models for every noun of the design; import them from here."""

from mypd_graph.models.base import Base, utcnow
from mypd_graph.models.data import (
    Assessment,
    AssessmentResult,
    AuditEvent,
    ImportRowError,
    ImportRun,
    Resource,
    ResourceElement,
)
from mypd_graph.models.framework import Framework, RatingLevel, Standard
from mypd_graph.models.growth import (
    ActionStep,
    ActionStepStatus,
    Comment,
    DistrictGoal,
    Evidence,
    EvidenceElement,
    EvidenceGoal,
    EvidenceKind,
    FocusElement,
    Goal,
    GoalElement,
    LearningPlan,
    Observation,
    ObservationKind,
    ObservationRating,
    PlanEvent,
    PlanStatus,
    SelfAssessment,
    SelfAssessmentRating,
    TrainingRecord,
    TrainingRecordElement,
)
from mypd_graph.models.org import (
    CoachAssignment,
    District,
    Enrollment,
    Role,
    School,
    Section,
    Student,
    TeacherProfile,
    User,
)

__all__ = [name for name in dir() if not name.startswith("_")]
