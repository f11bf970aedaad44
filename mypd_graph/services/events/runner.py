"""The runner that turns outbox events into deliveries and sends them, at least once.

Several runners may work at once (app processes, workers): each step claims its row with a
compare-and-set (an event's ``dispatched_at``, a delivery's ``next_attempt_at`` pushed out by a
lease), so two runners never both send one delivery while its lease holds. A runner that dies
after sending but before recording lets the lease expire and the delivery is sent again: a
receiver dedupes by ``X-Mypd-Delivery``. Failures back off (30 s, 1 min, 2 min ... at most an
hour) and give up after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import time
from datetime import datetime, timedelta
from email.message import EmailMessage

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mypd_graph.models import (
    EmailNotification,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)
from mypd_graph.services.events.recipients import notices
from mypd_graph.services.events.webhooks import (
    SIGNATURE_HEADER,
    body_of,
    district_key,
    refused_destination,
    sign,
    visible_to_district,
)
from mypd_graph.settings import Settings

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
BATCH = 50


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


async def dispatch_pending(sessions: Sessions, settings: Settings) -> int:
    """Turn each new event into its webhook deliveries and emails, once."""
    async with sessions() as session:
        pending = list(
            await session.scalars(
                select(OutboxEvent.id)
                .where(OutboxEvent.dispatched_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(BATCH)
            )
        )
    done = 0
    for event_id in pending:
        async with sessions.begin() as session:
            claimed = await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event_id, OutboxEvent.dispatched_at.is_(None))
                .values(dispatched_at=utcnow())
            )
            if claimed.rowcount != 1:
                continue  # another runner took it
            event = await session.get_one(OutboxEvent, event_id)
            hooks = await session.scalars(
                select(WebhookSubscription).where(
                    WebhookSubscription.district_id == event.district_id,
                    WebhookSubscription.active,
                )
            )
            public = await visible_to_district(session, event)
            for hook in hooks:
                if public and event.event_type in hook.event_types:
                    session.add(
                        WebhookDelivery(
                            subscription_id=hook.id,
                            event_id=event.id,
                            next_attempt_at=event.created_at,  # due since it happened
                        )
                    )
            if settings.smtp_host:
                for notice in await notices(session, event, settings.public_url):
                    session.add(
                        EmailNotification(
                            event_id=event.id,
                            user_id=notice.user_id,
                            to_address=notice.address,
                            subject=notice.subject,
                            body=notice.body,
                            next_attempt_at=event.created_at,
                        )
                    )
        done += 1
    return done


async def _claim(
    sessions: Sessions, model: type, row_id: int, when: datetime, now: datetime
) -> bool:
    async with sessions.begin() as session:
        claimed = await session.execute(
            update(model)
            .where(model.id == row_id, model.status == "pending", model.next_attempt_at == when)
            .values(next_attempt_at=now + LEASE)
        )
        return claimed.rowcount == 1


async def _due(sessions: Sessions, model: type, now: datetime) -> list[tuple[int, datetime]]:
    async with sessions() as session:
        rows = await session.execute(
            select(model.id, model.next_attempt_at)
            .where(model.status == "pending", model.next_attempt_at <= now)
            .order_by(model.next_attempt_at)
            .limit(BATCH)
        )
        return [(row_id, when) for row_id, when in rows.all()]


def _outcome(row: WebhookDelivery | EmailNotification, error: str, now: datetime) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    if not error:
        row.status = "delivered" if isinstance(row, WebhookDelivery) else "sent"
    elif row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
    else:
        row.next_attempt_at = now + backoff(row.attempts)


async def send_webhooks(sessions: Sessions, settings: Settings, now: datetime) -> int:
    sent = 0
    async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as http:
        for delivery_id, when in await _due(sessions, WebhookDelivery, now):
            if not await _claim(sessions, WebhookDelivery, delivery_id, when, now):
                continue
            async with sessions() as session:
                delivery = await session.get_one(WebhookDelivery, delivery_id)
                hook = await session.get_one(WebhookSubscription, delivery.subscription_id)
                event = await session.get_one(OutboxEvent, delivery.event_id)
                body = body_of(event, await district_key(session, event.district_id))
                url, secret, event_type = hook.url, hook.secret, event.event_type
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "mypd-graph-webhooks",
                "X-Mypd-Event": event_type,
                "X-Mypd-Delivery": str(delivery_id),
                SIGNATURE_HEADER: sign(secret, int(time.time()), body),
            }
            status: int | None = None
            try:
                refused = await refused_destination(url, settings.is_production)
                if refused:
                    error = f"not sent: {refused}"
                else:
                    response = await http.post(url, content=body, headers=headers)
                    status = response.status_code
                    # The status only: an endpoint's answer is not echoed into the delivery log.
                    error = "" if 200 <= status < 300 else f"HTTP {status}"
            except Exception as failure:  # any failure is this delivery's, never the runner's
                error = f"{type(failure).__name__}: {failure}"
            async with sessions.begin() as session:
                delivery = await session.get_one(WebhookDelivery, delivery_id)
                delivery.last_status_code = status
                _outcome(delivery, error, now)
                if not error:
                    delivery.delivered_at = utcnow()
            sent += 1
    return sent


def _smtp_send(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


async def send_emails(sessions: Sessions, settings: Settings, now: datetime) -> int:
    sent = 0
    for notification_id, when in await _due(sessions, EmailNotification, now):
        if not await _claim(sessions, EmailNotification, notification_id, when, now):
            continue
        async with sessions() as session:
            notification = await session.get_one(EmailNotification, notification_id)
            address, subject, body = (
                notification.to_address,
                notification.subject,
                notification.body,
            )
        try:
            message = EmailMessage()
            message["From"] = settings.mail_from
            message["To"] = address
            message["Subject"] = " ".join(subject.split())  # no line break reaches a header
            message["Message-ID"] = f"<mypd-{notification_id}@{settings.mail_from_domain}>"
            message.set_content(body)
            await asyncio.to_thread(_smtp_send, settings, message)
            error = ""
        except Exception as failure:  # any failure is this email's, never the runner's
            error = f"{type(failure).__name__}: {failure}"
        async with sessions.begin() as session:
            notification = await session.get_one(EmailNotification, notification_id)
            _outcome(notification, error, now)
            if not error:
                notification.sent_at = utcnow()
        sent += 1
    return sent


async def run_once(sessions: Sessions, settings: Settings, now: datetime | None = None) -> int:
    """One pass: dispatch new events, then send what is due; how many things it did."""
    moment = now or utcnow()
    done = await dispatch_pending(sessions, settings)
    done += await send_webhooks(sessions, settings, moment)
    if settings.smtp_host:
        done += await send_emails(sessions, settings, moment)
    return done


async def run_forever(sessions: Sessions, settings: Settings, interval: float = 2.0) -> None:
    """Pass after pass until cancelled; a failing pass is logged and the next one tries again."""
    while True:
        try:
            busy = await run_once(sessions, settings)
        except Exception:
            log.exception("the events runner failed a pass; retrying")
            busy = 0
        if not busy:
            await asyncio.sleep(interval)
