"""Bearer tokens: reading them from a request, minting and verifying development tokens (HS256),
and the revocation rule every kind of token obeys. Tokens of districts' identity providers are
verified in :mod:`mypd_graph.oidc`."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

ISSUER = "mypd_graph"
ALGORITHM = "HS256"
# users.id is a 32-bit integer on PostgreSQL: a larger subject was never issued, and looking it up
# raised a driver error (HTTP 500) instead of refusing the token.
MAX_USER_ID = 2**31 - 1
# What mint_token writes: a positive id in ASCII digits, no sign, spaces or leading zeros
# (``int()`` alone would also take " 7", "+7", "0007", "7_0" or Arabic-Indic digits).
_SUBJECT = re.compile(r"[1-9][0-9]{0,9}")


class AuthenticationError(Exception):
    """The request's credentials are missing or not valid; the message says which."""


def mint_token(secret: str, user_id: int, email: str, ttl_hours: int = 12) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "email": email,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(hours=ttl_hours),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <jwt>`` header, or :class:`AuthenticationError`."""
    if not header:
        raise AuthenticationError("authentication required: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def unverified_issuer(token: str) -> str:
    """Who says they issued the token, read before any check: it only picks the keys to check
    the signature with (a development secret, or an identity provider's JWKS)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"the token is not valid: {error}") from error
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise AuthenticationError("the token is not valid: it names no issuer (iss)")
    return issuer


def dev_token_claims(secret: str, token: str) -> dict[str, Any]:
    """The claims of a development token signed with ``secret``, or AuthenticationError."""
    try:
        return jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iss"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationError("the token has expired; request a new one") from error
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"the token is not valid: {error}") from error


def user_id_from_authorization(secret: str, header: str | None) -> int:
    """The user id in a ``Authorization: Bearer <jwt>`` development token header, or
    :class:`AuthenticationError`."""
    return user_id_of(dev_token_claims(secret, bearer_token(header)))


def user_id_of(claims: Mapping[str, Any]) -> int:
    """The user id a development token's subject names, or AuthenticationError for any subject
    we never issue."""
    subject = claims.get("sub")
    if isinstance(subject, str) and _SUBJECT.fullmatch(subject) and int(subject) <= MAX_USER_ID:
        return int(subject)
    raise AuthenticationError("the token's subject is not a user id")


def revocation_time(now: datetime | None = None) -> datetime:
    """When "log out everywhere" takes effect: the next whole second. ``iat`` counts whole
    seconds, so a token issued in the second of the revocation, before it, is refused too (and
    one issued just after it: signing in again a second later works)."""
    now = now or datetime.now(UTC)
    return now.replace(microsecond=0) + timedelta(seconds=1)


def check_not_revoked(claims: Mapping[str, Any], valid_after: datetime | None) -> None:
    """Refuse a token issued before the user's tokens were revoked (AuthenticationError).

    Once a user has a revocation time, a token that does not say when it was issued is refused.
    """
    if valid_after is None:
        return
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool) or not math.isfinite(issued):
        raise AuthenticationError(
            "the token does not say when it was issued (iat) and this user's tokens were "
            "revoked; sign in again"
        )
    if issued < valid_after.timestamp():
        raise AuthenticationError(
            "the token was revoked (its user was signed out everywhere); sign in again"
        )
