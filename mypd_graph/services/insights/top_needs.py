"""Top needs across the teachers in view: which elements lead their needs, how often, and by which signal.

Made from the same needs engine teachers see (:func:`~mypd_graph.services.personalization.needs.assess`),
so the student signal behind it keeps the minimum group size.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import TeacherProfile
from mypd_graph.services.access import Actor, growth_teacher_ids
from mypd_graph.services.insights.district import large_group, scope_teachers
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization.facts import leading_signal
from mypd_graph.services.personalization.needs import ElementInfo
from mypd_graph.services.personalization.settings import (
    Signal,
    load_settings,
)

TOP_NEEDS_PER_TEACHER = 3

# --- top needs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopNeed:
    element: ElementInfo
    teachers_with_top_need: int  # teachers for whom it is among their TOP_NEEDS_PER_TEACHER
    teachers_scored: int
    mean_score: float
    leading_signal: Signal | None  # the signal most often adding the most to it


@dataclass(frozen=True, slots=True)
class TopNeeds:
    teachers: int
    needs: list[TopNeed]
    minimum_group_size: int


async def top_needs(
    session: AsyncSession,
    actor: Actor,
    school_id: int | None = None,
    limit: int = 10,
    as_of: date | None = None,
) -> TopNeeds:
    """The elements most often among teachers' top needs. Needs come from the needs service (its
    signals are GROUP BYs over all teachers at once); this adds them up per element."""
    in_view = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    large = large_group(in_view, settings.minimum_group_size)
    # Below the minimum group size, only the teachers whose growth profile the actor may read,
    # with the ratings they may see (district.py, Sharing).
    teachers = in_view.where(or_(large, TeacherProfile.user_id.in_(growth_teacher_ids(actor))))
    # At the district level an absence never leads: no training aligned to an element is a
    # missing signal there (every teacher lacks training in most elements; counted as a need,
    # it ranked first whichever element nobody had trained in).
    assessed = await needs_service.assess(
        session, actor, teachers, as_of, aggregate=large, absence_weighs=False
    )
    top: Counter[int] = Counter()
    scored: Counter[int] = Counter()
    total: defaultdict[int, float] = defaultdict(float)
    leading: defaultdict[int, Counter[Signal]] = defaultdict(Counter)
    elements: dict[int, ElementInfo] = {}
    for element_info, count, summed in needs_service.RankedNeeds.score_totals(assessed.values()):
        if count:
            elements[element_info.id] = element_info
            scored[element_info.id] = count
            total[element_info.id] = summed
    # The leading signal depends on the four values alone, and needs repeat a few hundred of them.
    leading_by_values: dict[tuple, Signal | None] = {}
    for needs in assessed.values():
        for element, score, values in needs.top_scores(TOP_NEEDS_PER_TEACHER):
            if score is None:
                continue
            top[element.id] += 1
            if values in leading_by_values:
                signal = leading_by_values[values]
            else:
                signal = leading_by_values[values] = leading_signal(values, settings.weights)
            if signal is not None:
                leading[element.id][signal] += 1
    ranked = sorted(
        elements,
        # the mean as shown (sums made in another order may differ in the last bits)
        key=lambda e: (-top[e], -round(total[e] / scored[e], 4), elements[e].order),
    )[:limit]
    return TopNeeds(
        teachers=len(assessed),
        needs=[
            TopNeed(
                elements[e],
                top[e],
                scored[e],
                round(total[e] / scored[e], 4),
                leading[e].most_common(1)[0][0] if leading[e] else None,
            )
            for e in ranked
        ],
        minimum_group_size=settings.minimum_group_size,
    )
