"""Events out, end to end on both databases: changes made through GraphQL write outbox events in
their own transaction; the runner delivers signed webhooks to a real local HTTP server (retrying
with backoff, once per delivery however many runners) and emails to the person who must act over
a real local SMTP server (aiosmtpd), honouring each user's preferences."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.ids import to_global_id
from mypd_graph.importers.pipeline import run_import
from mypd_graph.models import utcnow
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.events import runner
from mypd_graph.settings import Settings
from tests.conftest import SECRET, GraphQLClient, TestDatabase
from tests.factories import ADMIN, COACH, OUTSIDER, PRINCIPAL_NORTH, TEACHER_A, World
from tests.helpers import free_port
from tests.import_helpers import FIXTURES, actor, import_roster
from tests.plans_helpers import Api, ok

CREATE = """mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
  webhook { id url eventTypes } secret userErrors { code message } } }"""
LOG = """{ webhooks { id url deliveries { eventType status attempts lastStatusCode
  lastError deliveredAt } } }"""
PREFERENCE = """mutation($input: SetNotificationPreferenceInput!) {
  setNotificationPreference(input: $input) { preferences { eventType email }
  userErrors { code } } }"""


@dataclass
class Receiver:
    """A real HTTP endpoint that records what it is sent and answers the statuses it is given."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as box:
        yield box


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A real HTTP endpoint on a free port for as long as the block runs."""
    port = free_port()
    box = Receiver(f"http://127.0.0.1:{port}/hooks")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box.received.append({"headers": dict(self.headers), "body": body})
            status = box.statuses.pop(0) if box.statuses else 200
            self.send_response(status)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def settings_for(db: TestDatabase, smtp_port: int | None = None) -> Settings:
    return Settings(
        database_url=db.url,
        secret_key=SECRET,
        smtp_host="127.0.0.1" if smtp_port else "",
        smtp_port=smtp_port or 25,
        public_url="https://mypd.example.org",
    )


async def subscribe(client: GraphQLClient, url: str, *types: str) -> tuple[str, str]:
    payload = (
        await client.execute(CREATE, {"input": {"url": url, "eventTypes": list(types)}}, as_=ADMIN)
    )["createWebhook"]
    assert payload["userErrors"] == [], payload
    return payload["webhook"]["id"], payload["secret"]


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in headers["X-Mypd-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(parts["v1"], expected.hexdigest())


async def test_a_submitted_plan_reaches_a_signed_webhook_once(
    db: TestDatabase, world: World, client: GraphQLClient, receiver: Receiver
) -> None:
    _, secret = await subscribe(client, receiver.url, "PLAN_SUBMITTED", "PLAN_APPROVED")
    await subscribe(client, receiver.url + "/comments-only", "COMMENT_ADDED")
    plan_id = await Api(client).submitted_plan()

    settings = settings_for(db)
    # Two runners at once: the event is dispatched once and the delivery sent once.
    await asyncio.gather(*(runner.run_once(db.sessionmaker, settings) for _ in range(2)))
    await runner.run_once(db.sessionmaker, settings)

    assert len(receiver.received) == 1
    [sent] = receiver.received
    assert verify(secret, sent["headers"], sent["body"])
    assert not verify("another-secret", sent["headers"], sent["body"])
    body = json.loads(sent["body"])
    assert body["type"] == "plan.submitted" and body["district"] == "test"
    assert body["data"]["plan"] == plan_id and body["data"]["status"] == "submitted"
    assert sent["headers"]["X-Mypd-Event"] == "plan.submitted"
    assert "Ask better questions" not in sent["body"].decode()  # ids, never content

    hooks = (await client.execute(LOG, as_=ADMIN))["webhooks"]
    [log] = [hook["deliveries"] for hook in hooks if hook["url"] == receiver.url]
    assert log == [
        {
            "eventType": "PLAN_SUBMITTED",
            "status": "delivered",
            "attempts": 1,
            "lastStatusCode": 200,
            "lastError": "",
            "deliveredAt": log[0]["deliveredAt"],
        }
    ]
    assert log[0]["deliveredAt"] is not None


async def test_a_failing_endpoint_is_retried_with_backoff(
    db: TestDatabase, world: World, client: GraphQLClient, receiver: Receiver
) -> None:
    await subscribe(client, receiver.url, "PLAN_SUBMITTED")
    await Api(client).submitted_plan()
    receiver.statuses = [500, 503]
    settings, now = settings_for(db), utcnow()

    await runner.run_once(db.sessionmaker, settings, now)
    async with db.sessionmaker() as session:
        delivery = await session.scalar(select(models.WebhookDelivery))
        assert delivery is not None
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
            "pending",
            1,
            500,
        )
        assert delivery.next_attempt_at == now + timedelta(seconds=30)
    # Not due yet: nothing is sent.
    await runner.run_once(db.sessionmaker, settings, now + timedelta(seconds=10))
    assert len(receiver.received) == 1
    await runner.run_once(db.sessionmaker, settings, now + timedelta(seconds=31))
    await runner.run_once(db.sessionmaker, settings, now + timedelta(seconds=92))
    async with db.sessionmaker() as session:
        delivery = await session.scalar(select(models.WebhookDelivery))
        assert delivery is not None
        assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len(receiver.received) == 3
    assert {r["headers"]["X-Mypd-Delivery"] for r in receiver.received} == {str(delivery.id)}


async def test_webhooks_are_for_district_admins_and_their_own_district(
    db: TestDatabase, world: World, client: GraphQLClient, receiver: Receiver
) -> None:
    refused = await client.raw(
        CREATE, {"input": {"url": receiver.url, "eventTypes": ["PLAN_SUBMITTED"]}}, as_=TEACHER_A
    )
    assert refused["data"]["createWebhook"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert (await client.raw(LOG, as_=TEACHER_A))["errors"][0]["extensions"]["code"] == (
        "FORBIDDEN"
    )
    await subscribe(client, receiver.url, "PLAN_SUBMITTED")
    # The other district's admin sees none of it, and its events do not reach this endpoint.
    assert (await client.execute(LOG, as_=OUTSIDER))["webhooks"] == []
    async with db.sessionmaker.begin() as session:
        session.add(
            models.OutboxEvent(
                district_id=world.other_district_id, event_type="plan.submitted", payload={}
            )
        )
    await runner.run_once(db.sessionmaker, settings_for(db))
    assert receiver.received == []
    async with db.sessionmaker() as session:
        trail = await session.scalar(
            select(func.count())
            .select_from(models.AuditEvent)
            .where(models.AuditEvent.entity == "webhook")
        )
    assert trail == 1  # the subscription is in the district's audit trail


async def test_production_refuses_endpoints_that_probe_the_network(
    db: TestDatabase, world: World
) -> None:
    from mypd_graph.services.events.webhooks import check_url, refused_destination

    assert check_url("http://127.0.0.1:8080/x", production=False) is None
    assert "https" in (check_url("http://hooks.example.org/x", production=True) or "")
    assert check_url("ftp://hooks.example.org/x", production=False)
    assert check_url("https://example.com:0x1/", production=False) == "not a URL"
    # Every way of writing a loopback, private or shared address is refused once resolved.
    for url in (
        "https://127.1/x",
        "https://2130706433/x",
        "https://0x7f000001/x",
        "https://10.0.0.5/x",
        "https://100.64.0.1/x",
        "https://169.254.169.254/latest",
        "https://localhost/x",
        "https://[::1]/x",
    ):
        assert await refused_destination(url, production=True), url
    assert await refused_destination("https://93.184.216.34/x", production=True) is None
    assert await refused_destination("http://127.0.0.1:8080/x", production=False) is None


async def test_a_delivery_that_cannot_be_sent_is_recorded_not_raised(
    db: TestDatabase, world: World, client: GraphQLClient, receiver: Receiver
) -> None:
    """A broken endpoint or a refused destination fails its own delivery; the runner goes on
    to the next one (one runner serves every district)."""
    await subscribe(client, receiver.url, "PLAN_SUBMITTED")
    async with db.sessionmaker.begin() as session:
        session.add(
            models.WebhookSubscription(
                district_id=world.district_id,
                url="https://example.com:0x1/",
                secret="s",
                event_types=["plan.submitted"],
            )
        )
    await Api(client).submitted_plan()
    receiver.statuses = [500]
    await runner.run_once(db.sessionmaker, settings_for(db))
    async with db.sessionmaker() as session:
        rows = {
            row.subscription_id: row
            for row in await session.scalars(select(models.WebhookDelivery))
        }
    errors = sorted(row.last_error for row in rows.values())
    assert errors == ["HTTP 500", errors[1]] and errors[1].startswith("InvalidURL")
    assert all(row.attempts == 1 and row.status == "pending" for row in rows.values())
    assert len(receiver.received) == 1  # the good endpoint was still called


async def test_emails_reach_the_person_who_must_act(
    db: TestDatabase, world: World, client: GraphQLClient, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(db, port)
    api = Api(client)
    plan_id = await api.submitted_plan()
    await runner.run_once(db.sessionmaker, settings)
    # Submitted: the approvers (the principal of Ana's school and her coach), not Ana.
    assert sorted(m["To"] for m in inbox.messages) == [COACH, PRINCIPAL_NORTH]
    message = inbox.messages[0]
    assert message["Subject"] == "Ana Alvarez submitted a learning plan for your approval"
    assert "https://mypd.example.org/app/" in message.get_content()

    inbox.messages.clear()
    ok(await api.move("returnPlan", plan_id, PRINCIPAL_NORTH, note="Add a measure"), "plan")
    await runner.run_once(db.sessionmaker, settings)
    assert [m["To"] for m in inbox.messages] == [TEACHER_A]
    assert inbox.messages[0]["Subject"] == "Pat North returned your learning plan"

    # Ana turns plan decisions off; the next decision sends her nothing.
    turned = (
        await client.execute(
            PREFERENCE, {"input": {"eventType": "PLAN_APPROVED", "email": False}}, as_=TEACHER_A
        )
    )["setNotificationPreference"]
    assert {"eventType": "PLAN_APPROVED", "email": False} in turned["preferences"]
    inbox.messages.clear()
    ok(await api.move("submitPlan", plan_id, TEACHER_A), "plan")
    ok(await api.move("approvePlan", plan_id, PRINCIPAL_NORTH), "plan")
    await runner.run_once(db.sessionmaker, settings)
    assert sorted(m["To"] for m in inbox.messages) == [COACH, PRINCIPAL_NORTH]  # the resubmission
    async with db.sessionmaker() as session:
        sent = await session.scalar(
            select(func.count())
            .select_from(models.EmailNotification)
            .where(models.EmailNotification.status == "sent")
        )
    assert sent == 5


async def test_a_name_with_a_line_break_does_not_stall_emails(
    db: TestDatabase, world: World, client: GraphQLClient, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    async with db.sessionmaker.begin() as session:
        teacher = await session.get_one(models.User, world.id(TEACHER_A))
        teacher.name = "Ana\nAlvarez"
    await Api(client).submitted_plan()
    await runner.run_once(db.sessionmaker, settings_for(db, port))
    subjects = {m["Subject"] for m in inbox.messages}
    assert subjects == {"Ana Alvarez submitted a learning plan for your approval"}


async def test_first_preferences_at_once_do_not_collide(
    db: TestDatabase, world: World, client: GraphQLClient
) -> None:
    variables = {"input": {"eventType": "COMMENT_ADDED", "email": False}}
    answers = await asyncio.gather(
        *(client.raw(PREFERENCE, variables, as_=TEACHER_A) for _ in range(6))
    )
    assert all("errors" not in answer for answer in answers), answers
    async with db.sessionmaker() as session:
        rows = list(await session.scalars(select(models.NotificationPreference)))
    assert [(row.event_type, row.email) for row in rows] == [("comment.added", False)]


async def test_without_smtp_no_email_is_queued(
    db: TestDatabase, world: World, client: GraphQLClient
) -> None:
    await Api(client).submitted_plan()
    await runner.run_once(db.sessionmaker, settings_for(db))
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count(models.EmailNotification.id))) == 0
        dispatched = await session.scalar(
            select(func.count(models.OutboxEvent.id)).where(
                models.OutboxEvent.dispatched_at.is_not(None)
            )
        )
    assert dispatched == 1


async def test_an_event_exists_only_when_its_change_committed(
    db: TestDatabase, world: World, client: GraphQLClient
) -> None:
    api = Api(client)
    plan_id = await api.new_plan()
    refused = await api.move("submitPlan", plan_id, TEACHER_A)  # no goal yet: refused
    assert refused["userErrors"][0]["code"] == "NO_GOALS"
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count(models.OutboxEvent.id))) == 0


async def test_an_import_tells_subscribers_and_whoever_ran_it(
    db: TestDatabase,
    world: World,
    client: GraphQLClient,
    plugins: PluginSet,
    receiver: Receiver,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    await subscribe(client, receiver.url, "IMPORT_FINISHED", "IMPORT_REJECTED")
    finished = await import_roster(db, world, plugins)
    admin = await actor(db, world, ADMIN)
    rejected = await run_import(
        db.sessionmaker,
        admin,
        "csv-scores",
        FIXTURES / "scores" / "bad_empty.csv",
        None,
        plugins=plugins,
    )
    assert (finished.status, rejected.status) == ("completed", "rejected")
    await runner.run_once(db.sessionmaker, settings_for(db, port))

    sent = sorted(
        (json.loads(r["body"])["type"], json.loads(r["body"])["data"]["run"])
        for r in receiver.received
    )
    assert sent == [
        ("import.finished", to_global_id("ImportRun", finished.id)),
        ("import.rejected", to_global_id("ImportRun", rejected.id)),
    ]
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == [
        "Your import of bad_empty.csv was rejected",
        f"Your import of {finished.file_name} finished",
    ]
    assert {m["To"] for m in inbox.messages} == {ADMIN}


ADD_EVIDENCE = """mutation($input: AddEvidenceInput!) { addEvidence(input: $input) {
  evidence { id } userErrors { code } } }"""
ADD_COMMENT = """mutation($input: AddCommentInput!) { addComment(input: $input) {
  comment { id } userErrors { code } } }"""


async def test_webhooks_carry_nothing_the_district_may_not_see(
    db: TestDatabase, world: World, client: GraphQLClient, receiver: Receiver
) -> None:
    """A webhook is the district's: a comment on private evidence goes to none (nor does the
    item's existence), a comment on evidence shared with supervisors does."""
    await subscribe(client, receiver.url, "COMMENT_ADDED")
    for audience in ("PRIVATE", "SUPERVISORS"):
        added = await client.execute(
            ADD_EVIDENCE,
            {"input": {"kind": "REFLECTION", "title": audience, "audience": audience}},
            as_=TEACHER_A,
        )
        evidence = added["addEvidence"]["evidence"]["id"]
        commented = await client.execute(
            ADD_COMMENT, {"input": {"evidenceId": evidence, "body": "noted"}}, as_=TEACHER_A
        )
        assert commented["addComment"]["userErrors"] == []
    await runner.run_once(db.sessionmaker, settings_for(db))
    [sent] = receiver.received
    body = json.loads(sent["body"])
    assert body["type"] == "comment.added"
    async with db.sessionmaker() as session:
        shared = await session.scalar(
            select(models.Comment.id)
            .join(models.Evidence, models.Evidence.id == models.Comment.evidence_id)
            .where(models.Evidence.title == "SUPERVISORS")
        )
    assert body["data"]["comment"] == to_global_id("Comment", shared)
