"""One log line and the HTTP metrics for every request, its ``X-Request-ID``, and ``/metrics``."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mypd_graph.db import SessionMaker
from mypd_graph.observability import metrics
from mypd_graph.observability.requests import CURRENT, RequestRecord
from mypd_graph.services.privacy.audit import request_id_from

log = logging.getLogger("mypd_graph.requests")
QUIET_PATHS = ("/healthz", "/readyz", "/metrics", "/static/")


class ObservedRequests:
    """Opens the request's record (its id from a sane ``X-Request-ID`` or a new one, echoed in
    the response), then logs ``method path status`` with the time, SQL statements, user and
    operation. Probes and static files log at DEBUG, so they do not drown the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        record = RequestRecord(request_id_from(header), scope["method"], scope["path"])
        token = CURRENT.set(record)
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers.append("X-Request-ID", record.request_id)
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            CURRENT.reset(token)
            actor = scope.get("state", {}).get("actor")
            record.user_id = getattr(actor, "user_id", None)
            metrics.HTTP_RESPONSES.labels(str(status)).inc()
            quiet = record.path.startswith(QUIET_PATHS)
            log.log(
                logging.DEBUG if quiet else logging.INFO,
                "%s %s %s %.1f ms, %d statements%s%s",
                record.method,
                record.path,
                status,
                record.seconds * 1000,
                record.statements,
                f", user {record.user_id}" if record.user_id is not None else "",
                f", operation {record.operation}" if record.operation else "",
                extra={
                    "request_id": record.request_id,
                    "method": record.method,
                    "path": record.path,
                    "status": status,
                    "duration_ms": round(record.seconds * 1000, 2),
                    "statements": record.statements,
                    "user_id": record.user_id,
                    "operation": record.operation,
                    "error_codes": record.error_codes,
                },
            )


def metrics_endpoint(
    sessionmaker: SessionMaker, token: str
) -> Callable[[Request], Awaitable[Response]]:
    """``GET /metrics``: this process's metrics and the database's; with ``MYPD_METRICS_TOKEN``
    set, only for ``Authorization: Bearer <token>``."""

    async def endpoint(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return PlainTextResponse(
                    "metrics need the bearer token of MYPD_METRICS_TOKEN\n",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        body = metrics.process_metrics() + await metrics.database_metrics(sessionmaker)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    return endpoint
