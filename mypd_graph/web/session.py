"""The web app's session: who is signed in and since when, kept in a signed cookie (Starlette's
SessionMiddleware, itsdangerous), and the CSRF token every form carries.

The cookie holds ids and times only, never a token of the provider. Every request reloads the
user, so deactivating them or "log out everywhere" (``tokens_valid_after``) reaches a browser
that is already signed in: the sign-in time counts as the ``iat`` of a token would.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import select
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp

from mypd_graph import auth
from mypd_graph.db import SessionMaker
from mypd_graph.models import User
from mypd_graph.services.access import Actor, actor_for
from mypd_graph.settings import Settings

COOKIE = "mypd_session"
COOKIE_PATH = "/app"
# A working day: the provider is asked again at least this often, however busy the session.
MAX_AGE_SECONDS = 12 * 60 * 60
CSRF_FIELD = "csrf_token"


def with_sessions(app: ASGIApp, settings: Settings) -> ASGIApp:
    """``app`` behind the session cookie: signed, HttpOnly, SameSite=Lax, only sent to /app, and
    Secure in production (where the service is behind HTTPS)."""
    return SessionMiddleware(
        app,
        secret_key=settings.session_key,
        session_cookie=COOKIE,
        max_age=MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        same_site="lax",
        https_only=settings.is_production,
    )


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (a signed-out visitor gets one too: the
    sign-in forms are forms)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form: Any) -> bool:
    """The form carries the session's token. SameSite=Lax keeps the cookie off cross-site POSTs
    in current browsers, but not off posts from a sibling subdomain (same site) or in browsers
    without SameSite; such a page can send the cookie but cannot read the token."""
    expected = request.session.get("csrf")
    sent = form.get(CSRF_FIELD)
    return (
        isinstance(expected, str)
        and isinstance(sent, str)
        and bool(expected)
        and secrets.compare_digest(expected.encode(), sent.encode())
    )


def sign_in(request: Request, user: User, via: str) -> None:
    """Start a fresh session for ``user``: whatever the session held before (a visitor's CSRF
    token, a half-done provider sign-in) is dropped, so a planted cookie cannot carry over."""
    request.session.clear()
    request.session.update(
        uid=user.id, at=int(time.time()), via=via, csrf=secrets.token_urlsafe(32)
    )


def sign_out(request: Request) -> None:
    request.session.clear()


async def signed_in_actor(request: Request, sessionmaker: SessionMaker) -> Actor | None:
    """The actor the session names, or None (and the session cleared) when there is none, it
    began more than MAX_AGE_SECONDS ago, the user is gone or deactivated, or their sessions
    were revoked after this one began."""
    user_id, at = request.session.get("uid"), request.session.get("at")
    if not isinstance(user_id, int) or not isinstance(at, int):
        return None
    if time.time() - at > MAX_AGE_SECONDS:  # the cookie's age restarts at every response
        sign_out(request)
        return None
    async with sessionmaker() as session:
        user = await session.scalar(select(User).where(User.id == user_id))
    try:
        if user is None or not user.active:
            raise auth.AuthenticationError("the user is gone or deactivated")
        auth.check_not_revoked({"iat": at}, user.tokens_valid_after)
    except auth.AuthenticationError:
        sign_out(request)
        return None
    return actor_for(user)
