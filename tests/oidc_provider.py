"""A real OpenID Connect provider for tests: an HTTP server on 127.0.0.1 (a random port, in a
thread) serving a discovery document and a JWKS, keys generated here (RSA and EC P-256), and
tokens signed with them. It counts the requests it answers, so tests can see keys being cached
and refetched."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/jwks"
CLIENT_ID = "mypd-test-client"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str  # RS256 or ES256
    private: Any

    def jwk(self) -> dict[str, Any]:
        """The public half, as the provider publishes it."""
        to_jwk = RSAAlgorithm.to_jwk if self.algorithm == "RS256" else ECAlgorithm.to_jwk
        published = to_jwk(self.private.public_key(), as_dict=True)
        return {**published, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


class Provider:
    """The server and what it serves. ``keys`` is what the JWKS publishes now (rotate by
    assigning); ``discovery_issuer`` lets a test serve a document naming another issuer."""

    def __init__(self) -> None:
        self.rsa = rsa_key("rsa-1")
        self.ec = ec_key("ec-1")
        self.keys: list[SigningKey] = [self.rsa, self.ec]
        self.hits: Counter[str] = Counter()
        self.discovery_issuer: str | None = None
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                provider.hits[self.path] += 1
                if self.path == DISCOVERY:
                    issuer = provider.discovery_issuer or provider.issuer
                    body = {"issuer": issuer, "jwks_uri": provider.issuer + JWKS}
                elif self.path == JWKS:
                    body = {"keys": [key.jwk() for key in provider.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Provider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def jwks_fetches(self) -> int:
        return self.hits[JWKS]

    def claims(self, email: str | None, **changes: Any) -> dict[str, Any]:
        """An ID token's claims for ``email``; a change of None leaves that claim out."""
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": f"provider-id-of-{email}",
            "email": email,
            "email_verified": True,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(hours=1)).timestamp()),
        }
        claims.update(changes)
        return {key: value for key, value in claims.items() if value is not None}

    def token(self, email: str | None, key: SigningKey | None = None, **changes: Any) -> str:
        """A token signed as the provider signs them (RS256 unless ``key`` says otherwise)."""
        key = key or self.rsa
        return jwt.encode(
            self.claims(email, **changes), key.private, key.algorithm, headers={"kid": key.kid}
        )


@pytest.fixture
def provider() -> Iterator[Provider]:
    running = Provider().start()
    try:
        yield running
    finally:
        running.stop()


async def connect(
    db: Any,
    district_id: int,
    issuer: str,
    audience: str = CLIENT_ID,
    *,
    claim: str = "email",
    jit_domains: tuple[str, ...] = (),
) -> None:
    """Set a district's sign-in as ``mypd-graph district sso`` would (without the discovery
    check, so a test can point a district at a provider that is down)."""
    from mypd_graph import models

    async with db.sessionmaker.begin() as session:
        session.add(
            models.DistrictSignIn(
                district_id=district_id,
                issuer=issuer,
                audience=audience,
                user_claim=claim,
                jit_domains=list(jit_domains),
            )
        )
