"""Bad input at the door of /graphql: every malformed request is a 400 with a JSON error, every
impossible token a 401; none reaches a resolver or the database, none is a 500.

The ``client`` fixture's transport re-raises exceptions from the app, so a request that used to
crash inside Strawberry (a body of ``null``) fails these tests outright rather than as a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest

from mypd_graph.auth import ISSUER
from tests.conftest import SECRET
from tests.factories import ADMIN, TEACHER_A
from tests.security_helpers import fingerprint

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

VIEWER = "{ viewer { email } }"
UPDATE_BIO = 'mutation { updateProfile(input: {bio: "changed"}) { userErrors { code } } }'


def assert_bad_request(response: httpx.Response, *words: str) -> None:
    """A 400 whose body is GraphQL's ``errors`` in JSON, with a code and a message naming the
    problem: what a client library can show its user."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    for word in words:
        assert word in error["message"], error["message"]


def bearer(client: GraphQLClient, email: str = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token_for(email)}"}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"null", "JSON object"),
        (b'"x"', "JSON object"),
        (b"42", "JSON object"),
        (b"true", "JSON object"),
        (b"[]", "batched"),
        (b"[null]", "batched"),
        (b"{", "not valid JSON"),
        (b"\x80{}", "not valid JSON"),  # not UTF-8: UnicodeDecodeError, not a JSONDecodeError
        (b"[" * 5000, "not valid JSON"),  # nesting past the recursion limit
        (b'{"query": "{ viewer { email } }", "variables": {"a": 1' + b"0" * 5000 + b"}}", "JSON"),
        (b"{}", "`query`"),
        (b'{"query": 5}', "`query`"),
        (b'{"query": ["{ viewer { email } }"]}', "`query`"),
        (b'{"query": "{ viewer { email } }", "variables": [1]}', "`variables`"),
        (b'{"query": "{ viewer { email } }", "variables": "x"}', "`variables`"),
        (b'{"query": "{ viewer { email } }", "operationName": 5}', "`operationName`"),
        (b'{"query": "{ viewer { email } }", "extensions": 3}', "`extensions`"),
    ],
)
async def test_a_malformed_json_body_is_a_400_with_a_json_error(
    client: GraphQLClient, db: TestDatabase, body: bytes, named: str
) -> None:
    before = await fingerprint(db)
    response = await client.http.post(
        "/graphql",
        content=body,
        headers={**bearer(client), "content-type": "application/json"},
    )
    assert_bad_request(response, named)
    assert await fingerprint(db) == before


async def test_a_mutation_in_a_malformed_body_runs_nothing(
    client: GraphQLClient, db: TestDatabase
) -> None:
    """The shape is checked before GraphQL sees the body: a batch holding a mutation changes
    nothing (the batch is refused whole)."""
    before = await fingerprint(db)
    response = await client.http.post(
        "/graphql", json=[{"query": UPDATE_BIO}], headers=bearer(client, TEACHER_A)
    )
    assert_bad_request(response, "batched")
    assert await fingerprint(db) == before


