"""Signing in and out of the web app: the sign-in page, the district's provider (the code flow of
:mod:`mypd_graph.web.oidc_flow`), development sign-in as a listed account, and logout.

These run before anyone is signed in, so they read the few rows they need (districts that sign
in with a provider, the accounts a developer may pick) directly rather than through GraphQL.
"""

from __future__ import annotations

import logging

from sqlalchemy import case, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

import mypd_graph.web.oidc_flow as oidc_flow
import mypd_graph.web.session as session
from mypd_graph import oidc
from mypd_graph.auth import AuthenticationError
from mypd_graph.models import District, DistrictSignIn, User
from mypd_graph.services.people import sign_in as sign_in_service
from mypd_graph.web.core import render, safe_next, web_of

log = logging.getLogger(__name__)
PENDING = "oidc"
CALLBACK = "/app/callback"
# The README tour's accounts come first on the development sign-in page.
DEMO_ACCOUNTS = (
    "elena.ramirez@demo.mypd.test",
    "david.chen@demo.mypd.test",
    "robert.nakamura@demo.mypd.test",
    "admin@demo.mypd.test",
)
MAX_LISTED = 40


async def _districts(request: Request) -> list[tuple[str, str]]:
    """(key, name) of every district that signs in with a provider."""
    async with web_of(request).sessionmaker() as db:
        rows = await db.execute(
            select(District.key, District.name)
            .join(DistrictSignIn, DistrictSignIn.district_id == District.id)
            .order_by(District.name)
        )
        return [(key, name) for key, name in rows]


async def _dev_accounts(request: Request) -> list[User]:
    """Active users to sign in as in development: the demo's well-known accounts first."""
    first = case({email: index for index, email in enumerate(DEMO_ACCOUNTS)}, value=User.email)
    async with web_of(request).sessionmaker() as db:
        users = await db.scalars(
            select(User)
            .where(User.active.is_(True), User.role != "importer")
            .order_by(first.nulls_last(), User.role, User.name)
            .limit(MAX_LISTED)
        )
        return list(users)


def _dev_sign_in_on(request: Request) -> bool:
    return not web_of(request).settings.is_production


async def login_page(request: Request, problem: str = "", status_code: int = 200) -> Response:
    """GET /app/login: the districts' sign-in buttons (and, in development, the accounts to
    sign in as); with ``?district=KEY``, straight to that district's provider."""
    key = request.query_params.get("district")
    if key and not problem:
        return await start_provider_sign_in(request, key)
    if not problem and await session.signed_in_actor(request, web_of(request).sessionmaker):
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return render(
        request,
        "login.html",
        status_code=status_code,
        title="Sign in",
        problem=problem,
        districts=await _districts(request),
        accounts=await _dev_accounts(request) if _dev_sign_in_on(request) else [],
        next=safe_next(request.query_params.get("next")),
    )


async def start_provider_sign_in(request: Request, key: str) -> Response:
    web = web_of(request)
    async with web.sessionmaker() as db:
        row = await db.scalar(
            select(DistrictSignIn).join(District).where(District.key == key.strip().lower())
        )
    if row is None:
        return await login_page(request, f"No district {key[:60]!r} signs in here.", 404)
    # Where the provider sends the browser back: this host, as the browser reached it (behind a
    # proxy, run uvicorn with --proxy-headers so scheme and host are the public ones).
    redirect_uri = str(request.url.replace(path=CALLBACK, query=""))
    try:
        url, pending = await oidc_flow.start(
            web.settings, key.strip().lower(), row.issuer, row.audience, redirect_uri
        )
    except oidc.ProviderUnavailable as error:
        log.warning("sign-in with %s: %s", row.issuer, error)
        message = "Your district's sign-in service cannot be reached just now; try again soon."
        return await login_page(request, message, 503)
    request.session[PENDING] = pending.to_session()
    request.session["next"] = safe_next(request.query_params.get("next"))
    return RedirectResponse(url, status_code=303)


async def callback(request: Request) -> Response:
    """GET /app/callback: the provider sends the browser back here with a code (or an error)."""
    web = web_of(request)
    pending = oidc_flow.Pending.from_session(request.session.pop(PENDING, None))
    state, code = request.query_params.get("state"), request.query_params.get("code")
    if pending is None or state != pending.state:
        return await login_page(request, "That sign-in had expired or was not started here.", 400)
    if request.query_params.get("error") or not code:
        reason = request.query_params.get("error_description") or "no code came back"
        return await login_page(request, f"Your district's sign-in said: {reason[:200]}", 400)
    try:
        claims = await oidc_flow.finish(web.settings, web.keys, pending, code)
        async with web.sessionmaker() as db:
            configs = await sign_in_service.configs_for_issuer(db, pending.issuer)
        configs = [c for c in configs if c.district_key == pending.district]
        if not configs or configs[0].audience != pending.client_id:
            raise AuthenticationError("the district's sign-in changed during the sign-in")
        user = await sign_in_service.sign_in_user(web.sessionmaker, configs, claims)
    except AuthenticationError as error:
        return await login_page(request, f"You could not be signed in: {error}", 403)
    except oidc.ProviderUnavailable as error:
        log.warning("sign-in with %s: %s", pending.issuer, error)
        message = "Your district's sign-in service cannot be reached just now; try again soon."
        return await login_page(request, message, 503)
    next_page = safe_next(request.session.get("next"))
    session.sign_in(request, user, "oidc")
    return RedirectResponse(next_page, status_code=303)


async def dev_sign_in(request: Request) -> Response:
    """POST /app/login/dev: sign in as a listed account, outside production only."""
    if not _dev_sign_in_on(request):
        return render(request, "error.html", 404, title="Not found", message="Not found.")
    form = await request.form()
    if not session.csrf_ok(request, form):
        return await login_page(request, "The form had expired; please try again.", 403)
    email = str(form.get("email", "")).strip().lower()
    async with web_of(request).sessionmaker() as db:
        user = await db.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        return await login_page(request, f"No active user {email[:80]!r}.", 403)
    session.sign_in(request, user, "development")
    return RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)


async def logout(request: Request) -> Response:
    """POST /app/logout: forget the session (the provider's own session is the provider's)."""
    form = await request.form()
    if not session.csrf_ok(request, form):
        return render(
            request,
            "error.html",
            403,
            title="Form expired",
            message="The form had expired; go back, reload the page and try again.",
        )
    session.sign_out(request)
    return RedirectResponse("/app/login", status_code=303)
