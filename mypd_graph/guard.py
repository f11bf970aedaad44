"""The door of /graphql: authentication, request-size and time limits, and the shape of the request
(one GraphQL operation as a JSON object), before any GraphQL runs. Every refusal is JSON."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mypd_graph import auth, oidc
from mypd_graph.auth import AuthenticationError
from mypd_graph.db import SessionMaker
from mypd_graph.models import User
from mypd_graph.observability.metrics import RATE_LIMITED
from mypd_graph.observability.ratelimit import RateLimiter
from mypd_graph.services.access import Actor, actor_for
from mypd_graph.services.people import sign_in
from mypd_graph.settings import Settings

log = logging.getLogger(__name__)


def error_body(message: str, code: str) -> bytes:
    """The JSON every refusal of /graphql carries, GraphQL's ``errors`` with a machine code."""
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()


async def _send_error(
    send: Send, status: int, code: str, message: str, retry_after: int | None = None
) -> None:
    body = error_body(message, code)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="mypd_graph"'))
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


class BadRequest(Exception):
    """The request is not one GraphQL operation; the message says what is wrong (HTTP 400)."""


def decode_json(raw: bytes | str, what: str) -> object:
    """JSON or BadRequest. Besides syntax errors, ``json.loads`` raises UnicodeDecodeError for
    bytes that are not UTF-8, ValueError for integers over 4,300 digits and RecursionError for
    deep nesting; Strawberry catches only the first, so the others were HTTP 500."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"{what} is not valid JSON") from error


def operation_problem(payload: object) -> str | None:
    """What keeps a decoded request from being one GraphQL operation, or None. Strawberry reads
    the fields of whatever JSON arrives, so ``null``, ``"x"`` or ``42`` raised inside it (500)."""
    if isinstance(payload, list):
        return "batched requests are not supported: send one operation per request"
    if not isinstance(payload, dict):
        return "the request must be a JSON object with a `query` string"
    if not isinstance(payload.get("query"), str):
        return "the request's `query` must be a string holding a GraphQL document"
    for key in ("variables", "extensions"):
        if not isinstance(payload.get(key), dict | None):
            return f"the request's `{key}` must be a JSON object or null"
    if not isinstance(payload.get("operationName"), str | None):
        return "the request's `operationName` must be a string or null"
    return None


def provider_keys(settings: Settings) -> oidc.KeyCache:
    """The process's cache of identity providers' keys, as the settings say; the app makes one and
    shares it between /graphql and the web app's sign-in, so a provider is fetched once."""
    return oidc.KeyCache(
        timeout=settings.oidc_timeout_seconds,
        ttl=settings.oidc_keys_ttl_seconds,
        refetch_interval=settings.oidc_refetch_interval_seconds,
        allow_http_loopback=not settings.is_production,
    )


class GraphQLGuard:
    """Wraps the GraphQL app. GET without a query (the GraphiQL page) needs no token."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        sessionmaker: SessionMaker,
        keys: oidc.KeyCache | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.sessionmaker = sessionmaker
        # Identity providers' keys, cached for the life of the process (one per worker).
        self.keys = keys or provider_keys(settings)
        self.limiter = (
            RateLimiter(settings.rate_limit, settings.rate_limit_storage)
            if settings.rate_limit
            else None
        )

    async def authenticate(self, authorization: str | None) -> Actor:
        """The actor a bearer token names: a development token (HS256, our secret) or a token
        of a district's identity provider (OIDC), told apart by the issuer it claims.
        AuthenticationError (401) or oidc.ProviderUnavailable (503) otherwise."""
        token = auth.bearer_token(authorization)
        issuer = auth.unverified_issuer(token)
        if issuer == auth.ISSUER:
            claims, user = await self._dev_token_user(token)
        else:
            claims, user = await self._provider_token_user(token, issuer)
        auth.check_not_revoked(claims, user.tokens_valid_after)
        return actor_for(user)

    async def _dev_token_user(self, token: str) -> tuple[dict[str, Any], User]:
        if not self.settings.dev_tokens_allowed:
            raise AuthenticationError(
                "development tokens are not accepted in production: sign in with your "
                "district's identity provider (or set MYPD_ALLOW_DEV_TOKENS=1)"
            )
        claims = auth.dev_token_claims(self.settings.secret_key, token)
        user_id = auth.user_id_of(claims)
        async with self.sessionmaker() as session:
            user = await session.scalar(select(User).where(User.id == user_id))
        if user is None or not user.active:
            raise AuthenticationError("the token's user does not exist or is deactivated")
        return claims, user

    async def _provider_token_user(self, token: str, issuer: str) -> tuple[dict[str, Any], User]:
        async with self.sessionmaker() as session:
            configs = await sign_in.configs_for_issuer(session, issuer)
        if not configs:
            raise AuthenticationError(f"no district signs in with issuer {issuer[:200]!r}")
        claims = await oidc.verify(
            token,
            issuer,
            sorted({config.audience for config in configs}),
            self.keys,
            self.settings.oidc_clock_skew_seconds,
        )
        audiences = oidc.token_audiences(claims)
        matched = [config for config in configs if config.audience in audiences]
        return claims, await sign_in.sign_in_user(self.sessionmaker, matched, claims)

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
        except oidc.ProviderUnavailable as error:
            await _send_error(
                send,
                503,
                "IDENTITY_PROVIDER_UNAVAILABLE",
                f"the identity provider's keys could not be fetched to check the token: {error}",
            )
            return
        scope.setdefault("state", {})["actor"] = actor
        if self.limiter is not None:
            verdict = await self.limiter.check(actor.user_id)
            if not verdict.allowed:
                RATE_LIMITED.inc()
                await _send_error(
                    send,
                    429,
                    "RATE_LIMITED",
                    f"more than {self.settings.rate_limit} requests: "
                    f"try again in {verdict.retry_after}s",
                    retry_after=verdict.retry_after,
                )
                return
        json_body = not uploading and "application/json" in headers.get("content-type", "").lower()
        await self._run_limited(scope, self._limit_body(receive, limit), send, limit, json_body)

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

    @staticmethod
    async def _checked_json(receive: Receive) -> Receive:
        """Read a JSON body (already bounded by ``_limit_body``), refuse it unless it is one
        operation, and hand the same bytes on to GraphQL."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BadRequest("the client disconnected before sending the whole body")
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = operation_problem(decode_json(body, "the request body"))
        if problem is not None:
            raise BadRequest(problem)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # after the body: a disconnect, when it comes
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    async def _run_limited(
        self, scope: Scope, receive: Receive, send: Send, limit: int, json_body: bool
    ) -> None:
        """Check the request's shape and run GraphQL, both within the time limit (a body that
        arrives slowly counts against it)."""
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        seconds = self.settings.request_timeout_seconds
        try:
            async with asyncio.timeout(seconds):
                if scope["method"] == "POST" and json_body:
                    receive = await self._checked_json(receive)
                await self.app(scope, receive, tracking_send)
        except BadRequest as error:
            if not started:
                await _send_error(send, 400, "BAD_REQUEST", str(error))
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
