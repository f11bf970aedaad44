"""``GET /`` says what the service is and where to go (GraphiQL, health, the README) instead of
"Not Found", under the same Content-Security-Policy as every page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mypd_graph.plugins.manager import PluginSet
from mypd_graph.settings import Settings
from tests.conftest import SECRET
from tests.test_graphiql_offline import directives, links_of, page_client

ROOT = Path(__file__).resolve().parents[1]


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path}/pages.db"
    return Settings(database_url=url, secret_key=SECRET, **changes)


@pytest.fixture
async def http(tmp_path: Path, plugins: PluginSet) -> AsyncIterator[httpx.AsyncClient]:
    async for client in page_client(settings_for(tmp_path), plugins):
        yield client


async def test_home_page_says_what_this_is_and_links_on(http) -> None:
    home = await http.get("/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert "GraphQL service" in home.text and "professional development" in home.text
    links = links_of(home.text)
    assert {"/app/", "/graphql", "/healthz", "/readyz", "/readme"} <= set(links.urls)
    assert links.inline_code == 0
    assert not re.search(r"https?://", home.text)
    for url in links.urls:
        if not url.startswith("data:"):
            target = await http.get(url, headers={"accept": "text/html"})
            if url == "/app/":  # a visitor who has not signed in is sent to its sign-in page
                assert target.is_redirect and "/app/login" in target.headers["location"]
                continue
            # /readyz is 503 here (the database is not migrated): it answers, which is the point.
            assert target.status_code in (200, 503), url


async def test_home_page_has_the_strict_policy(http) -> None:
    policy = directives((await http.get("/")).headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


async def test_home_page_without_graphiql_does_not_offer_it(tmp_path, plugins) -> None:
    async for http in page_client(settings_for(tmp_path, graphiql=False), plugins):
        home = await http.get("/")
        assert home.status_code == 200
        assert "/graphql" not in links_of(home.text).urls
        assert "turned off" in home.text


async def test_readme_is_served_from_the_installed_distribution(http) -> None:
    readme = await http.get("/readme")
    assert readme.status_code == 200
    assert readme.headers["content-type"].startswith("text/plain")
    # The installed metadata's copy: its opening matches the repository's README.
    first_lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:3]
    assert readme.text.splitlines()[:3] == first_lines
