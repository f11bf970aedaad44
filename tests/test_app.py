"""The HTTP surface: authentication, health and readiness, GraphiQL, and the abuse limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
from sqlalchemy import update

from mypd_graph import models
from mypd_graph.app import create_app
from mypd_graph.auth import ISSUER
from tests.conftest import SECRET
from tests.factories import ADMIN, TEACHER_A

VIEWER = "{ viewer { email } }"


async def test_missing_token_is_a_clear_401(client) -> None:
    response = await client.post(VIEWER, None, token=None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Bearer" in error["message"]


async def test_bad_expired_and_foreign_tokens_are_rejected(client, world) -> None:
    user_id = world.id(TEACHER_A)
    now = datetime.now(UTC)
    expired = jwt.encode(
        {
            "sub": str(user_id),
            "iss": ISSUER,
            "iat": now - timedelta(hours=2),
            "exp": now - timedelta(hours=1),
        },
        SECRET,
        algorithm="HS256",
    )
    wrong_key = jwt.encode(
        {"sub": str(user_id), "iss": ISSUER, "exp": now + timedelta(hours=1)},
        "another-secret-of-sufficient-length!",
        algorithm="HS256",
    )
    for token, expected in [
        ("not-a-jwt", "not valid"),
        (expired, "expired"),
        (wrong_key, "not valid"),
    ]:
        response = await client.post(VIEWER, None, token=token)
        assert response.status_code == 401, token
        assert expected in response.json()["errors"][0]["message"]


async def test_deactivated_user_cannot_sign_in(client, db, world) -> None:
    token = client.token_for(TEACHER_A)
    assert (await client.post(VIEWER, None, token=token)).status_code == 200
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.User).where(models.User.id == world.id(TEACHER_A)).values(active=False)
        )
    assert (await client.post(VIEWER, None, token=token)).status_code == 401


async def test_health_and_readiness(client) -> None:
    assert (await client.http.get("/healthz")).json() == {"status": "ok"}
    ready = await client.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_readiness_fails_when_migrations_are_behind(client, db) -> None:
    async with db.engine.begin() as connection:
        await connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'behind'")
    ready = await client.http.get("/readyz")
    assert ready.status_code == 503
    assert "migrations" in ready.json()["reason"]


async def test_graphiql_page_is_served_and_can_be_switched_off(client, db, settings, plugins):
    page = await client.http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    quiet = create_app(
        settings.__class__(**{**settings.__dict__, "graphiql": False}),
        plugins=plugins,
        engine=db.engine,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=quiet), base_url="http://test"
    ) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" not in page.text.lower()


async def test_query_depth_is_limited(client) -> None:
    deep = (
        "{ viewer { teacher { user { teacher { user { teacher { user { teacher { user { "
        "teacher { user { teacher { user { email } } } } } } } } } } } } } }"
    )
    body = await client.raw(deep, as_=ADMIN)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_aliases_are_limited(client) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ email }}" for i in range(40)) + " }"
    body = await client.raw(query, as_=ADMIN)
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_page_size_is_bounded(client) -> None:
    body = await client.raw("{ district { teachers(first: 500) { totalCount } } }", as_=ADMIN)
    assert "first must be between 0 and 100" in body["errors"][0]["message"]


async def test_large_bodies_are_refused(client) -> None:
    token = client.token_for(ADMIN)
    response = await client.http.post(
        "/graphql",
        content=b'{"query": "' + b" " * 1_100_000 + b'{ viewer { email } }"}',
        headers={"Authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


async def test_pagination_walks_every_teacher_once(client) -> None:
    seen, after = [], None
    while True:
        data = await client.execute(
            "query($after: String) { district { teachers(first: 2, after: $after) { "
            "pageInfo { hasNextPage endCursor } nodes { email } } } }",
            {"after": after},
            as_=ADMIN,
        )
        page = data["district"]["teachers"]
        seen += [node["email"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 3


async def test_bad_cursor_is_a_clear_error(client) -> None:
    body = await client.raw(
        '{ district { teachers(after: "nonsense") { totalCount } } }', as_=ADMIN
    )
    assert "is not a cursor this API returned" in body["errors"][0]["message"]


async def test_query_errors_carry_a_code_and_field(client) -> None:
    body = await client.raw(
        '{ district { teachers(after: "nonsense") { totalCount } } }', as_=ADMIN
    )
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_CURSOR", "field": ["after"]}
    invalid = await client.raw("{ viewer { nope } }", as_=ADMIN)
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_query_cost_is_bounded_before_anything_runs(client, db) -> None:
    costly = (
        "{ district { teachers(first: 100) { nodes { students(first: 100) { nodes { "
        "firstName lastName results { scaleScore term } } } } } } }"
    )
    with db.count_statements() as counter:
        body = await client.raw(costly, as_=ADMIN)
    [error] = body["errors"]
    assert "query cost" in error["message"] and "exceeds the maximum of 25000" in error["message"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert counter.count == 1, "only the token's user is read; the query never runs"
    fine = await client.raw(
        "{ district { teachers(first: 10) { nodes { students(first: 20) { nodes { firstName } } } } } }",
        as_=ADMIN,
    )
    assert "errors" not in fine
