"""Sign-in settings, revocation ("log out everywhere"), just-in-time teachers and development
tokens in production: over GraphQL HTTP and the command line, against a real local provider."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import jwt
import pytest
from sqlalchemy import func, select, update

from mypd_graph import models
from mypd_graph.app import create_app
from mypd_graph.auth import ISSUER, mint_token
from mypd_graph.ids import to_global_id
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.settings import Settings, SettingsError
from tests.conftest import SECRET
from tests.factories import ADMIN, OUTSIDER, TEACHER_A, TEACHER_B, World
from tests.helpers import free_port
from tests.oidc_provider import CLIENT_ID, DISCOVERY, Provider, connect
from tests.oidc_provider import provider as provider  # the fixture, found by its name
from tests.test_oidc import assert_refused, refused, viewer_email

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

ROOT = Path(__file__).resolve().parents[1]
VIEWER = "{ viewer { email } }"
REVOKE = """
mutation($input: RevokeUserTokensInput!) {
  revokeUserTokens(input: $input) { userId tokensValidAfter userErrors { field message code } }
}"""
SET = """
mutation($input: SetDistrictSignInInput!) {
  setDistrictSignIn(input: $input) {
    signIn { issuer audience userClaim jitDomains }
    userErrors { field message code }
  }
}"""
READ = "{ districtSignIn { issuer audience userClaim jitDomains } }"


async def audit_events(db: TestDatabase, action: str) -> list[models.AuditEvent]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(models.AuditEvent).where(models.AuditEvent.action == action)
        )
        return list(rows)


async def mypd_graph(db: TestDatabase, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in a process of its own, against the test's database."""
    env = {**os.environ, "MYPD_SECRET_KEY": SECRET, "MYPD_DATABASE_URL": db.url}
    command = [sys.executable, "-m", "mypd_graph", *args]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, cwd=ROOT, timeout=120, env=env
    )


# --------------------------------------------------------------------------------------------------
# Development tokens in production
# --------------------------------------------------------------------------------------------------


