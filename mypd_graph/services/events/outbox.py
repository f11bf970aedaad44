"""The outbox: a writer records what happened in its own transaction, so an event exists exactly
when its change committed; the runner (:mod:`.runner`) delivers it later, at least once."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.ids import to_global_id
from mypd_graph.models import OutboxEvent


class EventType(enum.StrEnum):
    """What webhooks and notifications can be about; the values are stored and sent."""

    PLAN_SUBMITTED = "plan.submitted"
    PLAN_APPROVED = "plan.approved"
    PLAN_RETURNED = "plan.returned"
    PLAN_COMPLETED = "plan.completed"
    OBSERVATION_RECORDED = "observation.recorded"
    COMMENT_ADDED = "comment.added"
    IMPORT_FINISHED = "import.finished"
    IMPORT_REJECTED = "import.rejected"


def record_event(
    session: AsyncSession,
    district_id: int,
    event_type: EventType,
    actor_id: int | None,
    **ids: tuple[str, int] | str | None,
) -> OutboxEvent:
    """Add an event to the caller's transaction. Payloads name things by global id (and a
    status or outcome), never their text: a subscriber reads details through the API, under
    its own access rules."""
    payload: dict[str, Any] = {}
    for key, value in ids.items():
        if isinstance(value, tuple):
            payload[key] = to_global_id(*value)
        elif value is not None:
            payload[key] = value
    event = OutboxEvent(
        district_id=district_id, event_type=event_type.value, actor_id=actor_id, payload=payload
    )
    session.add(event)
    return event
