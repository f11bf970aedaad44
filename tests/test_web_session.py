"""The web app's session over HTTP: development sign-in, the cookie's flags, CSRF refusals,
logout, and sessions that end when their user is deactivated or signed out everywhere."""

from __future__ import annotations

import json
import time
from base64 import b64encode
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import update

from mypd_graph import models
from mypd_graph.settings import Settings, SettingsError
from mypd_graph.web.core import safe_next
from mypd_graph.web.session import MAX_AGE_SECONDS
from tests.conftest import SECRET
from tests.factories import ADMIN, COACH, TEACHER_A, World
from tests.web_helpers import csrf_of, dev_sign_in, web_client

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def session_cookie(set_cookie: str) -> SimpleCookie:
    cookie = SimpleCookie()
    cookie.load(set_cookie)
    assert "mypd_session" in cookie, set_cookie
    return cookie


async def test_signed_out_visitors_go_to_the_sign_in_page(db, world, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        home = await http.get("/app/")
        assert home.status_code == 303
        assert home.headers["location"] == "/app/login?next=%2Fapp%2F"
        page = await http.get("/app/login")
    assert page.status_code == 200
    assert "Sign in as Ana Alvarez" in page.text
    # Every HTML page gets the service's Content-Security-Policy: no inline scripts.
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


async def test_development_sign_in_sets_a_signed_http_only_lax_cookie(
    db, world: World, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        signed_in = await dev_sign_in(http, TEACHER_A)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/app/"
        morsel = session_cookie(signed_in.headers["set-cookie"])["mypd_session"]
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "lax"
        assert morsel["path"] == "/app"  # never sent to /graphql or anywhere else
        assert not morsel["secure"]  # development over http://127.0.0.1
        home = await http.get("/app/")
        assert home.status_code == 200 and "Welcome, Ana Alvarez" in home.text
        # A cookie that was tampered with is no session at all.
        http.cookies.set("mypd_session", morsel.value[:-2] + "xx", path="/app")
        assert (await http.get("/app/")).status_code == 303


async def test_the_session_cookie_is_no_credential_for_graphql(
    db, world: World, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, TEACHER_A)
        cookie = http.cookies.get("mypd_session")
        answer = await http.post(
            "/graphql",
            json={"query": "{ viewer { name } }"},
            headers={"cookie": f"mypd_session={cookie}"},
        )
    assert answer.status_code == 401


async def test_sign_in_without_the_forms_token_is_refused(
    db, world: World, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await http.get("/app/login")  # the visitor's session has a token; the forger lacks it
        for token in ("", "guessed"):
            refused = await http.post(
                "/app/login/dev", data={"csrf_token": token, "email": TEACHER_A}
            )
            assert refused.status_code == 403, token
            assert "The form had expired" in refused.text
            assert (await http.get("/app/")).status_code == 303


async def test_logout_needs_the_token_and_ends_the_session(
    db, world: World, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, TEACHER_A)
        home = await http.get("/app/")
        refused = await http.post("/app/logout", data={"csrf_token": "forged"})
        assert refused.status_code == 403
        assert (await http.get("/app/")).status_code == 200  # still signed in
        out = await http.post("/app/logout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303 and out.headers["location"] == "/app/login"
        assert (await http.get("/app/")).status_code == 303


async def test_a_new_session_gets_a_new_csrf_token(db, world: World, settings, plugins) -> None:
    """A token a visitor saw before signing in (perhaps planted) is worthless afterwards."""
    async with web_client(db, settings, plugins) as http:
        before = csrf_of((await http.get("/app/login")).text)
        await dev_sign_in(http, TEACHER_A)
        after = csrf_of((await http.get("/app/")).text)
        assert before != after
        assert (await http.post("/app/logout", data={"csrf_token": before})).status_code == 403


@pytest.mark.parametrize("change", ["deactivated", "revoked"])
async def test_a_deactivated_or_revoked_user_is_signed_out(
    db: TestDatabase, world: World, settings, plugins, change: str
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, TEACHER_A)
        assert (await http.get("/app/")).status_code == 200
        values = (
            {"active": False}
            if change == "deactivated"
            else {"tokens_valid_after": datetime.now(UTC) + timedelta(seconds=1)}
        )
        async with db.sessionmaker.begin() as session:
            await session.execute(
                update(models.User).where(models.User.id == world.id(TEACHER_A)).values(**values)
            )
        signed_out = await http.get("/app/")
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].startswith("/app/login")
        # The session is cleared, not only refused: the cookie is replaced.
        assert "mypd_session=null" in signed_out.headers.get("set-cookie", "")


async def test_production_lists_no_accounts_and_refuses_development_sign_in(
    db: TestDatabase, world: World, plugins
) -> None:
    production = Settings(database_url=db.url, secret_key=SECRET, environment="production")
    async with web_client(db, production, plugins, base_url="https://test") as http:
        page = await http.get("/app/login")
        assert page.status_code == 200
        assert "Sign in as" not in page.text and "Development sign-in" not in page.text
        refused = await http.post("/app/login/dev", data={"csrf_token": "x", "email": ADMIN})
        assert refused.status_code == 404
        assert (await http.get("/app/")).status_code == 303
        # The cookie a visitor gets in production is Secure.
        morsel = session_cookie(page.headers["set-cookie"])["mypd_session"]
        assert morsel["secure"] is True


async def test_other_roles_land_on_their_pages(db, world: World, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, COACH)
        page = await http.get("/app/")
    assert page.status_code == 200
    assert "Your pages" in page.text and 'href="/app/teachers?status=SUBMITTED"' in page.text
    assert "Self-assessment" not in page.text  # a teacher's page, not in a coach's menu


async def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    db, world: World, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        back = await dev_sign_in(http, TEACHER_A, next_page="/app/self-assessment")
        assert back.headers["location"] == "/app/self-assessment"
    for hostile in ("https://evil.example/", "//evil.example/app", "/\\evil.example", "/other"):
        assert safe_next(hostile) == "/app/"


def test_the_session_key_is_its_own_setting_or_derived_from_the_secret() -> None:
    derived = Settings.from_env({"MYPD_SECRET_KEY": SECRET})
    assert derived.session_key not in ("", SECRET) and len(derived.session_key) == 64
    assert Settings.from_env({"MYPD_SECRET_KEY": "another" * 8}).session_key != derived.session_key
    own = Settings.from_env({"MYPD_SECRET_KEY": SECRET, "MYPD_SESSION_SECRET": "s" * 40})
    assert own.session_key == "s" * 40
    assert Settings.from_env({"MYPD_WEB_CLIENT_SECRET": "x"}).web_client_secret == "x"
    with pytest.raises(SettingsError, match="MYPD_SESSION_SECRET"):
        Settings.from_env(
            {
                "MYPD_ENVIRONMENT": "production",
                "MYPD_SECRET_KEY": SECRET,
                "MYPD_SESSION_SECRET": "short",
            }
        )


async def test_a_cookie_signed_with_another_key_is_no_session(
    db, world: World, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, TEACHER_A)
        cookie = http.cookies.get("mypd_session")
    async with web_client(db, settings, plugins) as http:  # the cookie alone is the session
        http.cookies.set("mypd_session", cookie, path="/app")
        assert (await http.get("/app/")).status_code == 200
    rotated = Settings(database_url=db.url, secret_key=SECRET, session_secret="r" * 40)
    async with web_client(db, rotated, plugins) as http:
        http.cookies.set("mypd_session", cookie, path="/app")
        assert (await http.get("/app/")).status_code == 303


async def test_the_sign_in_page_sends_a_signed_in_user_on(
    db, world: World, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, TEACHER_A)
        again = await http.get("/app/login?next=/app/self-assessment")
    assert again.status_code == 303 and again.headers["location"] == "/app/self-assessment"


async def test_pages_keep_the_services_time_limit(db: TestDatabase, world: World, plugins) -> None:
    hurried = Settings(database_url=db.url, secret_key=SECRET, request_timeout_seconds=0.0001)
    async with web_client(db, hurried, plugins) as http:
        await dev_sign_in(http, TEACHER_A)
        slow = await http.get("/app/")
    assert slow.status_code == 503 and "took too long" in slow.text


async def test_a_session_ends_a_working_day_after_sign_in_however_busy(
    db, world: World, settings: Settings, plugins
) -> None:
    """The cookie's own expiry restarts with every response; the sign-in time does not."""
    signer = TimestampSigner(settings.session_key)

    def cookie(signed_in_at: int) -> str:
        data = {"uid": world.id(TEACHER_A), "at": signed_in_at, "csrf": "t"}
        return signer.sign(b64encode(json.dumps(data).encode())).decode()

    async with web_client(db, settings, plugins) as http:
        http.cookies.set("mypd_session", cookie(int(time.time()) - 60), path="/app")
        assert (await http.get("/app/")).status_code == 200
        http.cookies.set(
            "mypd_session", cookie(int(time.time()) - MAX_AGE_SECONDS - 1), path="/app"
        )
        assert (await http.get("/app/")).status_code == 303