@asynccontextmanager
async def served(
    settings: Settings, db: TestDatabase, plugins: PluginSet
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, plugins=plugins, engine=db.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_development_tokens_are_refused_in_production_unless_allowed(
    db: TestDatabase, world: World, plugins: PluginSet
) -> None:
    token = mint_token(SECRET, world.id(TEACHER_A), TEACHER_A)
    for allow, status in ((None, 401), (False, 401), (True, 200)):
        settings = Settings(
            database_url=db.url, secret_key=SECRET, environment="prod", allow_dev_tokens=allow
        )
        async with served(settings, db, plugins) as http:
            response = await http.post(
                "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
            )
        assert response.status_code == status, (allow, response.text)
        if status == 401:
            assert "development tokens are not accepted in production" in response.text
            assert "MYPD_ALLOW_DEV_TOKENS" in response.text


def test_the_development_token_setting() -> None:
    production = {"MYPD_ENVIRONMENT": "production", "MYPD_SECRET_KEY": SECRET}
    assert not Settings.from_env(production).dev_tokens_allowed
    assert Settings.from_env({**production, "MYPD_ALLOW_DEV_TOKENS": "yes"}).dev_tokens_allowed
    assert Settings.from_env({}).dev_tokens_allowed
    assert not Settings.from_env({"MYPD_ALLOW_DEV_TOKENS": "off"}).dev_tokens_allowed
    with pytest.raises(SettingsError, match="MYPD_ALLOW_DEV_TOKENS"):
        Settings.from_env({"MYPD_ALLOW_DEV_TOKENS": "maybe"})
    with pytest.raises(SettingsError, match="MYPD_OIDC_CLOCK_SKEW"):
        Settings.from_env({"MYPD_OIDC_CLOCK_SKEW": "-5"})


# --------------------------------------------------------------------------------------------------
# Log out everywhere
# --------------------------------------------------------------------------------------------------


def dev_token(user_id: int, issued: int | None) -> str:
    claims: dict[str, object] = {"sub": str(user_id), "iss": ISSUER, "exp": 4_000_000_000}
    if issued is not None:
        claims["iat"] = issued
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def test_an_admin_signs_a_user_out_everywhere(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    await connect(db, world.district_id, provider.issuer)
    old = {
        "development": client.token_for(TEACHER_A),
        "provider": provider.token(TEACHER_A),
        "provider, no iat": provider.token(TEACHER_A, iat=None),
        "development, no iat": dev_token(world.id(TEACHER_A), None),
    }
    for token in old.values():
        assert await viewer_email(client, token) == TEACHER_A
    bystander = client.token_for(TEACHER_B)

    user_id = to_global_id("User", world.id(TEACHER_A))
    data = await client.execute(REVOKE, {"input": {"userId": user_id}}, as_=ADMIN)
    payload = data["revokeUserTokens"]
    assert payload["userErrors"] == [] and payload["userId"] == user_id
    valid_after = int(datetime.fromisoformat(payload["tokensValidAfter"]).timestamp())

    for name, token in old.items():
        says = "revoked" if "no iat" not in name else "does not say when it was issued"
        await refused(client, token, says)
    # Signing in again (from the next second on) gives tokens that work; nobody else was
    # signed out.
    await asyncio.sleep(max(0.0, valid_after - time.time()))
    assert await viewer_email(client, provider.token(TEACHER_A, iat=valid_after)) == TEACHER_A
    assert await viewer_email(client, dev_token(world.id(TEACHER_A), valid_after)) == TEACHER_A
    assert await viewer_email(client, bystander) == TEACHER_B
    [event] = await audit_events(db, "revoke_tokens")
    assert event.user_id == world.id(ADMIN) and event.entity_ids == [str(world.id(TEACHER_A))]
    assert event.district_id == world.district_id


async def test_only_the_districts_admin_signs_users_out(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    user_id = to_global_id("User", world.id(TEACHER_A))
    for who, code in ((TEACHER_B, "FORBIDDEN"), (OUTSIDER, "NOT_FOUND")):
        data = await client.execute(REVOKE, {"input": {"userId": user_id}}, as_=who)
        payload = data["revokeUserTokens"]
        assert [error["code"] for error in payload["userErrors"]] == [code], who
        assert payload["tokensValidAfter"] is None
    data = await client.execute(REVOKE, {"input": {"userId": "not-an-id"}}, as_=ADMIN)
    assert data["revokeUserTokens"]["userErrors"][0]["code"] == "BAD_ID"
    assert await viewer_email(client, client.token_for(TEACHER_A)) == TEACHER_A
    assert await audit_events(db, "revoke_tokens") == []


async def test_the_operator_signs_a_user_out_from_the_command_line(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    token = client.token_for(TEACHER_A)
    result = await mypd_graph(db, "user", "revoke-tokens", "--email", "Ana.Teacher@test.mypd")
    assert result.returncode == 0, result.stderr
    assert f"tokens of {TEACHER_A} issued before" in result.stdout
    await refused(client, token, "revoked")
    result = await mypd_graph(db, "user", "revoke-tokens", "--email", "nobody@test.mypd")
    assert result.returncode == 1 and "no user with email 'nobody@test.mypd'" in result.stderr
    [event] = await audit_events(db, "revoke_tokens")
    assert event.user_id is None and event.district_id == world.district_id


# --------------------------------------------------------------------------------------------------
# Just-in-time teachers
# --------------------------------------------------------------------------------------------------


async def test_just_in_time_teachers_only_for_listed_domains(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    newcomer = "nia.new@test.mypd"
    token = provider.token(newcomer, name="Nia Newcomer")
    await connect(db, world.district_id, provider.issuer)  # off by default
    await refused(client, token, f"no active user with email '{newcomer}' in district test")

    async with db.sessionmaker.begin() as session:
        await session.execute(update(models.DistrictSignIn).values(jit_domains=["test.mypd"]))
    for _ in range(2):  # created once, then found
        response = await client.post("{ viewer { email name role } }", None, token=token)
        assert response.json()["data"]["viewer"] == {
            "email": newcomer,
            "name": "Nia Newcomer",
            "role": "TEACHER",
        }
    async with db.sessionmaker() as session:
        user = await session.scalar(select(models.User).where(models.User.email == newcomer))
        assert user is not None and user.district_id == world.district_id and user.active
        assert await session.get(models.TeacherProfile, user.id) is not None
        count = await session.scalar(select(func.count()).where(models.User.email == newcomer))
        assert count == 1
    [event] = await audit_events(db, "create")
    assert event.entity == "user" and event.entity_ids == [str(user.id)]
    assert "just-in-time" in event.detail
    # Other domains, and users of another district, are still refused.
    await refused(client, provider.token("someone@elsewhere.org"), "no active user")
    await refused(client, provider.token(OUTSIDER), "no active user")


# --------------------------------------------------------------------------------------------------
# Connecting the district's provider
# --------------------------------------------------------------------------------------------------


async def test_an_admin_connects_the_districts_provider(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    assert await client.execute(READ, as_=ADMIN) == {"districtSignIn": None}
    wanted = {"issuer": provider.issuer, "audience": CLIENT_ID, "jitDomains": ["@Test.MYPD"]}
    data = await client.execute(SET, {"input": wanted}, as_=ADMIN)
    saved = {**wanted, "userClaim": "email", "jitDomains": ["test.mypd"]}
    assert data["setDistrictSignIn"] == {"signIn": saved, "userErrors": []}
    assert provider.hits[DISCOVERY] == 1  # checked before saving
    assert await client.execute(READ, as_=ADMIN) == {"districtSignIn": saved}
    # The district's people now sign in with the provider's tokens.
    assert await viewer_email(client, provider.token(TEACHER_A)) == TEACHER_A
    [event] = await audit_events(db, "update")
    assert event.entity == "district_sign_in" and event.user_id == world.id(ADMIN)
    # The other district's admin sees their own district's settings: none.
    assert await client.execute(READ, as_=OUTSIDER) == {"districtSignIn": None}


async def test_sign_in_settings_are_checked_before_anything_is_saved(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    def attempt(**changes: object) -> dict[str, object]:
        return {"input": {"issuer": provider.issuer, "audience": CLIENT_ID, **changes}}

    async def errors(variables: dict[str, object], as_: str = ADMIN) -> list[tuple[str, str]]:
        data = await client.execute(SET, variables, as_=as_)
        assert data["setDistrictSignIn"]["signIn"] is None
        return [(e["code"], e["message"]) for e in data["setDistrictSignIn"]["userErrors"]]

    [(code, _)] = await errors(attempt(), as_=TEACHER_A)
    assert code == "FORBIDDEN"
    assert provider.hits[DISCOVERY] == 0  # a teacher cannot make the service fetch URLs
    body = await client.raw(READ, as_=TEACHER_A)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    [(_, message)] = await errors(attempt(issuer="http://idp.example.org"))
    assert "must be an https" in message
    down = f"http://127.0.0.1:{free_port()}"
    [(_, message)] = await errors(attempt(issuer=down))
    assert "could not be reached" in message
    provider.discovery_issuer = "https://impostor.example"
    [(_, message)] = await errors(attempt())
    assert "names issuer 'https://impostor.example'" in message
    problems = await errors(attempt(userClaim="not a claim", jitDomains=["not a domain"]))
    assert len(problems) == 2
    assert await client.execute(READ, as_=ADMIN) == {"districtSignIn": None}
    assert await audit_events(db, "update") == []


async def test_the_operator_connects_a_district_from_the_command_line(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    args = ["district", "sso", "--district", "test", "--audience", CLIENT_ID]
    result = await mypd_graph(db, *args, "--issuer", provider.issuer, "--jit-domain", "test.mypd")
    assert result.returncode == 0, result.stderr
    assert f"district test signs in with {provider.issuer}" in result.stdout
    assert "just-in-time teachers: test.mypd" in result.stdout
    async with db.sessionmaker() as session:
        row = await session.get(models.DistrictSignIn, world.district_id)
        assert row is not None and (row.issuer, row.audience) == (provider.issuer, CLIENT_ID)
        assert row.user_claim == "email" and row.jit_domains == ["test.mypd"]
    assert await viewer_email(client, provider.token(TEACHER_A)) == TEACHER_A

    down = f"http://127.0.0.1:{free_port()}"
    result = await mypd_graph(db, *args, "--issuer", down)
    assert result.returncode == 1 and "could not be reached" in result.stderr
    provider.discovery_issuer = "https://impostor.example"
    result = await mypd_graph(db, *args, "--issuer", provider.issuer, "--claim", "upn")
    assert result.returncode == 1 and "names issuer 'https://impostor.example'" in result.stderr
    provider.discovery_issuer = None
    result = await mypd_graph(
        db, *args[:2], "--district", "nope", *args[4:], "--issuer", provider.issuer
    )
    assert result.returncode == 1 and "no district with key 'nope'" in result.stderr
    async with db.sessionmaker() as session:
        row = await session.get(models.DistrictSignIn, world.district_id)
        assert row is not None and row.user_claim == "email"  # failed attempts changed nothing
    response = await client.post(VIEWER, None, token=provider.token(TEACHER_A, aud="x"))
    assert_refused(response, "audience")


async def test_simultaneous_first_sign_ins_create_one_teacher(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    await connect(db, world.district_id, provider.issuer, jit_domains=("test.mypd",))
    token = provider.token("first.day@test.mypd")
    responses = await asyncio.gather(*(client.post(VIEWER, None, token=token) for _ in range(6)))
    assert [response.status_code for response in responses] == [200] * 6
    async with db.sessionmaker() as session:
        users = await session.scalar(
            select(func.count()).where(models.User.email == "first.day@test.mypd")
        )
    assert users == 1
    assert len(await audit_events(db, "create")) == 1
