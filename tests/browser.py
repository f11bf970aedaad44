"""Headless Chromium for tests that need a real browser: the system's Chromium (Debian's
``chromium``) driven by Playwright, which records every request the page makes, every console
message and every Content-Security-Policy violation, so a test can assert a page stays on its
own origin. Tests skip, saying what to install, when Chromium or Playwright is missing.

Playwright, not Selenium: it installs from PyPI with its driver inside the wheel and talks to the
browser directly, so the only system package is Chromium itself (Selenium would also need a
``chromium-driver`` of the same version); and it reports requests and console messages as events,
where Selenium needs vendor logging options. ``playwright install`` is never run: it downloads a
browser build, which this project's machines cannot reach; ``executable_path`` points at the
system's Chromium instead.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.async_api import ConsoleMessage, Page, Request

INSTALL_CHROMIUM = "apt-get install chromium (Debian's package; `.ci/run` installs it in CI)"
INSTALL_PLAYWRIGHT = "pip install -e '.[test]' (`make install`)"
# Headless without a display, a sandbox (tests run as root) or a GPU; no background requests of
# Chromium's own (component updates, safe browsing) that would look like the page's.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Reports each violation to the test (an exposed binding is not subject to the page's policy).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def chromium_executable() -> str | None:
    """``MYPD_CHROMIUM`` when set, else the first Chromium on PATH."""
    configured = os.environ.get("MYPD_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class BrowserPage:
    """A page and what it did: requests (URLs), console messages and CSP violations."""

    page: Page
    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def foreign_requests(self, origin: str) -> list[str]:
        """Requests to anywhere but ``origin`` (scheme://host:port); ``data:`` URLs are inline."""
        own = urlsplit(origin)
        return [
            url
            for url in self.requests
            if not url.startswith("data:")
            and (urlsplit(url).scheme, urlsplit(url).netloc) != (own.scheme, own.netloc)
        ]

    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"]

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append((message.type, message.text))
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def _on_page_error(self, error: Exception) -> None:
        self.page_errors.append(str(error))

    def _on_csp_violation(self, report: str) -> None:
        self.csp_violations.append(report)


def _unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI (``CI`` set), where .ci/run installs Chromium
    and a skipped browser test would pass unseen."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_chromium() -> str:
    """Chromium's path, once Chromium and Playwright are known to be there; call it before
    starting anything costly (a server) that a skipped test would not use."""
    executable = chromium_executable()
    if executable is None:
        _unavailable(f"chromium not installed: {INSTALL_CHROMIUM}")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _unavailable(f"playwright not installed: {INSTALL_PLAYWRIGHT}")
    return executable


@asynccontextmanager
async def chromium_page() -> AsyncIterator[BrowserPage]:
    """A fresh headless Chromium with one page, closed afterwards; skips when it cannot run."""
    executable = require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=FLAGS
        )
        try:
            context = await browser.new_context()
            page = await context.new_page()
            page.set_default_timeout(10_000)  # a broken page fails in seconds, not half a minute
            seen = BrowserPage(page)
            # On the context: requests of popups and workers count too.
            context.on("request", seen._on_request)
            page.on("console", seen._on_console)
            page.on("pageerror", seen._on_page_error)
            await page.expose_function("reportCspViolation", seen._on_csp_violation)
            await page.add_init_script(REPORT_CSP_VIOLATIONS)
            yield seen
        finally:
            await browser.close()


async def empty_postgres(engine: Any) -> None:
    """Empty the suite's migrated PostgreSQL database (as the ``db`` fixture does), so a served
    app loads the demo into it; the audit tables refuse TRUNCATE but for the suite's superuser
    with triggers off for this transaction."""
    from sqlalchemy import text

    from mypd_graph import migrate
    from mypd_graph.models import Base

    tables = ", ".join(
        f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
        for table in Base.metadata.sorted_tables
    )
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :head"),
            {"head": migrate.head_revision()},
        )


@asynccontextmanager
async def served_demo(
    backend: str, directory: Path, postgres_engine: Any, postgres_url: str, secret: str
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """``mypd-graph serve --migrate --demo`` as the README runs it, on a fresh SQLite file or
    the suite's emptied PostgreSQL database; its base URL and environment."""
    from tests.helpers import free_port, served

    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'demo.db'}"
    else:
        await empty_postgres(postgres_engine)
        url = postgres_url
    env = {
        "MYPD_DATABASE_URL": url,
        "MYPD_SECRET_KEY": secret,
        "MYPD_EVIDENCE_DIR": str(directory / "evidence-files"),  # not the working directory
    }
    port = free_port()
    command = [sys.executable, "-m", "mypd_graph", "serve", "--port", str(port)]
    with served([*command, "--migrate", "--demo"], port, env) as base:
        yield base, env