async def test_a_well_formed_body_sent_in_chunks_still_runs(client: GraphQLClient) -> None:
    """The guard reads the body to check it and hands the same bytes on to GraphQL."""

    async def chunked():
        yield b'{"query": "{ viewer '
        yield b'{ email } }", "variables": null, "operationName": null}'

    response = await client.http.post(
        "/graphql",
        content=chunked(),
        headers={**bearer(client, TEACHER_A), "content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"viewer": {"email": TEACHER_A}}}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"variables": "[" * 5000}, "not valid JSON"),
        ({"variables": '{"a": 1' + "0" * 5000 + "}"}, "not valid JSON"),
        ({"variables": "not json"}, "not valid JSON"),
        ({"variables": "5"}, "`variables`"),
        ({"extensions": "[1]"}, "`extensions`"),
    ],
)
async def test_bad_get_parameters_are_a_400_with_a_json_error(
    client: GraphQLClient, params: dict[str, str], named: str
) -> None:
    response = await client.http.get(
        "/graphql", params={"query": VIEWER, **params}, headers=bearer(client)
    )
    assert_bad_request(response, named)


async def test_strawberrys_own_refusals_are_json_too(client: GraphQLClient) -> None:
    """Refusals Strawberry raises itself were plain text; a client parses every answer as JSON."""
    unknown_operation = await client.http.post(
        "/graphql",
        json={"query": "query A { viewer { email } }", "operationName": "B"},
        headers=bearer(client),
    )
    assert_bad_request(unknown_operation, "B")
    unsupported = await client.http.post(
        "/graphql",
        content=VIEWER.encode(),
        headers={**bearer(client), "content-type": "application/graphql"},
    )
    assert_bad_request(unsupported, "content type")
    mutation_by_get = await client.http.get(
        "/graphql", params={"query": UPDATE_BIO}, headers=bearer(client, TEACHER_A)
    )
    assert mutation_by_get.status_code in {400, 405}
    assert mutation_by_get.json()["errors"][0]["extensions"]["code"]


def upload(operations: str, files_map: str) -> dict[str, Any]:
    return {
        "data": {"operations": operations, "map": files_map},
        "files": {"0": ("scores.csv", b"a,b\n1,2\n", "text/csv")},
    }


IMPORT = (
    '{"query": "mutation($f: Upload!) { importFile(input: {importer: \\"csv-scores\\", '
    'file: $f}) { userErrors { code } } }", "variables": {"f": null}}'
)


@pytest.mark.parametrize(
    ("operations", "files_map", "named"),
    [
        ("null", '{"0": ["variables.f"]}', "JSON object"),
        ('"x"', '{"0": ["variables.f"]}', "JSON object"),
        ("[]", '{"0": ["0.variables.f"]}', "batched"),
        ("{", '{"0": ["variables.f"]}', "not valid JSON"),
        (IMPORT, "null", "`map`"),
        (IMPORT, '{"0": "variables.f"}', "`map`"),
        (IMPORT, '{"0": ["variables.g.h"]}', "`map`"),
        (IMPORT, '{"0": ["query.x"]}', "`map`"),
        (IMPORT, '{"9": ["variables.f"]}', "`map`"),
    ],
)
async def test_a_malformed_upload_is_a_400_with_a_json_error(
    client: GraphQLClient, db: TestDatabase, operations: str, files_map: str, named: str
) -> None:
    before = await fingerprint(db)
    response = await client.http.post(
        "/graphql", **upload(operations, files_map), headers=bearer(client)
    )
    assert_bad_request(response, named)
    assert await fingerprint(db) == before


def signed(subject: object) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "iss": ISSUER, "iat": now, "exp": now + timedelta(hours=1)}
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "subject",
    [
        str(2**31),  # past PostgreSQL's integer: a driver error, so HTTP 500, on PostgreSQL
        str(2**63),  # past SQLite's integer: an overflow, so HTTP 500, on SQLite
        "9" * 400,
        "-1",
        "0",
        "1.5",
        "1e3",
        "0001",
        "+1",
        " 1",
        "1_0",
        "\u0661",  # ARABIC-INDIC DIGIT ONE: int() reads it as 1
        "abc",
        "",
    ],
)
async def test_a_signed_token_with_an_impossible_subject_is_a_401(
    client: GraphQLClient, subject: str
) -> None:
    """Signed with the right key, but naming no user id this service ever issues."""
    response = await client.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {signed(subject)}"}
    )
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_largest_possible_subject_is_an_unknown_user_not_an_error(
    client: GraphQLClient,
) -> None:
    response = await client.http.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": f"Bearer {signed(str(2**31 - 1))}"},
    )
    assert response.status_code == 401
    assert "does not exist" in response.json()["errors"][0]["message"]
