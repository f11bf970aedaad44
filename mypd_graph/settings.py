"""Settings read from the environment once, at start-up, into one typed object.

Settings fail safe: a value the service does not understand is refused with one line naming the
variable (:class:`SettingsError`), never guessed. ``MYPD_ENVIRONMENT=Production`` once started in
development mode with the public development secret; now every spelling of a known environment
means that environment and anything else stops the start.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEVELOPMENT_SECRET = "mypd-graph-development-secret-do-not-use-in-production"
# HS256 keys shorter than the hash (32 bytes) can be brute-forced offline from any one token.
MIN_PRODUCTION_SECRET_BYTES = 32
# Every accepted spelling (after trimming and lower-casing) and the one value it means.
ENVIRONMENTS = {
    "development": "development",
    "dev": "development",
    "test": "test",
    "testing": "test",
    "production": "production",
    "prod": "production",
}
JOB_QUEUES = ("in-process", "postgres")  # MYPD_JOB_QUEUE
# Evidence file types accepted unless MYPD_EVIDENCE_FILE_TYPES says otherwise (extensions of the
# types told from a file's content: services/feedback/attachments.py).
DEFAULT_EVIDENCE_FILE_TYPES = (
    "pdf", "png", "jpg", "gif", "webp", "heic", "docx", "xlsx", "pptx", "odt", "ods", "odp",
    "mp4", "mov", "webm", "mp3", "m4a", "wav", "txt", "csv",
)  # fmt: skip
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")

log = logging.getLogger(__name__)


class SettingsError(ValueError):
    """A setting the service refuses to start with; the message is one line naming the variable."""


def default_database_url() -> str:
    """The embedded default: a SQLite file ``mypd.db`` in the working directory."""
    return f"sqlite+aiosqlite:///{Path.cwd() / 'mypd.db'}"


def canonical_environment(value: str) -> str:
    """The environment a name means (case and surrounding spaces forgiven), or SettingsError."""
    canonical = ENVIRONMENTS.get(value.strip().lower())
    if canonical is None:
        names = ", ".join(sorted(ENVIRONMENTS))
        raise SettingsError(f"MYPD_ENVIRONMENT={value!r} is not one of: {names}")
    return canonical


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    """An on/off variable; a value that is neither is refused rather than read as off."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE | _FALSE:
        return raw in _TRUE
    raise SettingsError(f"{name} must be one of 1/true/yes/on or 0/false/no/off, not {raw!r}")


