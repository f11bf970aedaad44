"""Bearer tokens: minting development tokens and verifying the ones requests carry (HS256)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

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


def user_id_from_authorization(secret: str, header: str | None) -> int:
    """The user id in a ``Authorization: Bearer <jwt>`` header, or :class:`AuthenticationError`."""
    if not header:
        raise AuthenticationError("authentication required: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iss"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationError("the token has expired; request a new one") from error
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"the token is not valid: {error}") from error
    return _user_id(claims["sub"])


def _user_id(subject: object) -> int:
    """The user id a subject names, or AuthenticationError for any subject we never issue."""
    if isinstance(subject, str) and _SUBJECT.fullmatch(subject) and int(subject) <= MAX_USER_ID:
        return int(subject)
    raise AuthenticationError("the token's subject is not a user id")
