"""Each user's email preferences by event type (on unless turned off); only their own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import NotificationPreference
from mypd_graph.services.access import Actor
from mypd_graph.services.events.outbox import EventType


async def preferences(session: AsyncSession, actor: Actor) -> dict[EventType, bool]:
    rows = await session.execute(
        select(NotificationPreference.event_type, NotificationPreference.email).where(
            NotificationPreference.user_id == actor.user_id
        )
    )
    chosen = {event_type: email for event_type, email in rows.all()}
    return {kind: chosen.get(kind.value, True) for kind in EventType}


async def set_preference(
    session: AsyncSession, actor: Actor, event_type: EventType, email: bool
) -> dict[EventType, bool]:
    row = await session.get(NotificationPreference, (actor.user_id, event_type.value))
    if row is None:
        session.add(
            NotificationPreference(user_id=actor.user_id, event_type=event_type.value, email=email)
        )
    else:
        row.email = email
    await session.flush()
    return await preferences(session, actor)
