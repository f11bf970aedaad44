"""Security: forged, broken and revoked tokens, and Authorization header variants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from mypd_graph import models
from mypd_graph.auth import ISSUER
from tests.conftest import SECRET
from tests.factories import ADMIN, COACH, PRINCIPAL_NORTH, TEACHER_A
from tests.security_world import GHOST, Rich
from tests.security_world import rich as rich  # the fixture, found by its name

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase


# --------------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jsonable(claims: dict[str, Any]) -> dict[str, Any]:
    return {
        key: int(value.timestamp()) if isinstance(value, datetime) else value
        for key, value in claims.items()
    }


def token(claims: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    """A JWT signed by hand (HMAC), so keys a library would refuse can be tried too."""
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[algorithm]
    signing_input = (
        _b64(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
        + "."
        + _b64(json.dumps(_jsonable(claims)).encode())
    )
    signature = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def unsigned_token(claims: dict[str, Any], header: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_jsonable(claims)).encode())}."


def good_claims(user_id: int, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


VIEWER = "{ viewer { email } }"


def forged_tokens(user_id: int) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "alg none": unsigned_token(good_claims(user_id), {"alg": "none", "typ": "JWT"}),
        "alg None": unsigned_token(good_claims(user_id), {"alg": "None", "typ": "JWT"}),
        "wrong issuer": token(good_claims(user_id, iss="someone-else")),
        "no issuer": token(good_claims(user_id, iss=None)),
        "no exp": token(good_claims(user_id, exp=None)),
        "no sub": token(good_claims(user_id, sub=None)),
        "sub not a number": token(good_claims(user_id, sub="admin@test.mypd")),
        "sub of nobody": token(good_claims(user_id, sub=str(GHOST))),
        "expired": token(good_claims(user_id, exp=now - timedelta(seconds=5))),
        "not yet valid": token(good_claims(user_id, nbf=now + timedelta(hours=1))),
        "issued in the future": token(good_claims(user_id, iat=now + timedelta(hours=1))),
        "HS512": token(good_claims(user_id), algorithm="HS512"),
        "development secret": token(
            good_claims(user_id), key="mypd-graph-development-secret-do-not-use-in-production"
        ),
        "empty secret": token(good_claims(user_id), key=""),
        "signature stripped": token(good_claims(user_id)).rsplit(".", 1)[0] + ".",
        "payload swapped": ".".join(
            [
                token(good_claims(user_id)).split(".")[0],
                token(good_claims(GHOST)).split(".")[1],
                token(good_claims(user_id)).split(".")[2],
            ]
        ),
    }


async def test_forged_and_broken_tokens_are_refused(client: GraphQLClient, rich: Rich) -> None:
    for name, forged in forged_tokens(rich.world.id(ADMIN)).items():
        response = await client.post(VIEWER, None, token=forged)
        assert response.status_code == 401, name
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
        assert "data" not in response.json(), name


async def test_authorization_header_variants(client: GraphQLClient, rich: Rich) -> None:
    good = client.token_for(TEACHER_A)
    for header in (f"Basic {good}", f"Token {good}", "Bearer", "Bearer ", good, f"Bearer{good}"):
        response = await client.http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
    response = await client.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"bearer  {good} "}
    )
    assert response.json()["data"]["viewer"]["email"] == TEACHER_A


async def test_tokens_of_deactivated_and_deleted_users_are_refused(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    tokens = {email: client.token_for(email) for email in (PRINCIPAL_NORTH, COACH)}
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.User)
            .where(models.User.id == rich.world.id(PRINCIPAL_NORTH))
            .values(active=False)
        )
        coach = await session.get_one(models.User, rich.world.id(COACH))
        await session.delete(coach)
    for email, old in tokens.items():
        response = await client.post(VIEWER, None, token=old)
        assert response.status_code == 401, email
