"""OpenID Connect bearer tokens: an identity provider's keys, found through its discovery document
and cached, and the checks a token of that provider must pass (signature, iss, aud, exp, nbf).

Which districts trust an issuer, and whom a token names, is the business of
:mod:`mypd_graph.services.people.sign_in`; this module knows nothing of the database.

Fetching uses the standard library (``urllib``) in a worker thread, as PyJWT's own
``PyJWKClient`` does, under a timeout: the event loop never waits on a provider, and the service
needs no HTTP client beyond what it already depends on. We do not use ``PyJWKClient`` itself
because its cool-down starts at every fetch, including the first, so a key rotated soon after
start-up would be refused for the whole cool-down; here only refetches caused by an unknown key
id are rate-limited. Keys are parsed and signatures checked by PyJWT (``PyJWKSet``, ``decode``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from jwt import PyJWK, PyJWKSet

from mypd_graph.auth import AuthenticationError

log = logging.getLogger(__name__)

# Asymmetric only: a provider's public key can never be used as an HMAC secret (alg confusion).
ALGORITHMS = ("RS256", "ES256")
DISCOVERY_PATH = "/.well-known/openid-configuration"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
MAX_DOCUMENT_BYTES = 1_000_000
# After a failed fetch, requests fail fast for this long instead of each waiting for a timeout.
RETRY_AFTER_FAILURE_SECONDS = 5.0

FetchJson = Callable[[str, float], Any]


class ProviderUnavailable(Exception):
    """The identity provider's discovery document or keys could not be fetched (HTTP 503)."""


class ProviderMisconfigured(ProviderUnavailable):
    """The provider answered, but not with what OpenID Connect discovery requires."""


def check_url(url: str, what: str, *, allow_http_loopback: bool) -> str:
    """``url`` when it is https (http only for this machine, in development and tests), else
    ValueError with a message that names ``what``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as error:
        raise ValueError(f"{what} is not a URL: {url!r}") from error
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host in LOOPBACK and allow_http_loopback:
        return url
    allowed = "https (http only for localhost outside production)"
    raise ValueError(f"{what} must be an {allowed} URL, not {url!r}")


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead the fetch anywhere (PyJWT's JWKS client refuses them too)."""

    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None


