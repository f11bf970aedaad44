"""Sign-in with a district's identity provider, over HTTP: tokens of a real local OpenID Connect
provider (tests/oidc_provider.py) reach /graphql and are accepted or refused, and why."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import update

from mypd_graph import models, oidc
from mypd_graph.auth import AuthenticationError
from tests.factories import ADMIN, OUTSIDER, TEACHER_A, World
from tests.helpers import free_port
from tests.oidc_provider import CLIENT_ID, DISCOVERY, Provider, connect, ec_key, rsa_key
from tests.oidc_provider import provider as provider  # the fixture, found by its name

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

VIEWER = "{ viewer { email } }"


async def viewer_email(client: GraphQLClient, token: str) -> str:
    response = await client.post(VIEWER, None, token=token)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["viewer"]["email"])


def assert_refused(response: httpx.Response, says: str) -> None:
    assert response.status_code == 401, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert says in error["message"], error["message"]
    assert "data" not in response.json()


async def refused(client: GraphQLClient, token: str, says: str) -> None:
    assert_refused(await client.post(VIEWER, None, token=token), says)


async def test_good_rs256_and_es256_tokens_sign_in(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    await connect(db, world.district_id, provider.issuer)
    assert await viewer_email(client, provider.token(TEACHER_A)) == TEACHER_A
    assert await viewer_email(client, provider.token(TEACHER_A, provider.ec)) == TEACHER_A
    # An access token carrying several audiences, ours among them, and the email in any case.
    token = provider.token("Ana.Teacher@TEST.mypd", aud=["https://api.example", CLIENT_ID])
    assert await viewer_email(client, token) == TEACHER_A
    # The discovery document and the keys were fetched once, then cached.
    assert provider.hits[DISCOVERY] == 1 and provider.jwks_fetches == 1


async def test_audience_issuer_and_lifetime_are_checked(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    await connect(db, world.district_id, provider.issuer)
    now = int(time.time())
    await refused(client, provider.token(TEACHER_A, aud="someone-elses-app"), "audience")
    await refused(client, provider.token(TEACHER_A, aud=None), "aud")
    await refused(
        client,
        provider.token(TEACHER_A, iss="https://accounts.example.org"),
        "no district signs in with issuer 'https://accounts.example.org'",
    )
    await refused(client, provider.token(TEACHER_A, iss=None), "names no issuer")
    await refused(client, provider.token(TEACHER_A, exp=now - 120), "expired")
    await refused(client, provider.token(TEACHER_A, exp=None), "exp")
    await refused(client, provider.token(TEACHER_A, nbf=now + 300), "not yet valid")
    # Within the clock skew (60 s by default) the same checks let the token through.
    assert await viewer_email(client, provider.token(TEACHER_A, exp=now - 20)) == TEACHER_A
    assert await viewer_email(client, provider.token(TEACHER_A, nbf=now + 20)) == TEACHER_A


async def test_rotated_keys_are_fetched_once_and_unknown_kids_cannot_flood_the_provider(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    await connect(db, world.district_id, provider.issuer)
    assert await viewer_email(client, provider.token(TEACHER_A)) == TEACHER_A
    assert provider.jwks_fetches == 1
    # The provider rotates: a new key replaces the old ones. The first token naming it causes
    # one refetch, and signs in without a restart.
    rotated = rsa_key("rsa-2")
    provider.keys = [rotated]
    assert await viewer_email(client, provider.token(TEACHER_A, rotated)) == TEACHER_A
    assert provider.jwks_fetches == 2
    assert await viewer_email(client, provider.token(TEACHER_A, rotated)) == TEACHER_A
    assert provider.jwks_fetches == 2
    # Within the refetch interval another unknown kid is refused without asking the provider,
    # and so is the retired key: the cache holds what the provider publishes now.
    for kid in ("never-published", "another-one"):
        await refused(client, provider.token(TEACHER_A, rsa_key(kid)), f"key '{kid}'")
    await refused(client, provider.token(TEACHER_A), "key 'rsa-1'")
    assert provider.jwks_fetches == 2
    assert provider.hits[DISCOVERY] == 1


async def test_the_token_must_name_an_active_user_of_that_district(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    await connect(db, world.district_id, provider.issuer)
    await refused(
        client,
        provider.token("nobody@test.mypd"),
        "no active user with email 'nobody@test.mypd' in district test",
    )
    # A user of district B, in a token of district A's issuer and audience.
    await refused(
        client,
        provider.token(OUTSIDER),
        f"no active user with email '{OUTSIDER}' in district test",
    )
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.User).where(models.User.id == world.id(TEACHER_A)).values(active=False)
        )
    await refused(client, provider.token(TEACHER_A), "deactivated")
    await refused(client, provider.token(None), "has no email in its 'email' claim")
    await refused(client, provider.token(ADMIN, email_verified=False), "not verified")


async def test_districts_sharing_an_issuer_are_told_apart_by_audience(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    """Like Google: one issuer for every district, each with its own client id."""
    await connect(db, world.district_id, provider.issuer)
    await connect(db, world.other_district_id, provider.issuer, "other-client")
    other = provider.token(OUTSIDER, aud="other-client")
    assert await viewer_email(client, other) == OUTSIDER
    assert await viewer_email(client, provider.token(ADMIN)) == ADMIN
    await refused(client, provider.token(ADMIN, aud="other-client"), "in district other")
    await refused(client, provider.token(OUTSIDER), "in district test")


async def test_a_configured_claim_names_the_user(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    """Entra ID access tokens, say, name the user in ``upn`` rather than ``email``."""
    await connect(db, world.district_id, provider.issuer, claim="upn")
    assert await viewer_email(client, provider.token(None, upn=TEACHER_A)) == TEACHER_A
    await refused(client, provider.token(TEACHER_A), "has no email in its 'upn' claim")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _by_hand(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if key is None:
        return signing_input + "."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def test_unsigned_and_algorithm_confusion_tokens_are_refused(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    await connect(db, world.district_id, provider.issuer)
    claims = provider.claims(ADMIN)
    public_pem = provider.rsa.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = {
        "alg none": _by_hand({"alg": "none", "kid": "rsa-1"}, claims, None),
        # The provider's public key is public: used as an HMAC secret it would sign anything.
        "HS256 with the public key": _by_hand({"alg": "HS256", "kid": "rsa-1"}, claims, public_pem),
        "RS384": _by_hand({"alg": "RS384", "kid": "rsa-1"}, claims, b"x"),
        "no kid": _by_hand({"alg": "RS256"}, claims, b"x"),
    }
    for name, token in forged.items():
        response = await client.post(VIEWER, None, token=token)
        assert response.status_code == 401, name
    assert_refused(
        await client.post(VIEWER, None, token=forged["HS256 with the public key"]),
        "must use RS256 or ES256",
    )
    # An EC signature under the RSA key's id, and a signature by a key the provider never had.
    ec_as_rsa = provider.token(ADMIN, ec_key("rsa-1"))
    await refused(client, ec_as_rsa, "signed with ES256, but key 'rsa-1' is a RS256 key")
    await refused(client, provider.token(ADMIN, rsa_key("ec-1")), "but key 'ec-1' is a ES256")
    impostor = provider.token(ADMIN, rsa_key("rsa-1"))
    await refused(client, impostor, "Signature verification failed")
    body = json.loads(base64.urlsafe_b64decode(impostor.split(".")[1] + "=="))
    assert body["email"] == ADMIN


async def test_a_provider_that_is_down_is_a_503_not_a_500_or_a_hang(
    client: GraphQLClient, db: TestDatabase, world: World, provider: Provider
) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    await connect(db, world.district_id, down)
    token = provider.token(TEACHER_A, iss=down)
    started = time.monotonic()
    for _ in range(2):
        response = await client.post(VIEWER, None, token=token)
        assert response.status_code == 503, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "IDENTITY_PROVIDER_UNAVAILABLE"
        assert "could not be reached" in error["message"]
    assert time.monotonic() - started < 10
    # A provider whose discovery document names another issuer is not trusted either.
    async with db.sessionmaker.begin() as session:
        await session.execute(update(models.DistrictSignIn).values(issuer=provider.issuer))
    provider.discovery_issuer = "https://impostor.example"
    response = await client.post(VIEWER, None, token=provider.token(TEACHER_A))
    assert response.status_code == 503
    assert "names issuer 'https://impostor.example'" in response.json()["errors"][0]["message"]


async def test_cached_keys_expire_and_outlive_an_outage(provider: Provider) -> None:
    """The key cache on its own, with a clock the test moves: keys are refetched when they are
    older than the TTL, and keys already fetched stay in use while the provider is down."""
    now = [1000.0]
    keys = oidc.KeyCache(
        timeout=2, ttl=600, refetch_interval=60, allow_http_loopback=True, clock=lambda: now[0]
    )
    assert (await keys.key(provider.issuer, "rsa-1")).key_id == "rsa-1"
    now[0] += 300
    await keys.key(provider.issuer, "ec-1")
    assert provider.jwks_fetches == 1
    rotated = rsa_key("rsa-2")
    provider.keys = [provider.rsa, rotated]
    now[0] += 301  # past the TTL: discovery and keys are fetched again
    assert (await keys.key(provider.issuer, "rsa-2")).key_id == "rsa-2"
    assert provider.jwks_fetches == 2 and provider.hits[DISCOVERY] == 2
    provider.stop()
    now[0] += 601
    assert (await keys.key(provider.issuer, "rsa-1")).key_id == "rsa-1"  # stale, still good
    with pytest.raises(AuthenticationError, match="does not publish"):
        await keys.key(provider.issuer, "ec-1")  # retired before the outage
    with pytest.raises(oidc.ProviderUnavailable):
        await keys.key(f"http://127.0.0.1:{free_port()}", "rsa-1")
    with pytest.raises(oidc.ProviderUnavailable, match="https"):  # production: https only
        await oidc.discover("http://127.0.0.1:1", 1, allow_http_loopback=False)
