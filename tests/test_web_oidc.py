"""Signing in to the web app with the district's provider: the authorization-code flow with
PKCE against a real local provider (tests/oidc_code_provider.py), and what it refuses."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from mypd_graph.settings import Settings
from tests.conftest import SECRET
from tests.factories import OUTSIDER, TEACHER_A, World
from tests.oidc_code_provider import AUTHORIZE, CodeProvider
from tests.oidc_code_provider import code_provider as code_provider  # the fixture
from tests.oidc_provider import CLIENT_ID, connect
from tests.web_helpers import web_client

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


async def provider_round_trip(app: httpx.AsyncClient, start: str) -> httpx.Response:
    """What a browser does: our redirect to the provider, the provider's back to us."""
    to_provider = await app.get(start)
    assert to_provider.status_code == 303, to_provider.text
    back = httpx.get(to_provider.headers["location"])  # the provider, over real HTTP
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}" == str(app.base_url)
    return await app.get(f"{callback.path}?{callback.query}")


@pytest.fixture
async def connected(db: TestDatabase, world: World, code_provider: CodeProvider) -> CodeProvider:
    await connect(db, world.district_id, code_provider.issuer)
    return code_provider


async def test_a_teacher_signs_in_with_the_code_flow_and_pkce(
    db, world: World, settings, plugins, connected: CodeProvider
) -> None:
    connected.email = TEACHER_A
    async with web_client(db, settings, plugins) as http:
        login = await http.get("/app/login")
        assert "Sign in with Test Unified" in login.text
        done = await provider_round_trip(http, "/app/login?district=test&next=/app/self-assessment")
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/app/self-assessment"
        assert "Welcome, Ana Alvarez" in (await http.get("/app/")).text

    [asked] = connected.authorizations
    assert urlsplit(asked["redirect_uri"]).path == "/app/callback"
    assert asked["client_id"] == CLIENT_ID and asked["response_type"] == "code"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert set(asked["scope"].split()) >= {"openid", "email"}
    assert asked["state"] and asked["nonce"] and asked["state"] != asked["nonce"]
    [exchanged] = connected.token_requests
    assert 43 <= len(exchanged["code_verifier"]) <= 128
    assert exchanged["code_verifier"] not in str(asked)  # only its hash travels the browser


async def test_the_client_secret_comes_from_the_settings(
    db: TestDatabase, world: World, plugins, connected: CodeProvider
) -> None:
    connected.email, connected.client_secret = TEACHER_A, "the-registration-secret"
    right = Settings(
        database_url=db.url, secret_key=SECRET, web_client_secret="the-registration-secret"
    )
    wrong = Settings(database_url=db.url, secret_key=SECRET, web_client_secret="not-it")
    async with web_client(db, wrong, plugins) as http:
        refused = await provider_round_trip(http, "/app/login?district=test")
        assert refused.status_code == 403 and "invalid_client" in refused.text
    async with web_client(db, right, plugins) as http:
        assert (await provider_round_trip(http, "/app/login?district=test")).status_code == 303


@pytest.mark.parametrize(
    ("email", "claims", "says"),
    [
        (OUTSIDER, {}, "no active user with email"),  # a user of another district
        ("nobody@test.mypd", {}, "no active user with email"),
        (TEACHER_A, {"nonce": "another-sign-in"}, "not issued for this sign-in"),
        (TEACHER_A, {"aud": "another-client"}, "not meant for this service"),
        (TEACHER_A, {"email_verified": False}, "has not verified the email"),
    ],
)
async def test_tokens_the_api_would_refuse_sign_no_one_in(
    db, world: World, settings, plugins, connected: CodeProvider, email, claims, says
) -> None:
    connected.email, connected.claims = email, claims
    async with web_client(db, settings, plugins) as http:
        refused = await provider_round_trip(http, "/app/login?district=test")
        assert refused.status_code == 403
        assert says in refused.text
        assert (await http.get("/app/")).status_code == 303