def fetch_json(url: str, timeout: float) -> Any:
    """GET a JSON document (blocking; run it in a thread). ProviderUnavailable when it fails."""
    opener = urllib.request.build_opener(_NoRedirects())
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()
        raise ProviderUnavailable(f"{url} answered HTTP {error.code}") from error
    except (OSError, ValueError) as error:  # URLError, timeouts, refused connections, bad URLs
        reason = getattr(error, "reason", None) or error
        raise ProviderUnavailable(f"{url} could not be reached: {reason}") from error
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ProviderMisconfigured(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError as error:
        raise ProviderMisconfigured(f"{url} did not answer JSON") from error


async def fetch_json_async(url: str, timeout: float, fetch: FetchJson = fetch_json) -> Any:
    """``fetch`` in a worker thread, bounded by ``timeout`` even if the socket ignores it."""
    try:
        async with asyncio.timeout(timeout + 1):
            return await asyncio.to_thread(fetch, url, timeout)
    except TimeoutError as error:
        raise ProviderUnavailable(f"{url} did not answer within {timeout}s") from error


async def discover(
    issuer: str, timeout: float, *, allow_http_loopback: bool, fetch: FetchJson = fetch_json
) -> dict[str, Any]:
    """The provider's discovery document, checked: it names ``issuer`` exactly (OpenID Connect
    Discovery 1.0, section 4.3) and a ``jwks_uri`` we may fetch."""
    try:
        check_url(issuer, "the issuer", allow_http_loopback=allow_http_loopback)
    except ValueError as error:
        raise ProviderMisconfigured(str(error)) from error
    document = await fetch_json_async(discovery_url(issuer), timeout, fetch)
    if not isinstance(document, dict):
        raise ProviderMisconfigured(f"{discovery_url(issuer)} is not a JSON object")
    if document.get("issuer") != issuer:
        raise ProviderMisconfigured(
            f"the discovery document names issuer {document.get('issuer')!r}, not {issuer!r}: "
            "use exactly the issuer it names"
        )
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise ProviderMisconfigured(f"the discovery document of {issuer} has no jwks_uri")
    try:
        check_url(jwks_uri, "jwks_uri", allow_http_loopback=allow_http_loopback)
    except ValueError as error:
        raise ProviderMisconfigured(str(error)) from error
    return document


def signing_keys(document: Any, jwks_uri: str) -> dict[str, PyJWK]:
    """The keys of a JWKS that can sign our tokens (RS256, ES256), by key id."""
    try:
        keys = PyJWKSet.from_dict(document).keys if isinstance(document, dict) else None
    except jwt.PyJWTError as error:  # no usable key at all
        raise ProviderMisconfigured(f"{jwks_uri} holds no usable key: {error}") from error
    if keys is None:
        raise ProviderMisconfigured(f"{jwks_uri} is not a JSON Web Key Set")
    return {
        key.key_id: key
        for key in keys
        if key.key_id and key.public_key_use in ("sig", None) and key.algorithm_name in ALGORITHMS
    }


@dataclass
class _Issuer:
    """What is cached for one issuer; ``lock`` lets one request fetch while the others wait."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    jwks_uri: str = ""
    keys: dict[str, PyJWK] = field(default_factory=dict)
    fetched_at: float = -float("inf")
    refetched_at: float = -float("inf")  # the last refetch an unknown kid caused
    failed_at: float = -float("inf")
    failure: str = ""


class KeyCache:
    """Each issuer's signing keys, fetched on first use and cached for ``ttl`` seconds; a key id
    the cache lacks causes one refetch, at most once per ``refetch_interval`` per issuer."""

    def __init__(
        self,
        *,
        timeout: float,
        ttl: float,
        refetch_interval: float,
        allow_http_loopback: bool,
        fetch: FetchJson = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.ttl = ttl
        self.refetch_interval = refetch_interval
        self.allow_http_loopback = allow_http_loopback
        self.fetch = fetch
        self.clock = clock
        self._issuers: dict[str, _Issuer] = {}

    async def key(self, issuer: str, kid: str) -> PyJWK:
        """The key ``kid`` of ``issuer``; ProviderUnavailable when the keys cannot be fetched
        and AuthenticationError when the provider has no such key."""
        entry = self._issuers.setdefault(issuer, _Issuer())
        if kid in entry.keys and (self._fresh(entry) or entry.lock.locked()):
            return entry.keys[kid]  # cached; or stale while a refresh is under way
        async with entry.lock:
            now = self.clock()
            if not self._fresh(entry):
                await self._refresh(issuer, entry, discover_again=True)
            elif kid not in entry.keys and now - entry.refetched_at >= self.refetch_interval:
                entry.refetched_at = now
                log.info("token of %s names unknown key %r: refetching its keys", issuer, kid)
                await self._refresh(issuer, entry, discover_again=False)
        if kid in entry.keys:
            return entry.keys[kid]
        raise AuthenticationError(
            f"the token was signed with key {kid!r}, which {issuer} does not publish"
        )

    def _fresh(self, entry: _Issuer) -> bool:
        return self.clock() - entry.fetched_at < self.ttl

    async def _refresh(self, issuer: str, entry: _Issuer, *, discover_again: bool) -> None:
        """Fetch the keys (and the discovery document when asked). When the provider is down,
        keys already cached stay in use; with none, ProviderUnavailable."""
        if self.clock() - entry.failed_at < RETRY_AFTER_FAILURE_SECONDS:
            if not entry.keys:
                raise ProviderUnavailable(entry.failure)
            return
        try:
            if discover_again or not entry.jwks_uri:
                document = await discover(
                    issuer,
                    self.timeout,
                    allow_http_loopback=self.allow_http_loopback,
                    fetch=self.fetch,
                )
                entry.jwks_uri = document["jwks_uri"]
            jwks = await fetch_json_async(entry.jwks_uri, self.timeout, self.fetch)
            entry.keys = signing_keys(jwks, entry.jwks_uri)
            entry.fetched_at = self.clock()
        except ProviderUnavailable as error:
            entry.failed_at, entry.failure = self.clock(), str(error)
            log.warning("identity provider %s: %s", issuer, error)
            if not entry.keys:
                raise


def token_audiences(claims: dict[str, Any]) -> set[str]:
    audience = claims.get("aud")
    if isinstance(audience, str):
        return {audience}
    if isinstance(audience, list):
        return {item for item in audience if isinstance(item, str)}
    return set()


async def verify(
    token: str, issuer: str, audiences: Sequence[str], keys: KeyCache, leeway: float
) -> dict[str, Any]:
    """The claims of ``token`` once its signature (by one of ``issuer``'s keys), ``iss``,
    ``aud`` (any of ``audiences``), ``exp``, ``nbf`` and ``iat`` are checked, within ``leeway``
    seconds of clock skew. AuthenticationError or ProviderUnavailable otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"the token is not valid: {error}") from error
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        accepted = " or ".join(ALGORITHMS)
        raise AuthenticationError(
            f"the token is signed with {algorithm!r}; identity-provider tokens must use {accepted}"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthenticationError("the token's header names no signing key (kid)")
    key = await keys.key(issuer, kid)
    if key.algorithm_name != algorithm:
        raise AuthenticationError(
            f"the token says it is signed with {algorithm}, but key {kid!r} is a "
            f"{key.algorithm_name} key"
        )
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[key.algorithm_name],
            audience=list(audiences),
            issuer=issuer,
            leeway=leeway,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise AuthenticationError("the token has expired; sign in again") from error
    except jwt.InvalidAudienceError as error:
        raise AuthenticationError(
            "the token is not meant for this service: its audience (aud) is not the client id "
            f"any district configured for {issuer}"
        ) from error
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"the token is not valid: {error}") from error
