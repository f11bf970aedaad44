"""Settings from the environment and the embedded SQLite defaults."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from mypd_graph.db import create_engine
from mypd_graph.settings import DEVELOPMENT_SECRET, Settings


def test_defaults_are_the_embedded_sqlite_file_and_development_secret(
    caplog, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING):
        settings = Settings.from_env({})
    assert settings.database_url == f"sqlite+aiosqlite:///{Path(tmp_path) / 'mypd.db'}"
    assert settings.secret_key == DEVELOPMENT_SECRET
    assert settings.graphiql is True
    assert "MYPD_SECRET_KEY is not set" in caplog.text


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {
            "MYPD_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "MYPD_SECRET_KEY": "s" * 40,
            "MYPD_GRAPHIQL": "off",
            "MYPD_PLUGINS": "cstp, csv_scores",
            "MYPD_DISABLE_PLUGINS": "catalog",
            "MYPD_MAX_BODY_BYTES": "2048",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert not settings.graphiql
    assert settings.plugins_allow == ("cstp", "csv_scores")
    assert settings.plugins_deny == ("catalog",)
    assert settings.max_body_bytes == 2048
    assert not settings.is_sqlite


def test_production_refuses_the_development_secret_and_hides_graphiql() -> None:
    with pytest.raises(ValueError, match="MYPD_SECRET_KEY must be set"):
        Settings.from_env({"MYPD_ENVIRONMENT": "production"})
    settings = Settings.from_env({"MYPD_ENVIRONMENT": "production", "MYPD_SECRET_KEY": "k" * 40})
    assert settings.graphiql is False


async def test_sqlite_has_foreign_keys_and_wal(tmp_path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    finally:
        await engine.dispose()
