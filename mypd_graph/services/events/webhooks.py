"""Webhooks: a district admin subscribes an HTTPS endpoint to event types; each event is POSTed as
JSON signed with the subscription's secret (HMAC-SHA256 over ``timestamp.body``), retried with
backoff until the endpoint answers 2xx, and every attempt is kept in the delivery log."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Sequence

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.ids import from_global_id
from mypd_graph.models import (
    Comment,
    District,
    LearningPlan,
    Observation,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
)
from mypd_graph.services.access import (
    Actor,
    comment_condition,
    may_administer,
    observation_condition,
    plan_condition,
)
from mypd_graph.services.errors import NotFound, invalid
from mypd_graph.services.events.outbox import EventType
from mypd_graph.services.people.admin import operator_actor, record_change

MAX_SUBSCRIPTIONS = 20
SIGNATURE_HEADER = "X-Mypd-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``. A receiver
    recomputes it over ``f"{t}.".encode() + body`` and refuses old timestamps (replays)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def body_of(event: OutboxEvent, district_key: str) -> bytes:
    return json.dumps(
        {
            "id": event.id,
            "type": event.event_type,
            "occurredAt": event.created_at.isoformat(),
            "district": district_key,
            "data": event.payload,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def check_url(url: str, production: bool) -> str | None:
    """Why an endpoint cannot be subscribed, or None: an http(s) URL that httpx can send to; in
    production HTTPS only (where it may point is checked by :func:`refused_destination`)."""
    if len(url) > 2000:
        return "at most 2000 characters"
    try:
        parts = httpx.URL(url)
        parts.port  # noqa: B018  (a port that is no number raises here, not at send time)
    except (httpx.InvalidURL, ValueError, UnicodeError):
        return "not a URL"
    if parts.scheme not in ("https", "http") or not parts.host:
        return "give an http(s) URL with a host"
    if production and parts.scheme != "https":
        return "production endpoints must use https"
    return None


async def refused_destination(url: str, production: bool) -> str | None:
    """In production, why the endpoint's host may not be called: every address its name
    resolves to (however the address is written: 127.1, 2130706433, 0x7f000001 ...) must be a
    public one, not loopback, private, link-local, shared (100.64/10) or reserved, so a district
    admin cannot turn the service into a probe of its own network. Checked when subscribing and
    again before every send (a name may be pointed elsewhere later). Outside production any
    address is allowed (local test endpoints)."""
    if not production:
        return None
    parts = httpx.URL(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(parts.host, port)
    except (OSError, UnicodeError) as error:
        return f"its host does not resolve ({error})"
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            return f"its host resolves to {address}, which is not a public address"
    return None


async def create_subscription(
    session: AsyncSession,
    actor: Actor,
    url: str,
    event_types: Sequence[EventType],
    production: bool,
) -> tuple[WebhookSubscription, str]:
    """Subscribe ``url`` to ``event_types``; the secret is made here and shown once."""
    may_administer(actor)
    problem = check_url(url.strip(), production) or await refused_destination(
        url.strip(), production
    )
    if problem:
        raise invalid(("input", "url"), problem, "BAD_URL")
    if not event_types:
        raise invalid(("input", "eventTypes"), "choose at least one event type", "REQUIRED")
    existing = await session.scalars(
        select(WebhookSubscription.id).where(WebhookSubscription.district_id == actor.district_id)
    )
    if len(existing.all()) >= MAX_SUBSCRIPTIONS:
        raise invalid(
            ("input", "url"), f"a district has at most {MAX_SUBSCRIPTIONS} webhooks", "TOO_MANY"
        )
    secret = secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        district_id=actor.district_id,
        url=url.strip(),
        secret=secret,
        event_types=sorted({kind.value for kind in event_types}),
        created_by=actor.user_id or None,
    )
    session.add(subscription)
    await session.flush()
    record_change(
        session,
        actor,
        "create",
        "webhook",
        subscription.id,
        f"webhook to {subscription.url} for {', '.join(subscription.event_types)}",
    )
    return subscription, secret


async def delete_subscription(session: AsyncSession, actor: Actor, subscription_id: int) -> None:
    may_administer(actor)
    subscription = await session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == subscription_id,
            WebhookSubscription.district_id == actor.district_id,
        )
    )
    if subscription is None:
        raise NotFound("no such webhook")
    record_change(
        session, actor, "delete", "webhook", subscription.id, f"webhook to {subscription.url}"
    )
    await session.delete(subscription)


async def subscriptions(session: AsyncSession, actor: Actor) -> list[WebhookSubscription]:
    may_administer(actor)
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.district_id == actor.district_id)
        .order_by(WebhookSubscription.id)
    )
    return list(rows)


async def deliveries(
    session: AsyncSession, actor: Actor, subscription_id: int, first: int
) -> list[tuple[WebhookDelivery, str]]:
    """The subscription's delivery log, newest first, with each event's type."""
    may_administer(actor)
    rows = await session.execute(
        select(WebhookDelivery, OutboxEvent.event_type)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookSubscription.district_id == actor.district_id,
        )
        .order_by(WebhookDelivery.id.desc())
        .limit(first)
    )
    return [(delivery, event_type) for delivery, event_type in rows.all()]


async def district_key(session: AsyncSession, district_id: int) -> str:
    return await session.scalar(select(District.key).where(District.id == district_id)) or ""


async def visible_to_district(session: AsyncSession, event: OutboxEvent) -> bool:
    """Whether the district's admins may see what the event is about: a webhook is the
    district's, so an event about a comment on private evidence or an observation of a kind
    that stays between teacher and coach goes to no webhook (its email still reaches the
    person who may see it)."""
    admin = operator_actor(event.district_id)
    checks = {
        EventType.COMMENT_ADDED.value: ("comment", Comment.id, comment_condition),
        EventType.OBSERVATION_RECORDED.value: (
            "observation",
            Observation.id,
            observation_condition,
        ),
    }
    if event.event_type.startswith("plan."):
        key, column, condition = "plan", LearningPlan.id, plan_condition
    elif event.event_type in checks:
        key, column, condition = checks[event.event_type]
    else:
        return True  # imports: the district's own operations
    value = event.payload.get(key)
    if not isinstance(value, str):
        return False
    found = await session.scalar(
        select(column).where(column == from_global_id(value)[1], condition(admin))
    )
    return found is not None
