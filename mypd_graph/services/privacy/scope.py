"""Which students a teacher sees: the district's student scope, read and set.

The rule itself lives in :func:`mypd_graph.services.access.student_scope_condition`, applied in the
queries that load students and results; this module only keeps the setting. Changing it is
recorded in the audit trail, as any change of who may read student data should be.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import DistrictSettings
from mypd_graph.models.base import utcnow
from mypd_graph.models.settings import DEFAULT_STUDENT_SCOPE, STUDENT_SCOPES
from mypd_graph.services.access import Actor, may_administer
from mypd_graph.services.errors import invalid
from mypd_graph.services.privacy.audit import new_event


async def student_scope(session: AsyncSession, district_id: int) -> str:
    """The district's scope: "recent" unless the district chose another."""
    scope = await session.scalar(
        select(DistrictSettings.student_scope).where(DistrictSettings.district_id == district_id)
    )
    return scope or DEFAULT_STUDENT_SCOPE


async def set_student_scope(session: AsyncSession, actor: Actor, scope: str) -> str:
    """A district admin sets how far back teachers read their students (and their results)."""
    may_administer(actor)
    if scope not in STUDENT_SCOPES:
        raise invalid(("input", "scope"), f"scope must be one of {STUDENT_SCOPES}", "BAD_SCOPE")
    settings = await session.get(DistrictSettings, actor.district_id)
    if settings is None:
        settings = DistrictSettings(district_id=actor.district_id)
        session.add(settings)
    before = settings.student_scope or DEFAULT_STUDENT_SCOPE
    settings.student_scope = scope
    settings.updated_at = utcnow()
    settings.updated_by_id = actor.user_id
    session.add(
        new_event(
            "update",
            "district_settings",
            [actor.district_id],
            user_id=actor.user_id,
            district_id=actor.district_id,
            detail=f"student_scope {before} -> {scope}",
        )
    )
    await session.flush()
    return scope
