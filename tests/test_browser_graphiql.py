"""GraphiQL in a real browser, offline: the README's first query runs in headless Chromium with a
token pasted into the Headers pane, and the page asks nothing of any host but the service's own.

The service is the real thing (``mypd-graph serve --migrate --demo`` in its own process) and the
token comes from ``mypd-graph token``, as the README says. Skips when Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.browser import BrowserPage, chromium_page, require_chromium
from tests.conftest import SECRET
from tests.helpers import free_port, served
from tests.test_readme import tour

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT = ".result-window .CodeMirror"


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo district served over HTTP from a fresh SQLite file: (base URL, environment)."""
    require_chromium()  # skip before paying for a server
    path = tmp_path_factory.mktemp("browser") / "demo.db"
    env = {"MYPD_DATABASE_URL": f"sqlite+aiosqlite:///{path}", "MYPD_SECRET_KEY": SECRET}
    port = free_port()
    command = [sys.executable, "-m", "mypd_graph", "serve", "--port", str(port)]
    with served([*command, "--migrate", "--demo"], port, env) as base:
        yield base, env


def token_for(email: str, env: dict[str, str]) -> str:
    """A token minted the README's way: ``mypd-graph token --email EMAIL``."""
    command = [sys.executable, "-m", "mypd_graph", "token", "--email", email]
    minted = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return minted.stdout.strip()


async def paste_into(browser: BrowserPage, selector: str, text: str) -> None:
    """Replace an editor's text as a user pasting would (no key-by-key bracket completion)."""
    await browser.page.click(selector)
    await browser.page.keyboard.press("ControlOrMeta+a")
    await browser.page.keyboard.insert_text(text)


async def test_graphiql_runs_the_readme_query_with_a_pasted_token(demo_service) -> None:
    base, env = demo_service
    email, operation = tour()[0]
    token = token_for(email, env)
    expected = httpx.post(
        f"{base}/graphql",
        json={"query": operation},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert expected["data"]["viewer"]["name"], expected

    async with chromium_page() as browser:
        page = browser.page
        await page.goto(f"{base}/graphql")  # returns once the page and its files loaded
        assert browser.foreign_requests(base) == [] and browser.csp_violations == []
        await page.wait_for_selector(QUERY_EDITOR, timeout=10_000)
        await paste_into(browser, QUERY_EDITOR, operation)
        await page.get_by_role("button", name="Headers").click()
        headers_editor = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
        await paste_into(browser, headers_editor, json.dumps({"Authorization": f"Bearer {token}"}))
        # With the token the schema loads by itself (it was refused without): the docs show it.
        await page.get_by_role("button", name="Show Documentation Explorer").click()
        docs = page.locator(".graphiql-doc-explorer-content a", has_text="Query")
        await docs.first.wait_for(timeout=10_000)
        await page.click(".graphiql-execute-button")
        # Functions, not expressions: a string expression is eval'd, and the page's CSP forbids it.
        await page.wait_for_function(
            "(s) => document.querySelector(s).CodeMirror.getValue().includes('viewer')",
            arg=RESULT,
            timeout=10_000,
        )
        shown = await page.evaluate(
            "(s) => document.querySelector(s).CodeMirror.getValue()", RESULT
        )

        assert json.loads(shown) == expected
        # A dialog's scroll lock adds a <style>: allowed by the page's nonce, not by 'unsafe-inline'.
        await page.get_by_role("button", name="Open settings dialog").click()
        await page.get_by_role("dialog").wait_for()
        nonces = await page.evaluate(
            "() => [...document.querySelectorAll('style')].map(s => s.nonce)"
        )
        assert nonces and all(nonces), nonces
        assert browser.foreign_requests(base) == []
        assert browser.csp_violations == []
        assert browser.page_errors == []
    # Before the token is pasted GraphiQL asks for the schema and is refused (401): the only error.
    assert all("401" in text for text in browser.console_errors()), browser.console
    assert any(url.startswith(f"{base}/static/graphiql/") for url in browser.requests)


async def test_home_page_links_to_graphiql_and_stays_on_its_origin(demo_service) -> None:
    base, _ = demo_service
    async with chromium_page() as browser:
        page = browser.page
        await page.goto(f"{base}/")
        assert "GraphQL service" in await page.inner_text("main")
        await page.get_by_role("link", name="GraphiQL").click()
        await page.wait_for_selector(QUERY_EDITOR, timeout=10_000)
        assert page.url == f"{base}/graphql"
        assert browser.foreign_requests(base) == []
        assert browser.csp_violations == []
        assert browser.page_errors == []
