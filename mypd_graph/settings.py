"""Settings read from the environment once, at start-up, into one typed object."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

DEVELOPMENT_SECRET = "mypd-graph-development-secret-do-not-use-in-production"

log = logging.getLogger(__name__)


def default_database_url() -> str:
    """The embedded default: a SQLite file ``mypd.db`` in the working directory."""
    return f"sqlite+aiosqlite:///{Path.cwd() / 'mypd.db'}"


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything configurable; see the README's Configuration table for the variables."""

    database_url: str = field(default_factory=default_database_url)
    secret_key: str = DEVELOPMENT_SECRET
    environment: str = "development"
    graphiql: bool = True
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

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if environ is None else environ)
        environment = env.get("MYPD_ENVIRONMENT", "development")
        values: dict[str, object] = {
            "database_url": env.get("MYPD_DATABASE_URL") or default_database_url(),
            "secret_key": env.get("MYPD_SECRET_KEY") or DEVELOPMENT_SECRET,
            "environment": environment,
            "graphiql": _flag(env.get("MYPD_GRAPHIQL"), environment == "development"),
            "token_ttl_hours": int(env.get("MYPD_TOKEN_TTL_HOURS") or 12),
            "plugins_allow": _split(env.get("MYPD_PLUGINS")),
            "plugins_deny": _split(env.get("MYPD_DISABLE_PLUGINS")),
            "max_query_depth": int(env.get("MYPD_MAX_QUERY_DEPTH") or 12),
            "max_body_bytes": int(env.get("MYPD_MAX_BODY_BYTES") or 1_000_000),
            "max_upload_bytes": int(env.get("MYPD_MAX_UPLOAD_BYTES") or 200_000_000),
            "max_query_cost": int(env.get("MYPD_MAX_QUERY_COST") or 25_000),
            "max_selections": int(env.get("MYPD_MAX_SELECTIONS") or 2_000),
            "max_fragment_spreads": int(env.get("MYPD_MAX_FRAGMENT_SPREADS") or 200),
            "request_timeout_seconds": float(env.get("MYPD_REQUEST_TIMEOUT") or 15),
            "auto_migrate": _flag(env.get("MYPD_AUTO_MIGRATE"), False),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse unsafe production settings; warn about development defaults."""
        if self.secret_key == DEVELOPMENT_SECRET:
            if self.environment == "production":
                raise ValueError("MYPD_SECRET_KEY must be set when MYPD_ENVIRONMENT=production")
            log.warning(
                "MYPD_SECRET_KEY is not set: using the development secret; tokens it signs are "
                "not safe outside development"
            )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
