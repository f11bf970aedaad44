"""Events out as GraphQL: a district admin's webhooks and their delivery logs, and each user's email
preferences (thin over :mod:`mypd_graph.services.events`)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.ids import from_global_id, to_global_id
from mypd_graph.models import WebhookDelivery as DeliveryRow
from mypd_graph.models import WebhookSubscription
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.services.errors import NotFound
from mypd_graph.services.events import preferences as preference_service
from mypd_graph.services.events import webhooks as service
from mypd_graph.services.events.outbox import EventType as EventKind

EventType = strawberry.enum(
    EventKind, name="EventType", description="What webhooks and emails can be about."
)


@strawberry.type(description="One attempt history of one event sent to one webhook.")
class WebhookDelivery:
    id: strawberry.ID
    event_type: EventType
    status: str = strawberry.field(description="pending, delivered or failed (attempts ran out).")
    attempts: int
    last_status_code: int | None = strawberry.field(description="The endpoint's last HTTP status.")
    last_error: str
    next_attempt_at: datetime | None = strawberry.field(description="Null once it is settled.")
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: DeliveryRow, event_type: str) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", row.id)),
            event_type=EventKind(event_type),
            status=row.status,
            attempts=row.attempts,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
        )


@strawberry.type(description="An endpoint a district admin subscribed to some event types.")
class Webhook:
    id: strawberry.ID
    url: str
    event_types: list[EventType]
    active: bool
    created_at: datetime
    row_id: strawberry.Private[int]

    @strawberry.field(description="The delivery log, newest first.")
    async def deliveries(self, info: Info, first: int = 20) -> list[WebhookDelivery]:
        async with info.context.sessionmaker() as session:
            rows = await service.deliveries(
                session, info.context.actor, self.row_id, max(1, min(first, 100))
            )
        return [WebhookDelivery.of(row, event_type) for row, event_type in rows]

    @classmethod
    def of(cls, row: WebhookSubscription) -> Webhook:
        return cls(
            id=strawberry.ID(to_global_id("Webhook", row.id)),
            url=row.url,
            event_types=[EventKind(kind) for kind in row.event_types],
            active=row.active,
            created_at=row.created_at,
            row_id=row.id,
        )


@strawberry.type(description="Whether you get an email for one event type.")
class NotificationPreference:
    event_type: EventType
    email: bool


def _preferences(found: dict[EventKind, bool]) -> list[NotificationPreference]:
    return [NotificationPreference(event_type=kind, email=on) for kind, on in found.items()]


@strawberry.type
class Query:
    @strawberry.field(description="The district's webhooks (district admins).")
    async def webhooks(self, info: Info) -> list[Webhook]:
        async with info.context.sessionmaker() as session:
            rows = await service.subscriptions(session, info.context.actor)
        return [Webhook.of(row) for row in rows]

    @strawberry.field(description="Your email preferences, one per event type (on by default).")
    async def notification_preferences(self, info: Info) -> list[NotificationPreference]:
        async with info.context.sessionmaker() as session:
            found = await preference_service.preferences(session, info.context.actor)
        return _preferences(found)


@strawberry.input
class CreateWebhookInput:
    url: str
    event_types: list[EventType]


@strawberry.type
class CreateWebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(
        description="Signs every delivery (X-Mypd-Signature); shown only here, keep it."
    )
    user_errors: list[UserError]


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID


@strawberry.type
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.input
class SetNotificationPreferenceInput:
    event_type: EventType
    email: bool


@strawberry.type
class SetNotificationPreferencePayload:
    preferences: list[NotificationPreference] | None
    user_errors: list[UserError]


def _webhook_id(value: strawberry.ID) -> int:
    try:
        kind, row_id = from_global_id(value)
    except ValueError:
        raise NotFound("no such webhook") from None
    if kind != "Webhook":
        raise NotFound("no such webhook")
    return row_id


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A district admin subscribes an endpoint to event types.")
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> CreateWebhookPayload:
        actor, settings = info.context.actor, info.context.settings

        async def work(session: AsyncSession) -> tuple[WebhookSubscription, str]:
            return await service.create_subscription(
                session, actor, input.url, list(input.event_types), settings.is_production
            )

        made, errors = await run_mutation(info, work)
        if made is None:
            return CreateWebhookPayload(webhook=None, secret=None, user_errors=errors)
        return CreateWebhookPayload(webhook=Webhook.of(made[0]), secret=made[1], user_errors=[])

    @strawberry.mutation(description="A district admin removes a webhook and its delivery log.")
    async def delete_webhook(self, info: Info, input: DeleteWebhookInput) -> DeleteWebhookPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> int:
            row_id = _webhook_id(input.id)
            await service.delete_subscription(session, actor, row_id)
            return row_id

        gone, errors = await run_mutation(info, work)
        return DeleteWebhookPayload(
            deleted_id=strawberry.ID(to_global_id("Webhook", gone)) if gone else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Turn your emails for one event type on or off.")
    async def set_notification_preference(
        self, info: Info, input: SetNotificationPreferenceInput
    ) -> SetNotificationPreferencePayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> dict[EventKind, bool]:
            return await preference_service.set_preference(
                session, actor, EventKind(input.event_type), input.email
            )

        found, errors = await run_mutation(info, work)
        return SetNotificationPreferencePayload(
            preferences=_preferences(found) if found is not None else None, user_errors=errors
        )