def _number(env: dict[str, str], name: str, default: int) -> int:
    """A positive whole number in ASCII digits (``int()`` would also take ``١٢`` or ``1_0``)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not _WHOLE.fullmatch(raw) or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    seconds = float(raw) if _DECIMAL.fullmatch(raw) else math.nan
    if not 0 < seconds < math.inf:
        raise SettingsError(f"{name} must be a number of seconds above 0, not {raw!r}")
    return seconds


@dataclass(frozen=True)
class Settings:
    """Everything configurable; see the README's Configuration table for the variables (and
    docs/sign-in.md for MYPD_ALLOW_DEV_TOKENS and MYPD_OIDC_*).

    Constructing one validates it (``__post_init__``), so no code path, the tests' included, can
    hold production settings with a weak secret or an environment name nobody checks for.
    """

    database_url: str = field(default_factory=default_database_url)
    secret_key: str = DEVELOPMENT_SECRET
    environment: str = "development"
    graphiql: bool = True
    # None: on, except in production, where the schema and "Did you mean ...?" hints are a map
    # for whoever probes the service.
    introspection: bool | None = None
    field_suggestions: bool | None = None
    token_ttl_hours: int = 12
    plugins_allow: tuple[str, ...] = ()
    plugins_deny: tuple[str, ...] = ()
    max_page_size: int = 100
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_query_cost: int = 25_000
    max_selections: int = 2_000
    max_fragment_spreads: int = 200
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 200_000_000
    request_timeout_seconds: float = 15.0
    auto_migrate: bool = False
    # None: accepted outside production only (``mypd-graph token`` mints them with the shared
    # secret); production signs people in with the district's identity provider (OIDC).
    allow_dev_tokens: bool | None = None
    oidc_clock_skew_seconds: float = 60.0
    oidc_timeout_seconds: float = 5.0
    # Keys are refetched when they are this old, and at most once per interval when a token
    # names a key (kid) the cache lacks: rotation needs no restart, junk kids cause no flood.
    oidc_keys_ttl_seconds: float = 3600.0
    oidc_refetch_interval_seconds: float = 60.0
    # The web app (/app): the client secret of the app registration at the district's provider
    # ("" for a public client, which PKCE alone protects), and the key that signs the session
    # cookie (None: derived from secret_key, so one strong secret covers both).
    web_client_secret: str = ""
    session_secret: str | None = None
    # Resource providers (docs/resources.md): a live search waits this long for each provider
    # before it is cut off and reported; a catalog sync waits longer for a whole catalog.
    resource_search_timeout_seconds: float = 5.0
    resource_sync_timeout_seconds: float = 60.0
    # Where work that outlives a request runs (large uploads): "in-process" (an asyncio task of
    # the app process that took it; lost if that process stops) or "postgres" (a procrastinate
    # queue in the service's PostgreSQL database, run by `mypd-graph worker`; docs/deploy.md).
    job_queue: str = "in-process"
    # Observability (mypd_graph/observability): log lines as JSON or text (None: JSON in
    # production); /metrics (None: off in production), behind a bearer token when one is set;
    # a per-user limit on /graphql ("" off, else "300/minute"), counted in memory (per process)
    # or in Redis (shared by every process).
    # Events out (services/events): email over SMTP (no host: no emails), links in them, and how
    # long a webhook endpoint may take to answer.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "myPD <no-reply@mypd.invalid>"
    public_url: str = ""
    webhook_timeout_seconds: float = 10.0
    log_format: str | None = None
    metrics: bool | None = None
    metrics_token: str = ""
    rate_limit: str = ""
    rate_limit_storage: str = "memory://"
    # Evidence files (docs/evidence.md): where they are kept ("local": a directory; "s3": an
    # S3-compatible bucket, never public), how large one may be, and which types are accepted
    # (told from the content, not the name).
    evidence_storage: str = "local"
    evidence_dir: str = field(default_factory=lambda: str(Path.cwd() / "evidence-files"))
    evidence_s3_bucket: str = ""
    evidence_s3_endpoint: str = ""
    evidence_s3_region: str = ""
    evidence_s3_prefix: str = ""
    evidence_max_file_bytes: int = 25_000_000
    evidence_file_types: tuple[str, ...] = DEFAULT_EVIDENCE_FILE_TYPES

    def __post_init__(self) -> None:
        object.__setattr__(self, "environment", canonical_environment(self.environment))
        if self.job_queue not in JOB_QUEUES:
            raise SettingsError(
                f"MYPD_JOB_QUEUE={self.job_queue!r} is not one of: {', '.join(JOB_QUEUES)}"
            )
        if self.job_queue == "postgres" and not self.database_url.startswith("postgresql"):
            raise SettingsError(
                "MYPD_JOB_QUEUE=postgres needs a PostgreSQL database (MYPD_DATABASE_URL)"
            )
        self._check_observability()
        if self.evidence_storage not in ("local", "s3"):
            raise SettingsError(
                f"MYPD_EVIDENCE_STORAGE must be local or s3, not {self.evidence_storage!r}"
            )
        if self.evidence_storage == "s3" and not self.evidence_s3_bucket:
            raise SettingsError("MYPD_EVIDENCE_STORAGE=s3 needs MYPD_EVIDENCE_S3_BUCKET")
        if self.is_production:
            self._refuse_weak_secret()
            if self.session_secret is not None and len(self.session_secret.encode()) < 32:
                raise SettingsError("MYPD_SESSION_SECRET must be at least 32 bytes in production")

    def _check_observability(self) -> None:
        if self.is_production and self.metrics and not self.metrics_token:
            raise SettingsError(
                "MYPD_METRICS is on in production without MYPD_METRICS_TOKEN: set a token, so "
                "only your scraper reads /metrics"
            )
        if self.log_format not in (None, "json", "text"):
            raise SettingsError(f"MYPD_LOG_FORMAT must be json or text, not {self.log_format!r}")
        if self.rate_limit:
            from mypd_graph.observability.ratelimit import parse_limit

            try:
                parse_limit(self.rate_limit)
            except ValueError:
                raise SettingsError(
                    f"MYPD_RATE_LIMIT must read like 300/minute, not {self.rate_limit!r}"
                ) from None
        if not self.rate_limit_storage.startswith(("memory://", "redis://", "rediss://")):
            raise SettingsError(
                "MYPD_RATE_LIMIT_STORAGE must be memory:// or a redis:// address, "
                f"not {self.rate_limit_storage!r}"
            )

    def _refuse_weak_secret(self) -> None:
        # Development tokens are HS256, signed with this secret. Production refuses them unless
        # MYPD_ALLOW_DEV_TOKENS is on, but `mypd-graph token` still signs with it and turning
        # the flag on later must not expose a weak key: the check stays unconditional.
        if self.secret_key == DEVELOPMENT_SECRET:
            raise SettingsError(
                "MYPD_SECRET_KEY must be set when MYPD_ENVIRONMENT=production "
                "(the development secret is public)"
            )
        size = len(self.secret_key.encode("utf-8"))
        if size < MIN_PRODUCTION_SECRET_BYTES:
            raise SettingsError(
                f"MYPD_SECRET_KEY is {size} bytes; production needs at least "
                f"{MIN_PRODUCTION_SECRET_BYTES} (for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``environ`` (the process environment by default); SettingsError for
        a missing or unreadable value, with a message fit to print as it is."""
        env = dict(os.environ if environ is None else environ)
        environment = canonical_environment(
            (env.get("MYPD_ENVIRONMENT") or "").strip() or "development"
        )
        production = environment == "production"
        values: dict[str, object] = {
            "database_url": env.get("MYPD_DATABASE_URL") or default_database_url(),
            "secret_key": env.get("MYPD_SECRET_KEY") or DEVELOPMENT_SECRET,
            "environment": environment,
            "graphiql": _flag(env, "MYPD_GRAPHIQL", environment == "development"),
            "introspection": _flag(env, "MYPD_INTROSPECTION", not production),
            "field_suggestions": _flag(env, "MYPD_FIELD_SUGGESTIONS", not production),
            "token_ttl_hours": _number(env, "MYPD_TOKEN_TTL_HOURS", 12),
            "plugins_allow": _split(env.get("MYPD_PLUGINS")),
            "plugins_deny": _split(env.get("MYPD_DISABLE_PLUGINS")),
            "max_query_depth": _number(env, "MYPD_MAX_QUERY_DEPTH", 12),
            "max_body_bytes": _number(env, "MYPD_MAX_BODY_BYTES", 1_000_000),
            "max_upload_bytes": _number(env, "MYPD_MAX_UPLOAD_BYTES", 200_000_000),
            "max_query_cost": _number(env, "MYPD_MAX_QUERY_COST", 25_000),
            "max_selections": _number(env, "MYPD_MAX_SELECTIONS", 2_000),
            "max_fragment_spreads": _number(env, "MYPD_MAX_FRAGMENT_SPREADS", 200),
            "request_timeout_seconds": _seconds(env, "MYPD_REQUEST_TIMEOUT", 15.0),
            "auto_migrate": _flag(env, "MYPD_AUTO_MIGRATE", False),
            "allow_dev_tokens": _flag(env, "MYPD_ALLOW_DEV_TOKENS", not production),
            "oidc_clock_skew_seconds": _seconds(env, "MYPD_OIDC_CLOCK_SKEW", 60.0),
            "oidc_timeout_seconds": _seconds(env, "MYPD_OIDC_TIMEOUT", 5.0),
            "oidc_keys_ttl_seconds": _seconds(env, "MYPD_OIDC_KEYS_TTL", 3600.0),
            "oidc_refetch_interval_seconds": _seconds(env, "MYPD_OIDC_REFETCH_INTERVAL", 60.0),
            "web_client_secret": env.get("MYPD_WEB_CLIENT_SECRET") or "",
            "session_secret": env.get("MYPD_SESSION_SECRET") or None,
            "resource_search_timeout_seconds": _seconds(env, "MYPD_RESOURCE_SEARCH_TIMEOUT", 5.0),
            "resource_sync_timeout_seconds": _seconds(env, "MYPD_RESOURCE_SYNC_TIMEOUT", 60.0),
            "job_queue": (env.get("MYPD_JOB_QUEUE") or "").strip().lower() or "in-process",
            "smtp_host": (env.get("MYPD_SMTP_HOST") or "").strip(),
            "smtp_port": _number(env, "MYPD_SMTP_PORT", 25),
            "smtp_username": env.get("MYPD_SMTP_USERNAME") or "",
            "smtp_password": env.get("MYPD_SMTP_PASSWORD") or "",
            "smtp_starttls": _flag(env, "MYPD_SMTP_STARTTLS", False),
            "mail_from": (env.get("MYPD_MAIL_FROM") or "").strip()
            or "myPD <no-reply@mypd.invalid>",
            "public_url": (env.get("MYPD_PUBLIC_URL") or "").strip(),
            "webhook_timeout_seconds": _seconds(env, "MYPD_WEBHOOK_TIMEOUT", 10.0),
            "log_format": (env.get("MYPD_LOG_FORMAT") or "").strip().lower() or None,
            "metrics": _flag(env, "MYPD_METRICS", not production),
            "metrics_token": env.get("MYPD_METRICS_TOKEN") or "",
            "rate_limit": (env.get("MYPD_RATE_LIMIT") or "").strip(),
            "rate_limit_storage": (env.get("MYPD_RATE_LIMIT_STORAGE") or "").strip() or "memory://",
            "evidence_storage": (env.get("MYPD_EVIDENCE_STORAGE") or "local").strip().lower(),
            "evidence_dir": env.get("MYPD_EVIDENCE_DIR") or str(Path.cwd() / "evidence-files"),
            "evidence_s3_bucket": env.get("MYPD_EVIDENCE_S3_BUCKET") or "",
            "evidence_s3_endpoint": env.get("MYPD_EVIDENCE_S3_ENDPOINT") or "",
            "evidence_s3_region": env.get("MYPD_EVIDENCE_S3_REGION") or "",
            "evidence_s3_prefix": env.get("MYPD_EVIDENCE_S3_PREFIX") or "",
            "evidence_max_file_bytes": _number(env, "MYPD_EVIDENCE_MAX_FILE_BYTES", 25_000_000),
            "evidence_file_types": tuple(
                kind.lower() for kind in _split(env.get("MYPD_EVIDENCE_FILE_TYPES"))
            )
            or DEFAULT_EVIDENCE_FILE_TYPES,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Warn about development defaults (construction has already refused unsafe ones)."""
        if self.secret_key == DEVELOPMENT_SECRET:
            log.warning(
                "MYPD_SECRET_KEY is not set: using the development secret; tokens it signs are "
                "not safe outside development"
            )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def introspection_enabled(self) -> bool:
        """``__schema`` and ``__type`` answer: as set, else everywhere but production."""
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def field_suggestions_enabled(self) -> bool:
        """Errors may suggest names ("Did you mean ...?"): as set, else outside production."""
        if self.field_suggestions is not None:
            return self.field_suggestions
        return not self.is_production

    @property
    def dev_tokens_allowed(self) -> bool:
        """HS256 development tokens sign people in: as set, else everywhere but production."""
        if self.allow_dev_tokens is not None:
            return self.allow_dev_tokens
        return not self.is_production

    @property
    def session_key(self) -> str:
        """What signs the web app's session cookie: MYPD_SESSION_SECRET, else a key derived from
        MYPD_SECRET_KEY (never the secret itself, so a cookie reveals nothing about tokens)."""
        if self.session_secret:
            return self.session_secret
        digest = hmac.new(self.secret_key.encode(), b"mypd-web-session", hashlib.sha256)
        return digest.hexdigest()

    @property
    def mail_from_domain(self) -> str:
        """The domain of MYPD_MAIL_FROM, for the Message-IDs of the emails sent."""
        return self.mail_from.rsplit("@", 1)[-1].strip(" >") or "mypd.invalid"

    @property
    def log_format_used(self) -> str:
        """``json`` or ``text``: as set, else JSON in production (for a log collector)."""
        return self.log_format or ("json" if self.is_production else "text")

    @property
    def metrics_enabled(self) -> bool:
        """``/metrics`` answers: as set, else everywhere but production."""
        return self.metrics if self.metrics is not None else not self.is_production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
