"""Settings fail safe: every spelling of a known environment means that environment, anything else
stops the start with one line; production needs a real secret and hides the schema's map.

Through the real surfaces: ``Settings.from_env`` (what the service reads at start-up), the
``mypd-graph`` command (its exit status and the line it prints) and GraphQL over HTTP.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from mypd_graph.cli import main
from mypd_graph.settings import DEVELOPMENT_SECRET, Settings, SettingsError
from tests.conftest import SECRET
from tests.factories import ADMIN

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

# These tests sign in with development tokens, which production refuses unless allowed
# (tests/test_sign_in_tokens.py covers the refusal).
PRODUCTION = {
    "MYPD_ENVIRONMENT": "production",
    "MYPD_SECRET_KEY": SECRET,
    "MYPD_ALLOW_DEV_TOKENS": "1",
}


@pytest.mark.parametrize(
    ("spelling", "meant"),
    [
        ("production", "production"),
        ("Production", "production"),
        ("PRODUCTION", "production"),
        (" production", "production"),
        ("prod\n", "production"),
        ("Prod", "production"),
        ("development", "development"),
        ("DEV", "development"),
        ("Test", "test"),
        ("testing", "test"),
        ("", "development"),
    ],
)
def test_each_spelling_of_an_environment_means_that_environment(spelling: str, meant: str) -> None:
    settings = Settings.from_env({"MYPD_ENVIRONMENT": spelling, "MYPD_SECRET_KEY": SECRET})
    assert settings.environment == meant


@pytest.mark.parametrize("spelling", ["Production", "PRODUCTION", "prod", " production"])
def test_any_spelling_of_production_is_production(spelling: str) -> None:
    """Each of these once started in development mode: the public secret, raw error texts,
    GraphiQL and the whole schema open to anyone."""
    with pytest.raises(SettingsError, match="MYPD_SECRET_KEY must be set"):
        Settings.from_env({"MYPD_ENVIRONMENT": spelling})
    settings = Settings.from_env({**PRODUCTION, "MYPD_ENVIRONMENT": spelling})
    assert settings.is_production
    assert not settings.graphiql
    assert not settings.introspection_enabled
    assert not settings.field_suggestions_enabled


@pytest.mark.parametrize("spelling", ["staging", "produciton", "live", "prod-eu", "1"])
def test_an_unknown_environment_is_refused_in_one_line(spelling: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"MYPD_ENVIRONMENT": spelling, "MYPD_SECRET_KEY": SECRET})
    message = str(refused.value)
    assert "MYPD_ENVIRONMENT" in message and repr(spelling) in message and "production" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("secret", "accepted"),
    [
        ("a", False),
        ("k" * 31, False),
        ("é" * 15, False),  # 30 bytes
        ("k" * 32, True),
        ("é" * 16, True),  # 16 characters, 32 bytes: bytes are what the key holds
        (DEVELOPMENT_SECRET, False),  # long enough, and public
    ],
)
def test_production_needs_a_secret_of_32_bytes(secret: str, accepted: bool) -> None:
    environ = {"MYPD_ENVIRONMENT": "production", "MYPD_SECRET_KEY": secret}
    if accepted:
        assert Settings.from_env(environ).secret_key == secret
        return
    with pytest.raises(SettingsError, match="MYPD_SECRET_KEY") as refused:
        Settings.from_env(environ)
    if len(secret) > 1:  # the message never echoes the secret back ("a" is in any sentence)
        assert secret not in str(refused.value)


def test_short_secrets_are_still_fine_outside_production() -> None:
    assert Settings.from_env({"MYPD_SECRET_KEY": "a"}).secret_key == "a"


def test_settings_built_in_code_are_checked_too() -> None:
    """The rules hold for every Settings object, not only those read from the environment."""
    with pytest.raises(SettingsError, match="bytes"):
        Settings(environment="Production", secret_key="short")
    with pytest.raises(SettingsError, match="MYPD_ENVIRONMENT"):
        Settings(environment="staging")
    assert Settings(environment=" PROD ", secret_key=SECRET).environment == "production"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MYPD_MAX_BODY_BYTES", "abc"),
        ("MYPD_MAX_BODY_BYTES", "-5"),
        ("MYPD_MAX_BODY_BYTES", "0"),
        ("MYPD_MAX_BODY_BYTES", "1e6"),
        ("MYPD_MAX_BODY_BYTES", "1_000"),
        ("MYPD_MAX_QUERY_DEPTH", "\u0661\u0662"),  # Arabic-Indic 12: int() would take it
        ("MYPD_TOKEN_TTL_HOURS", "12h"),
        ("MYPD_MAX_UPLOAD_BYTES", "2.5"),
        ("MYPD_REQUEST_TIMEOUT", "soon"),
        ("MYPD_REQUEST_TIMEOUT", "0"),
        ("MYPD_REQUEST_TIMEOUT", "nan"),
        ("MYPD_REQUEST_TIMEOUT", "inf"),
        ("MYPD_GRAPHIQL", "maybe"),
        ("MYPD_INTROSPECTION", "enabled"),
        ("MYPD_FIELD_SUGGESTIONS", "2"),
        ("MYPD_AUTO_MIGRATE", "si"),
    ],
)
def test_an_unreadable_value_is_refused_naming_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"MYPD_SECRET_KEY": SECRET, variable: value})
    assert variable in str(refused.value) and "\n" not in str(refused.value)


def test_readable_values_and_their_spellings() -> None:
    settings = Settings.from_env(
        {
            "MYPD_SECRET_KEY": SECRET,
            "MYPD_MAX_BODY_BYTES": " 2048 ",
            "MYPD_REQUEST_TIMEOUT": "2.5",
            "MYPD_GRAPHIQL": "OFF",
            "MYPD_AUTO_MIGRATE": "Yes",
        }
    )
    assert settings.max_body_bytes == 2048
    assert settings.request_timeout_seconds == 2.5
    assert settings.graphiql is False and settings.auto_migrate is True


def test_introspection_and_suggestions_default_by_environment_and_can_be_set() -> None:
    development = Settings.from_env({"MYPD_SECRET_KEY": SECRET})
    assert development.introspection_enabled and development.field_suggestions_enabled
    opened = Settings.from_env(
        {**PRODUCTION, "MYPD_INTROSPECTION": "on", "MYPD_FIELD_SUGGESTIONS": "true"}
    )
    assert opened.introspection_enabled and opened.field_suggestions_enabled
    closed = Settings.from_env(
        {"MYPD_SECRET_KEY": SECRET, "MYPD_INTROSPECTION": "0", "MYPD_FIELD_SUGGESTIONS": "no"}
    )
    assert not closed.introspection_enabled and not closed.field_suggestions_enabled


# --------------------------------------------------------------------------------------------------
# The command line: one line and a non-zero exit, never a traceback
# --------------------------------------------------------------------------------------------------

REFUSED = [
    ({"MYPD_ENVIRONMENT": "Prodution"}, "MYPD_ENVIRONMENT='Prodution' is not one of"),
    ({"MYPD_ENVIRONMENT": "PRODUCTION", "MYPD_SECRET_KEY": ""}, "MYPD_SECRET_KEY must be set"),
    ({"MYPD_ENVIRONMENT": "prod", "MYPD_SECRET_KEY": "a"}, "MYPD_SECRET_KEY is 1 bytes"),
    ({"MYPD_MAX_BODY_BYTES": "lots"}, "MYPD_MAX_BODY_BYTES must be a whole number"),
]


@pytest.mark.parametrize(("environ", "said"), REFUSED)
@pytest.mark.parametrize(
    "command", [["serve"], ["db", "upgrade"], ["token", "--email", ADMIN], ["plugins", "list"]]
)
def test_every_command_refuses_bad_settings_in_one_line(
    tmp_path: Path, command: list[str], environ: dict[str, str], said: str
) -> None:
    env = {
        "MYPD_SECRET_KEY": SECRET,
        "MYPD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never.db'}",
        **environ,
    }
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith("Error: ") and said in result.output
    assert not (tmp_path / "never.db").exists()  # refused before touching the database


def test_mypd_graph_serve_with_a_bad_environment_prints_one_line(tmp_path: Path) -> None:
    """The installed command, as an operator runs it."""
    script = Path(sys.executable).with_name("mypd-graph")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mypd_graph"]
    result = subprocess.run(
        [*command, "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "MYPD_ENVIRONMENT": " Production ", "MYPD_SECRET_KEY": "a"},
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: MYPD_SECRET_KEY is 1 bytes; production needs at least 32")
    assert not (tmp_path / "mypd.db").exists()


# --------------------------------------------------------------------------------------------------
# GraphQL in production: no schema map for whoever probes it
# --------------------------------------------------------------------------------------------------


SERVED = {
    "development": {"MYPD_SECRET_KEY": SECRET},
    "production": {**PRODUCTION, "MYPD_ENVIRONMENT": "Production"},
    # Development (raw error texts) with suggestions off: what is hidden is hidden by that
    # setting, not by production masking an error's whole text.
    "suggestions off": {"MYPD_SECRET_KEY": SECRET, "MYPD_FIELD_SUGGESTIONS": "off"},
    "production, opened": {
        **PRODUCTION,
        "MYPD_INTROSPECTION": "1",
        "MYPD_FIELD_SUGGESTIONS": "1",
    },
}


@pytest.fixture
def settings(request: pytest.FixtureRequest, db: TestDatabase) -> Settings:
    """The settings the ``client`` fixture's app runs with here: read from the environment the
    test names (``indirect`` parameter), development when it names none."""
    return Settings.from_env(SERVED[getattr(request, "param", "development")], database_url=db.url)


INTROSPECTION = [
    "{ __schema { types { name } } }",
    '{ __type(name: "User") { fields { name } } }',
    "query { ...Q } fragment Q on Query { __schema { queryType { name } } }",
]
# Each names something that does not exist, next to a name that does.
TYPOS = [
    ("{ viewr { email } }", {}),
    ("{ viewer { emal } }", {}),
    ("{ imports(firs: 1) { __typename } }", {}),
    ("fragment F on Usr { email } { viewer { ...F } }", {}),
    (
        "query($w: ImportFilterInput) { imports(where: $w) { __typename } }",
        {"w": {"status": "COMPLETE"}},
    ),
    (
        "query($w: ImportFilterInput) { imports(where: $w) { __typename } }",
        {"w": {"statu": "FAILED"}},
    ),
]


@pytest.mark.parametrize("settings", ["production"], indirect=True)
@pytest.mark.parametrize("query", INTROSPECTION)
async def test_production_refuses_introspection(client: GraphQLClient, query: str) -> None:
    body = await client.raw(query, as_=ADMIN)
    assert body.get("data") is None
    assert "introspection has been disabled" in body["errors"][0]["message"]
    # What clients still need works: __typename.
    assert await client.execute("{ viewer { __typename } }", as_=ADMIN) == {
        "viewer": {"__typename": "User"}
    }


@pytest.mark.parametrize(("query", "variables"), TYPOS)
async def test_errors_suggest_names_by_default(
    client: GraphQLClient, query: str, variables: dict[str, object]
) -> None:
    """The baseline of the next test: each of these mistakes gets its "Did you mean ...?"."""
    body = await client.raw(query, variables, as_=ADMIN)
    assert any("Did you mean" in error["message"] for error in body["errors"]), body


@pytest.mark.parametrize("settings", ["production", "suggestions off"], indirect=True)
@pytest.mark.parametrize(("query", "variables"), TYPOS)
async def test_errors_suggest_no_names_when_suggestions_are_off(
    client: GraphQLClient, query: str, variables: dict[str, object]
) -> None:
    """In production, or with MYPD_FIELD_SUGGESTIONS off, no error guesses a name, whether
    validation (fields, arguments, types) or variable coercion (enum values, input fields)
    found the mistake."""
    body = await client.raw(query, variables, as_=ADMIN)
    assert body["errors"], body
    for error in body["errors"]:
        assert "did you mean" not in error["message"].lower(), error


@pytest.mark.parametrize("settings", ["production, opened"], indirect=True)
async def test_settings_open_introspection_and_suggestions_in_production(
    client: GraphQLClient, settings: Settings
) -> None:
    assert settings.is_production
    data = await client.execute('{ __type(name: "User") { name } }', as_=ADMIN)
    assert data == {"__type": {"name": "User"}}
    body = await client.raw("{ viewr { email } }", as_=ADMIN)
    assert "Did you mean 'viewer'?" in body["errors"][0]["message"]
