"""Signing in to the web app with the district's identity provider: OpenID Connect's
authorization-code flow with PKCE (RFC 7636, S256), a ``state`` against forged callbacks and a
``nonce`` against replayed ID tokens.

Authlib builds the protocol messages (the authorization URL, the S256 challenge, the token
request). The token endpoint is called with the standard library in a worker thread, as
:mod:`mypd_graph.oidc` fetches keys: Authlib's own HTTP clients need httpx or requests, which the
service does not depend on, and would check the ID token with Authlib's JOSE code. Here the ID
token passes through :func:`mypd_graph.oidc.verify`, the one check bearer tokens on /graphql pass
too, and names its user by the same rules (:mod:`mypd_graph.services.people.sign_in`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from mypd_graph import oidc
from mypd_graph.auth import AuthenticationError
from mypd_graph.settings import Settings

SCOPE = "openid email profile"
MAX_RESPONSE_BYTES = 1_000_000


@dataclass(frozen=True)
class Pending:
    """What the callback needs to finish a sign-in, kept in the (signed) session meanwhile."""

    district: str
    issuer: str
    client_id: str
    token_endpoint: str
    redirect_uri: str
    state: str
    nonce: str
    verifier: str

    def to_session(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_session(cls, value: object) -> Pending | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(**{key: str(value[key]) for key in cls.__dataclass_fields__})
        except KeyError:
            return None


def _endpoint(document: dict[str, Any], name: str, settings: Settings) -> str:
    url = document.get(name)
    try:
        return oidc.check_url(
            url if isinstance(url, str) else "",
            name,
            allow_http_loopback=not settings.is_production,
        )
    except ValueError as error:
        raise oidc.ProviderMisconfigured(f"the discovery document's {error}") from error


async def start(
    settings: Settings, district: str, issuer: str, client_id: str, redirect_uri: str
) -> tuple[str, Pending]:
    """The provider's authorization URL to send the browser to, and what to keep until it
    comes back. ProviderUnavailable when the provider's discovery document cannot be had."""
    document = await oidc.discover(
        issuer, settings.oidc_timeout_seconds, allow_http_loopback=not settings.is_production
    )
    pending = Pending(
        district=district,
        issuer=issuer,
        client_id=client_id,
        token_endpoint=_endpoint(document, "token_endpoint", settings),
        redirect_uri=redirect_uri,
        state=generate_token(32),
        nonce=generate_token(32),
        verifier=generate_token(64),  # RFC 7636: 43 to 128 characters
    )
    url = prepare_grant_uri(
        _endpoint(document, "authorization_endpoint", settings),
        client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=SCOPE,
        state=pending.state,
        nonce=pending.nonce,
        code_challenge=create_s256_code_challenge(pending.verifier),
        code_challenge_method="S256",
    )
    return url, pending


async def finish(
    settings: Settings, keys: oidc.KeyCache, pending: Pending, code: str
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) for tokens and return the ID token's claims,
    checked by :func:`oidc.verify` and for our nonce. AuthenticationError or
    ProviderUnavailable otherwise."""
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=pending.redirect_uri,
        client_id=pending.client_id,
        code_verifier=pending.verifier,
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    if settings.web_client_secret:  # client_secret_basic, which every provider must support
        pair = f"{quote(pending.client_id, safe='')}:{quote(settings.web_client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    timeout = settings.oidc_timeout_seconds
    try:
        async with asyncio.timeout(timeout + 1):
            answer = await asyncio.to_thread(
                _post_form, pending.token_endpoint, body.encode(), headers, timeout
            )
    except TimeoutError as error:
        raise oidc.ProviderUnavailable(f"{pending.token_endpoint} did not answer") from error
    id_token = answer.get("id_token")
    if not isinstance(id_token, str):
        raise AuthenticationError("the identity provider sent no ID token")
    claims = await oidc.verify(
        id_token, pending.issuer, [pending.client_id], keys, settings.oidc_clock_skew_seconds
    )
    if claims.get("nonce") != pending.nonce:
        raise AuthenticationError("the ID token was not issued for this sign-in (nonce)")
    return claims


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None


def _post_form(url: str, body: bytes, headers: dict[str, str], timeout: float) -> dict[str, Any]:
    """POST to the token endpoint (blocking: run it in a thread). A refusal by the provider
    (``invalid_grant`` ...) is AuthenticationError; no answer is ProviderUnavailable."""
    opener = urllib.request.build_opener(_NoRedirects())
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=timeout) as response:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        detail = error.read(2000).decode("utf-8", "replace")
        error.close()
        if 400 <= error.code < 500:
            raise AuthenticationError(
                f"the identity provider refused the sign-in: {detail}"
            ) from error
        raise oidc.ProviderUnavailable(f"{url} answered HTTP {error.code}") from error
    except (OSError, ValueError) as error:
        raise oidc.ProviderUnavailable(f"{url} could not be reached: {error}") from error
    try:
        answer = json.loads(raw[:MAX_RESPONSE_BYTES])
    except ValueError as error:
        raise oidc.ProviderMisconfigured(f"{url} did not answer JSON") from error
    if not isinstance(answer, dict):
        raise oidc.ProviderMisconfigured(f"{url} did not answer a JSON object")
    return answer
