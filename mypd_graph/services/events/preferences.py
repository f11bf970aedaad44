"""Each user's email preferences by event type (on unless turned off); only their own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    # One statement that inserts or updates, so two first choices at once (a double click) do
    # not collide on the key (SQLite and PostgreSQL both read ON CONFLICT).
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(NotificationPreference).values(
        user_id=actor.user_id, event_type=event_type.value, email=email
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "event_type"], set_={"email": email}
        )
    )
    return await preferences(session, actor)
