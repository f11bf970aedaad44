"""The door of /graphql: authentication, request-size and time limits, before any GraphQL runs."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mypd_graph.auth import AuthenticationError, user_id_from_authorization
from mypd_graph.db import SessionMaker
from mypd_graph.models import User
from mypd_graph.services.access import Actor, actor_for
from mypd_graph.settings import Settings

log = logging.getLogger(__name__)


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="mypd_graph"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


class GraphQLGuard:
    """Wraps the GraphQL app. GET without a query (the GraphiQL page) needs no token."""

    def __init__(self, app: ASGIApp, settings: Settings, sessionmaker: SessionMaker) -> None:
        self.app = app
        self.settings = settings
        self.sessionmaker = sessionmaker

    async def authenticate(self, authorization: str | None) -> Actor:
        user_id = user_id_from_authorization(self.settings.secret_key, authorization)
        async with self.sessionmaker() as session:
            user = await session.scalar(select(User).where(User.id == user_id))
        if user is None or not user.active:
            raise AuthenticationError("the token's user does not exist or is deactivated")
        return actor_for(user)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        if scope["method"] == "GET" and not scope.get("query_string"):
            # The GraphiQL page (or a 404 when it is off): runs no operation. Anything with a query
            # string, however its parameter names are encoded, is authenticated like a POST.
            await self.app(scope, receive, send)
            return
        uploading = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.settings.max_upload_bytes if uploading else self.settings.max_body_bytes
        if int(headers.get("content-length") or 0) > limit:
            await _send_error(send, 413, "BODY_TOO_LARGE", f"request body over {limit} bytes")
            return
        try:
            actor = await self.authenticate(headers.get("authorization"))
        except AuthenticationError as error:
            await _send_error(send, 401, "UNAUTHENTICATED", str(error))
            return
        scope.setdefault("state", {})["actor"] = actor
        await self._run_limited(scope, self._limit_body(receive, limit), send, limit)

    @staticmethod
    def _limit_body(receive: Receive, limit: int) -> Receive:
        """Count the bytes of a chunked body too: Content-Length can be absent."""
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
            return message

        return limited

    async def _run_limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        seconds = self.settings.request_timeout_seconds
        try:
            async with asyncio.timeout(seconds):
                await self.app(scope, receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_error(send, 413, "BODY_TOO_LARGE", f"request body over {limit} bytes")
        except TimeoutError:
            log.warning("request over the %ss time limit was cancelled", seconds)
            if not started:
                await _send_error(
                    send, 503, "TIMEOUT", f"the request took longer than {seconds}s and was stopped"
                )


def actor_of(request: Any) -> Actor | None:
    """The authenticated actor; None only for requests that run no operation (the GraphiQL page)."""
    return request.scope.get("state", {}).get("actor")
