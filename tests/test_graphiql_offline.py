"""GraphiQL works without internet: the page loads every file from the service itself, under a
Content-Security-Policy that allows nothing else, and a wheel carries those files.

The browser half (the page really runs under that policy) is tests/test_browser_graphiql.py.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import tomllib
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from mypd_graph.app import create_app
from mypd_graph.pages import STATIC, TEMPLATES
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.settings import Settings
from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mypd_graph"
HTML = {"accept": "text/html"}


class Links(HTMLParser):
    """Every URL a page names in an attribute, and the nonce of each script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.script_nonces: list[str | None] = []
        self.inline_code = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        if tag == "script":
            self.script_nonces.append(values.get("nonce"))
            self._in_script_without_src = "src" not in values
        if tag == "style":
            self.inline_code += 1  # an inline <style>: the policy allows none either

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False


def links_of(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


async def page_client(settings: Settings, plugins: PluginSet) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, plugins=plugins)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mypd.test"
    ) as http:
        yield http


@pytest.fixture
async def http(tmp_path: Path, plugins: PluginSet) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI; pages touch no database, so an unmigrated file is enough."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/pages.db", secret_key=SECRET)
    async for client in page_client(settings, plugins):
        yield client


async def test_graphiql_page_names_no_other_host_and_its_files_are_served(http) -> None:
    page = await http.get("/graphql", headers=HTML)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]", page.text, re.IGNORECASE)
    links = links_of(page.text)
    assert links.inline_code == 0
    files = [url for url in links.urls if not url.startswith("data:")]
    assert {url.rsplit("/", 1)[-1] for url in files} >= {
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "graphiql.min.css",
        "plugin-explorer.umd.js",
        "graphiql.js",
    }
    for url in files:
        assert url.startswith("/static/"), url
        served = await http.get(url)
        assert served.status_code == 200, url
        kind = "text/css" if url.endswith(".css") else "text/javascript"
        assert served.headers["content-type"].startswith(kind), url
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.content == (STATIC / url.removeprefix("/static/")).read_bytes()


async def test_graphiql_page_policy_allows_only_its_origin_and_a_fresh_style_nonce(http) -> None:
    first = await http.get("/graphql", headers=HTML)
    policy = directives(first.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline scripts, no eval, no CDN
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    for values in policy.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} & set(values)
    nonce = next(value for value in policy["style-src"] if value.startswith("'nonce-"))
    assert links_of(first.text).script_nonces[-1] == nonce[len("'nonce-") : -1]
    second = await http.get("/graphql", headers=HTML)
    assert second.headers["content-security-policy"] != first.headers["content-security-policy"]
    assert first.headers["cache-control"] == "no-store"


async def test_graphql_answers_keep_working_under_the_pages_middleware(http) -> None:
    refused = await http.post("/graphql", json={"query": "{ viewer { name } }"})
    assert refused.status_code == 401 and refused.json()["errors"]
    assert "content-security-policy" not in refused.headers  # JSON, not a page


async def test_static_files_are_gzipped_for_clients_that_accept_it(http) -> None:
    served = await http.get("/static/graphiql/graphiql.min.js", headers={"accept-encoding": "gzip"})
    assert served.headers["content-encoding"] == "gzip"
    raw = await http.get(
        "/static/graphiql/graphiql.min.js", headers={"accept-encoding": "identity"}
    )
    assert int(raw.headers["content-length"]) > 3 * len(gzip.compress(raw.content))


def test_a_wheel_carries_the_pages_and_their_files() -> None:
    """pyproject's package-data globs (as setuptools expands them) cover every static file and
    template, so an installed wheel serves the same page as the checkout."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["mypd_graph"]
    shipped = {path for pattern in patterns for path in PACKAGE.glob(pattern) if path.is_file()}
    needed = {p for p in [*STATIC.rglob("*"), *TEMPLATES.rglob("*")] if p.is_file()}
    assert needed and needed <= shipped, sorted(str(p) for p in needed - shipped)


def test_vendored_files_are_the_ones_the_readme_names() -> None:
    """The sha256 list in static/graphiql/README.md is the vendored files': a refresh that
    forgot the README (or a hand edit of a vendored file) fails here."""
    readme = (STATIC / "graphiql" / "README.md").read_text(encoding="utf-8")
    listed = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)
    )
    present = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (STATIC / "graphiql").iterdir()
        if path.name != "README.md"
    }
    assert listed == present
    total = sum(path.stat().st_size for path in (STATIC / "graphiql").iterdir())
    assert total < 2_500_000, f"the vendored GraphiQL grew to {total} bytes"
