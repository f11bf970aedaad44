"""Whether a district counts its teachers' classroom results (services/imports/classroom.py)
in needs, the students' status and the data window: a district admin's choice, off by default.

May import the services kernel, models and :mod:`..students`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import AuditEvent, DistrictSettings, utcnow
from mypd_graph.services.access import Actor, may_administer
from mypd_graph.services.students.status import refresh_result_status


async def set_classroom_results_in_needs(
    session: AsyncSession, actor: Actor, enabled: bool
) -> bool:
    """A district admin decides whether classroom results count in needs and the students'
    status; recorded in the audit trail (as the student scope is), and the summaries are
    recomputed for the district in the same transaction."""
    may_administer(actor)
    settings = await session.get(DistrictSettings, actor.district_id)
    if settings is None:
        settings = DistrictSettings(district_id=actor.district_id)
        session.add(settings)
    before = bool(settings.classroom_results_in_needs)
    settings.classroom_results_in_needs = enabled
    settings.updated_at = utcnow()
    settings.updated_by_id = actor.user_id
    session.add(
        AuditEvent(
            user_id=actor.user_id,
            action="update",
            entity="district_settings",
            entity_ids=[str(actor.district_id)],
            detail=f"classroom_results_in_needs {_on(before)} -> {_on(enabled)}",
            district_id=actor.district_id,
        )
    )
    await session.flush()
    if before != enabled:
        await refresh_result_status(session, actor.district_id)
    return enabled


def _on(value: bool) -> str:
    return "on" if value else "off"


async def classroom_results_in_needs(session: AsyncSession, actor: Actor) -> bool:
    """Whether the actor's district counts classroom results in needs (off by default)."""
    found = await session.scalar(
        select(DistrictSettings.classroom_results_in_needs).where(
            DistrictSettings.district_id == actor.district_id
        )
    )
    return bool(found)
