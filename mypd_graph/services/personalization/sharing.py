"""A teacher's growth profile audience: who besides them reads their needs, growth and suggestions.

The rule itself lives in services.access (``growth_teacher_ids``); this is where the teacher sets it.
``None`` follows the district's default (``DistrictSettings.default_audience``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import TeacherProfile
from mypd_graph.models.growth import Audience
from mypd_graph.services.access import Actor, district_default_audience
from mypd_graph.services.errors import PermissionDenied


@dataclass(frozen=True)
class GrowthAudience:
    chosen: Audience | None  # None: the district's default
    effective: Audience


async def growth_audience(session: AsyncSession, actor: Actor) -> GrowthAudience:
    """The signed-in teacher's own setting (others never need it: they just see, or not)."""
    profile = await session.get(TeacherProfile, actor.user_id)
    if profile is None:
        raise PermissionDenied("only a teacher has a growth profile")
    default = await session.scalar(select(district_default_audience(actor.district_id)))
    chosen = Audience(profile.growth_audience) if profile.growth_audience else None
    return GrowthAudience(chosen, chosen or Audience(str(default)))


async def set_growth_audience(
    session: AsyncSession, actor: Actor, audience: Audience | None
) -> GrowthAudience:
    """Only the teacher sets who sees their growth profile; ``None`` returns to the district's."""
    profile = await session.get(TeacherProfile, actor.user_id)
    if profile is None:
        raise PermissionDenied("only a teacher has a growth profile to share")
    profile.growth_audience = None if audience is None else Audience(audience).value
    await session.flush()
    return await growth_audience(session, actor)
