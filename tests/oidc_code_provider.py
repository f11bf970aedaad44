"""A real OpenID Connect provider that also signs people in: tests/oidc_provider.py's discovery
and JWKS, plus an authorization endpoint (which "signs in" whoever the test names, with no
login form) and a token endpoint that checks what a real one checks: the code is one-time and
bound to the client, the redirect URI and the PKCE challenge (S256), and the client's secret
when one is configured. It records the authorization requests, so tests can assert on them.

With ``interactive`` set, the authorization endpoint is a page as a browser meets one: a small
sign-in form (the email to sign in as) that posts back to the endpoint, which then sends the
browser on to the redirect URI; a browser test signs in by filling it."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from tests.oidc_provider import CLIENT_ID, DISCOVERY, JWKS, rsa_key

AUTHORIZE = "/authorize"
TOKEN = "/token"
SIGN_IN_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: test identity provider</title></head>
<body>
<main>
<h1>Sign in to the test identity provider</h1>
<form method="post" action="{action}">
{hidden}
<p><label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required></p>
<p><button type="submit">Sign in</button></p>
</form>
</main>
</body>
</html>
"""


class CodeProvider:
    """``email`` is who signs in at the next authorization (``interactive``: whoever the
    sign-in form names); ``client_secret`` (when set) must come with the token request in HTTP
    Basic; ``claims`` are added to every ID token."""

    def __init__(self) -> None:
        self.key = rsa_key("code-rsa-1")
        self.email: str | None = None
        self.interactive = False
        self.client_secret: str | None = None
        self.claims: dict[str, Any] = {}
        self.authorizations: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.jwks_fetches = 0
        self._codes: dict[str, dict[str, Any]] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = urlsplit(self.path)
                if path.path == DISCOVERY:
                    self._json(200, provider.discovery())
                elif path.path == JWKS:
                    provider.jwks_fetches += 1
                    self._json(200, {"keys": [provider.key.jwk()]})
                elif path.path == AUTHORIZE:
                    query = {k: v[0] for k, v in parse_qs(path.query).items()}
                    if provider.interactive:
                        self._html(provider.sign_in_page(query))
                    else:
                        self._redirect(302, provider.authorize(query))
                else:
                    self.send_error(404)

            def do_POST(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if path == AUTHORIZE and provider.interactive:
                    # The sign-in form: its email signs in; the rest is the original request.
                    email = form.pop("email", "")
                    self._redirect(303, provider.authorize(form, email))
                elif path == TOKEN:
                    status, body = provider.token(form, self.headers.get("Authorization"))
                    self._json(status, body)
                else:
                    self.send_error(404)

            def _redirect(self, status: int, location: str) -> None:
                self.send_response(status)
                self.send_header("Location", location)
                self.end_headers()

            def _html(self, page: str) -> None:
                data = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.issuer + JWKS,
            "authorization_endpoint": self.issuer + AUTHORIZE,
            "token_endpoint": self.issuer + TOKEN,
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }

    def sign_in_page(self, query: dict[str, str]) -> str:
        """The interactive authorization page: the request's parameters ride along hidden."""
        hidden = "\n".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
            for k, v in query.items()
            if k != "email"
        )
        return SIGN_IN_PAGE.format(action=AUTHORIZE, hidden=hidden)

    def authorize(self, query: dict[str, str], email: str | None = None) -> str:
        """Where the browser goes back to: the redirect URI with a code (or an error); the code
        signs in ``email``, or ``self.email`` when none is given."""
        self.authorizations.append(query)
        email = self.email if email is None else email
        back = query.get("redirect_uri", "")
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return (
                f"{back}?{urlencode({'error': 'invalid_request', 'state': query.get('state', '')})}"
            )
        code = secrets.token_urlsafe(24)
        self._codes[code] = {"query": query, "email": email}
        return f"{back}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        """RFC 6749 4.1.3 and RFC 7636 4.6, as a provider checks them."""
        self.token_requests.append(form)
        granted = self._codes.pop(form.get("code", ""), None)  # one use only
        if granted is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        query = granted["query"]
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != query.get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        if form.get("redirect_uri") != query.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if self.client_secret is not None:
            expected = base64.b64encode(f"{CLIENT_ID}:{self.client_secret}".encode()).decode()
            if authorization != f"Basic {expected}":
                return 401, {"error": "invalid_client"}
        now = datetime.now(UTC)
        claims = {
            "iss": self.issuer,
            "aud": query.get("client_id"),
            "sub": f"sub-{granted['email']}",
            "email": granted["email"],
            "email_verified": True,
            "nonce": query.get("nonce"),
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=10)).timestamp()),
            **self.claims,
        }
        id_token = jwt.encode(
            claims, self.key.private, self.key.algorithm, headers={"kid": self.key.kid}
        )
        return 200, {"access_token": "opaque", "token_type": "Bearer", "id_token": id_token}

    def start(self) -> CodeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def code_provider() -> Iterator[CodeProvider]:
    running = CodeProvider().start()
    try:
        yield running
    finally:
        running.stop()
