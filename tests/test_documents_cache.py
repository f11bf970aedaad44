"""Documents cached by hash (schema/documents.py): a document that passed parsing, the bounds and
validation is kept and not checked again, a refused one stays refused however often it is sent,
and a cached document checks every request's variables and every viewer's access like the first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import parse

from mypd_graph.schema.documents import DocumentCache, cache_of, document_hash
from tests.factories import ADMIN, OUTSIDER, TEACHER_A, TEACHER_B, TEACHER_C
from tests.test_limits import doubling_fragments

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient

TEACHERS = "query Teachers { district { teachers(first: 50) { nodes { email } } } }"


def documents(client: GraphQLClient) -> DocumentCache:
    """The cache of the schema the app under test serves."""
    app = client.http._transport.app  # type: ignore[attr-defined]
    for route in app.routes:
        if getattr(route, "path", None) == "/graphql":
            view = route.app.app.app  # PersistedQueryBodies → GraphQLGuard → the view
            cache = cache_of(view.schema)
            assert cache is not None
            return cache
    raise AssertionError("no /graphql route")


async def test_a_document_that_passed_is_kept_and_reused(client: GraphQLClient) -> None:
    cache = documents(client)
    assert document_hash(TEACHERS) not in cache
    first = await client.execute(TEACHERS, as_=ADMIN)
    entry = cache.get(document_hash(TEACHERS))
    assert entry is not None and entry.query == TEACHERS
    assert await client.execute(TEACHERS, as_=ADMIN) == first
    # The second request ran the kept document: the very same parsed object is still there.
    assert cache.get(document_hash(TEACHERS)) is entry


async def test_refused_documents_stay_refused_on_every_send(client: GraphQLClient) -> None:
    cache = documents(client)
    refused = {
        "QUERY_TOO_COSTLY": doubling_fragments(40),
        "DOCUMENT_TOO_LARGE": "{ viewer { " + "...V " * 201 + "} } fragment V on User { id }",
        "QUERY_TOO_DEEP": "query Deep { viewer { "
        + "teacher { user { " * 8
        + "id"
        + " } }" * 8
        + " } }",
        "GRAPHQL_VALIDATION_FAILED": "{ viewer { noSuchField } }",
        "GRAPHQL_PARSE_FAILED": "{ viewer { id }",
        "BAD_TEXT": '{ district { teachers(where: {nameContains: "a\\u0000"}) { nodes { id } } } }',
    }
    for code, query in refused.items():
        for send in range(3):
            body = await client.raw(query, as_=ADMIN)
            assert "data" not in body or body["data"] is None, (code, send)
            assert body["errors"][0]["extensions"]["code"] == code, (code, send, body)
        assert document_hash(query) not in cache, code


async def test_too_many_tokens_stays_refused(client: GraphQLClient, settings) -> None:
    query = "{ viewer { " + "id " * settings.max_tokens + "} }"
    for _ in range(2):
        [error] = (await client.raw(query, as_=ADMIN))["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        assert "tokens" in error["message"]
    assert document_hash(query) not in documents(client)


async def test_a_kept_document_still_checks_each_requests_variables(client: GraphQLClient) -> None:
    query = (
        "query Named($name: String) { district { teachers(where: {nameContains: $name}) "
        "{ nodes { id } } } }"
    )
    await client.execute(query, {"name": "a"}, as_=ADMIN)
    assert document_hash(query) in documents(client)
    body = await client.raw(query, {"name": "a\x00"}, as_=ADMIN)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_TEXT"
    assert error["extensions"]["field"] == ["name"]


async def test_a_kept_document_checks_each_viewers_access(client: GraphQLClient) -> None:
    """The access rules live in resolvers and services: a document kept from an admin's request
    answers a teacher, and another district's admin, with only what they may read."""
    admin = await client.execute(TEACHERS, as_=ADMIN)
    entry = documents(client).get(document_hash(TEACHERS))
    seen_by_admin = {node["email"] for node in admin["district"]["teachers"]["nodes"]}
    assert {TEACHER_A, TEACHER_B, TEACHER_C} <= seen_by_admin

    teacher = await client.execute(TEACHERS, as_=TEACHER_C)
    assert documents(client).get(document_hash(TEACHERS)) is entry  # the kept document ran
    seen_by_teacher = {node["email"] for node in teacher["district"]["teachers"]["nodes"]}
    assert TEACHER_A not in seen_by_teacher and TEACHER_B not in seen_by_teacher

    outsider = await client.execute(TEACHERS, as_=OUTSIDER)
    seen_by_outsider = {node["email"] for node in outsider["district"]["teachers"]["nodes"]}
    assert not seen_by_outsider & seen_by_admin


async def test_a_kept_query_is_still_no_mutation_over_get(client: GraphQLClient) -> None:
    mutation = 'mutation Bio { updateProfile(input: {bio: "x"}) { userErrors { code } } }'
    await client.execute(mutation, as_=TEACHER_A)
    assert document_hash(mutation) in documents(client)
    response = await client.http.get(
        "/graphql",
        params={"query": mutation},
        headers={"Authorization": f"Bearer {client.token_for(TEACHER_A)}"},
    )
    assert response.status_code in (400, 405)
    assert "errors" in response.json()


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = DocumentCache(max_documents=3)
    queries = [f"{{ viewer {{ id a{i}: name }} }}" for i in range(4)]
    for query in queries[:3]:
        cache.put(document_hash(query), query, parse(query))
    assert cache.get(document_hash(queries[0])) is not None  # now the most recently used
    cache.put(document_hash(queries[3]), queries[3], parse(queries[3]))
    assert len(cache) == 3
    assert document_hash(queries[1]) not in cache
    assert all(document_hash(q) in cache for q in (queries[0], queries[2], queries[3]))


def test_the_cache_is_bounded_by_text_too() -> None:
    cache = DocumentCache(max_documents=100, max_text=100, max_document_text=60)
    long = "{ viewer { " + "id " * 20 + "} }"  # 73 characters: never kept
    cache.put(document_hash(long), long, parse(long))
    assert len(cache) == 0
    queries = [f"{{ viewer {{ a{i}: id b{i}: name }} }}" for i in range(4)]  # 30 each
    for query in queries:
        cache.put(document_hash(query), query, parse(query))
    assert len(cache) == 3 and cache.text == sum(len(query) for query in queries[1:]) <= 100
    assert document_hash(queries[0]) not in cache
