"""The district's personalization settings as read: signal weights, group size, subject elements.

Any signed-in user reads them (``District.personalizationSettings``); :mod:`.mutations` changes them.
"""

from __future__ import annotations

from datetime import date

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import Audience
from mypd_graph.services.personalization import settings as settings_service
from mypd_graph.services.personalization.settings import Signal
from mypd_graph.services.students.status import RESULTS_RULES
from mypd_graph.services.students.window import WINDOW_RULE


@strawberry.type(description="How much each signal counts, as configured (any non-negative scale).")
class SignalWeights:
    student_performance: float
    training: float
    self_assessment: float
    observation: float
    student_growth: float = strawberry.field(
        description="Students' growth (MAP Growth's conditional growth percentile): 0, the "
        "default, turns the signal off (docs/student-results.md)."
    )


@strawberry.type(description="Which elements a tested subject's results speak to.")
class SubjectElements:
    subject: str
    element_codes: list[str]
    overridden: bool = strawberry.field(description="The district replaced the framework's list.")


@strawberry.type(description="Who sees what of a teacher's growth record (docs/privacy.md).")
class SharingSettings:
    default_audience: Audience = strawberry.field(
        description="The audience of evidence, self-assessments, reflections and growth profiles "
        "a teacher did not choose one for (default COACH)."
    )
    coaching_shared_with_supervisors: bool = strawberry.field(
        description="Coaching observations and coaches' comments are also seen by the "
        "teacher's principal and the district admins (default false)."
    )
    evaluations_shared_with_coaches: bool = strawberry.field(
        description="Formal, informal and walkthrough observations and evaluators' comments are "
        "also seen by the teacher's coaches (default false)."
    )


@strawberry.type(
    description="How students' results are read (docs/student-results.md): which school year "
    "speaks, and MAP Growth's percentile cut."
)
class ResultsRules:
    current_year_minimum_students: int = strawberry.field(
        description="The current school year speaks for a teacher or school in a subject once "
        "this many of their students have results in it (default 10); until then the most "
        "recent complete year does."
    )
    current_year_from: date | None = strawberry.field(
        description="From this day on, the current year speaks once any results are in."
    )
    proficient_percentile: int = strawberry.field(
        description="A result of a percentile-judged assessment (MAP Growth) is at or above "
        "standard from this achievement percentile on, unless the assessment sets its own "
        "(default 50)."
    )
    rule: str = strawberry.field(description="The rules in words.")


@strawberry.type(
    description="The district's personalization settings; any signed-in user reads them."
)
class PersonalizationSettings:
    weights: SignalWeights
    minimum_group_size: int = strawberry.field(
        description="Groups of fewer students are never reported (default 10)."
    )
    training_window_months: int = strawberry.field(description="Training this recent counts.")
    training_full_hours: float = strawberry.field(
        description="Aligned hours at which training brings its signal to 0."
    )
    subject_elements: list[SubjectElements]
    sharing: SharingSettings
    results_rules: ResultsRules

    @classmethod
    def from_settings(
        cls, settings: settings_service.PersonalizationSettings
    ) -> PersonalizationSettings:
        weights = settings.weights
        effective = settings.subject_elements
        subjects = sorted(set(settings.framework_subject_elements) | set(settings.overrides))
        return cls(
            weights=SignalWeights(
                student_performance=weights[Signal.STUDENT_PERFORMANCE],
                training=weights[Signal.TRAINING],
                self_assessment=weights[Signal.SELF_ASSESSMENT],
                observation=weights[Signal.OBSERVATION],
                student_growth=weights[Signal.STUDENT_GROWTH],
            ),
            minimum_group_size=settings.minimum_group_size,
            training_window_months=settings.training_window_months,
            training_full_hours=settings.training_full_hours,
            subject_elements=[
                SubjectElements(
                    subject=subject,
                    element_codes=list(effective.get(subject, ())),
                    overridden=subject in settings.overrides,
                )
                for subject in subjects
            ],
            sharing=SharingSettings(
                default_audience=settings.sharing.default_audience,
                coaching_shared_with_supervisors=settings.sharing.coaching_shared_with_supervisors,
                evaluations_shared_with_coaches=settings.sharing.evaluations_shared_with_coaches,
            ),
            results_rules=ResultsRules(
                current_year_minimum_students=settings.results.current_year_minimum_students,
                current_year_from=settings.results.current_year_from,
                proficient_percentile=settings.results.proficient_percentile,
                rule=f"{RESULTS_RULES} {WINDOW_RULE}",
            ),
        )


async def settings_of_district(info: Info) -> PersonalizationSettings:
    settings = await info.context.read(settings_service.settings_for)
    return PersonalizationSettings.from_settings(settings)