async def test_a_callback_not_started_here_or_replayed_is_refused(
    db, world: World, settings, plugins, connected: CodeProvider
) -> None:
    connected.email = TEACHER_A
    async with web_client(db, settings, plugins) as http:
        to_provider = await http.get("/app/login?district=test")
        back = urlsplit(httpx.get(to_provider.headers["location"]).headers["location"])
        query = parse_qs(back.query)
        forged = await http.get(f"/app/callback?code={query['code'][0]}&state=forged")
        assert forged.status_code == 400 and "not started here" in forged.text
        # The forged attempt used up the pending sign-in: the real callback is refused too.
        assert (await http.get(f"{back.path}?{back.query}")).status_code == 400
        assert (await http.get("/app/")).status_code == 303
    async with web_client(db, settings, plugins) as other_browser:
        stolen = await other_browser.get(f"{back.path}?{back.query}")
        assert stolen.status_code == 400


async def test_an_unknown_district_or_a_provider_that_is_down(
    db: TestDatabase, world: World, settings, plugins, connected: CodeProvider
) -> None:
    async with web_client(db, settings, plugins) as http:
        unknown = await http.get("/app/login?district=nowhere")
        assert unknown.status_code == 404 and "No district" in unknown.text
        connected.stop()
        down = await http.get("/app/login?district=test")
        assert down.status_code == 503 and "cannot be reached" in down.text


async def test_the_provider_saying_no_is_shown(
    db, world: World, settings, plugins, connected: CodeProvider
) -> None:
    async with web_client(db, settings, plugins) as http:
        to_provider = await http.get("/app/login?district=test")
        state = parse_qs(urlsplit(to_provider.headers["location"]).query)["state"][0]
        denied = await http.get(
            f"/app/callback?error=access_denied&error_description=User+cancelled&state={state}"
        )
    assert denied.status_code == 400 and "User cancelled" in denied.text
    assert AUTHORIZE in to_provider.headers["location"]


async def test_a_just_in_time_teacher_lands_on_their_new_home(
    db: TestDatabase, world: World, settings, plugins, code_provider: CodeProvider
) -> None:
    """Created on first sign-in, with no school, focus, plan or data yet: still a home page."""
    await connect(db, world.district_id, code_provider.issuer, jit_domains=("test.mypd",))
    code_provider.email = "newcomer@test.mypd"
    code_provider.claims = {"name": "Nia Newcomer"}
    async with web_client(db, settings, plugins) as http:
        assert (await provider_round_trip(http, "/app/login?district=test")).status_code == 303
        home = await http.get("/app/")
        assert home.status_code == 200, home.text
        assert "Welcome, Nia Newcomer" in home.text
        assert "No focus elements chosen yet." in home.text
        assert (await http.get("/app/self-assessment")).status_code == 200


async def test_the_api_and_the_web_app_share_the_providers_keys(
    db, world: World, settings, plugins, connected: CodeProvider
) -> None:
    """One cache of a provider's keys per process: signing in on the web app fetches them, and
    /graphql then checks the provider's tokens without fetching them again."""
    connected.email = TEACHER_A
    async with web_client(db, settings, plugins) as http:
        done = await provider_round_trip(http, "/app/login?district=test")
        assert done.status_code == 303, done.text
        assert connected.jwks_fetches == 1
        now = int(time.time())
        claims = {
            "iss": connected.issuer,
            "aud": CLIENT_ID,
            "sub": "sub-a",
            "email": TEACHER_A,
            "email_verified": True,
            "iat": now,
            "exp": now + 600,
        }
        key = connected.key
        token = jwt.encode(claims, key.private, key.algorithm, headers={"kid": key.kid})
        answer = await http.post(
            "/graphql",
            json={"query": "{ viewer { role } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"data": {"viewer": {"role": "TEACHER"}}}
    assert connected.jwks_fetches == 1
