"""The web app in a real browser (headless Chromium), on the demo served as the README serves it
(on SQLite, and on PostgreSQL when the suite has one):
Elena signs in through the development page, reads her home page, and fills and submits her
self-assessment with the keyboard alone; every page passes axe-core with no serious or critical
violation at desktop and phone widths, asks nothing of any other host and breaks no CSP rule.
Screenshots of the pages are written under the test's temporary directory for review."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.accessibility import DESKTOP, PHONE, blocking_violations
from tests.browser import BrowserPage, chromium_page, require_chromium, served_demo
from tests.conftest import BACKENDS, POSTGRES_URL, SECRET

ENV: dict[str, dict[str, str]] = {}  # base URL -> the served app's environment


def token_for(base: str, email: str) -> str:
    """A token minted the README's way (``mypd-graph token``), for the served database."""
    command = [sys.executable, "-m", "mypd_graph", "token", "--email", email]
    env = {**os.environ, **ENV[base]}
    return subprocess.run(
        command, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module", params=BACKENDS)
async def demo_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_engine
) -> AsyncIterator[str]:
    """``mypd-graph serve --migrate --demo`` on a fresh SQLite file, and on the suite's
    PostgreSQL database when one is configured; its base URL."""
    require_chromium()  # skip before paying for a server
    directory = tmp_path_factory.mktemp("browser-app")
    async with served_demo(request.param, directory, postgres_engine, POSTGRES_URL, SECRET) as (
        base,
        env,
    ):
        ENV[base] = env
        yield base


async def check_page(browser: BrowserPage, base: str, shots: Path, name: str) -> None:
    """axe at both widths, a screenshot at each, and nothing fetched from elsewhere."""
    assert await blocking_violations(browser.page) == [], name
    for size in (DESKTOP, PHONE):
        await browser.page.set_viewport_size(size)
        await browser.page.screenshot(path=shots / f"{name}-{size['width']}.png", full_page=True)
        # Usable at phone width: nothing wider than the screen.
        overflow = await browser.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (name, size, overflow)
    await browser.page.set_viewport_size(DESKTOP)
    assert browser.foreign_requests(base) == [], name
    assert browser.csp_violations == [], name
    assert browser.page_errors == [], name


async def test_elena_signs_in_and_rates_herself_with_the_keyboard(
    demo_app: str, tmp_path: Path
) -> None:
    base = demo_app
    async with chromium_page() as browser:
        page = browser.page
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{base}/app/")
        assert page.url == f"{base}/app/login?next=%2Fapp%2F"
        await check_page(browser, base, tmp_path, "login")

        await page.get_by_role("button", name="Sign in as Elena Ramirez").click()
        await page.wait_for_url(f"{base}/app/")
        await page.get_by_role("heading", level=1, name="Welcome, Elena Ramirez").wait_for()
        for section in ("Focus elements", "Top needs", "Learning plan", "Recommended resources"):
            await page.get_by_role("heading", level=2, name=section).wait_for()
        await check_page(browser, base, tmp_path, "teacher-home")

        # The skip link is the first stop of the keyboard and lands on the main content.
        await page.keyboard.press("Tab")
        assert await page.evaluate("() => document.activeElement.textContent") == (
            "Skip to main content"
        )
        await page.keyboard.press("Enter")
        assert await page.evaluate("() => document.activeElement.id") == "main"

        # To the self-assessment through the menu, by keyboard.
        await page.get_by_role("link", name="Self-assessment").focus()
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{base}/app/self-assessment")
        await page.get_by_role("heading", level=1, name="Self-assessment").wait_for()
        await check_page(browser, base, tmp_path, "self-assessment")
        count = page.locator("[data-rated-count]")
        assert "0 of" in await count.inner_text()  # the progressive touch runs

        # A year the API refuses: the error is announced, focused and shown beside the field.
        await page.get_by_label("School year").focus()
        await page.keyboard.press("ControlOrMeta+a")
        await page.keyboard.type("2026")
        await page.keyboard.press("Tab")  # into 1.1's scale
        await page.keyboard.press("ArrowDown")  # Not rated -> Emerging
        await page.keyboard.press("ArrowDown")  # -> Exploring
        assert await page.input_value("#level-1-1") == "exploring"
        await page.get_by_label("School year").focus()
        await page.keyboard.press("Enter")  # Enter in a text field submits the form
        await page.wait_for_load_state()
        await page.locator("#error-summary").wait_for()
        assert await page.evaluate("() => document.activeElement.id") == "error-summary"
        assert "cycle must look like 2025-26" in await page.locator("#cycle-error").inner_text()
        assert await page.input_value("#level-1-1") == "exploring"  # what she chose is kept
        await check_page(browser, base, tmp_path, "self-assessment-errors")

        # Fixed, one more rating, an audience, and saved: all from the keyboard.
        await page.get_by_label("School year").focus()
        await page.keyboard.press("ControlOrMeta+a")
        await page.keyboard.type("2026-27")
        await page.locator("#level-1-2").focus()
        for _ in range(3):
            await page.keyboard.press("ArrowDown")  # -> Applying
        assert await page.input_value("#level-1-2") == "applying"
        assert "2 of" in await count.inner_text()
        await page.get_by_label("Only me").focus()
        await page.keyboard.press("Space")
        assert await page.get_by_label("Only me").is_checked()
        await page.get_by_role("button", name="Save self-assessment").focus()
        await page.keyboard.press("Enter")
        await page.get_by_role("status").wait_for()
        assert (
            "Your self-assessment for 2026-27 is saved."
            in await page.get_by_role("status").inner_text()
        )
        assert await page.input_value("#level-1-2") == "applying"
        assert await page.input_value("#level-1-1") == "exploring"
        await check_page(browser, base, tmp_path, "self-assessment-saved")

        # Signing out from the header: back to the sign-in page, and the app is closed again.
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(f"{base}/app/login")
        await page.goto(f"{base}/app/self-assessment")
        assert page.url.startswith(f"{base}/app/login")
    print(f"screenshots: {tmp_path}")


async def test_her_coach_reads_his_page_and_hers(demo_app: str, tmp_path: Path) -> None:
    """The other pages built so far pass the same checks: the plain page for roles still to
    come, and a teacher's overview as her coach sees it (reached from her id)."""
    base = demo_app
    async with chromium_page() as browser:
        page = browser.page
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{base}/app/login")
        await page.get_by_role("button", name="Sign in as David Chen").click()
        await page.wait_for_url(f"{base}/app/")
        await page.get_by_role("heading", level=2, name="Your pages").wait_for()
        await check_page(browser, base, tmp_path, "coach-home")

        teachers = await page.request.post(  # Elena's id, through the API as anyone would
            f"{base}/graphql",
            data={
                "query": '{ district { teachers(where: {nameContains: "Elena"}) { nodes { id } } } }'
            },
            headers={"Authorization": f"Bearer {token_for(base, 'david.chen@demo.mypd.test')}"},
        )
        [elena] = (await teachers.json())["data"]["district"]["teachers"]["nodes"]
        await page.goto(f"{base}/app/teachers/{elena['id']}")
        await page.get_by_role("heading", level=1, name="Elena Ramirez").wait_for()
        await page.get_by_role("heading", level=2, name="Top needs").wait_for()
        await check_page(browser, base, tmp_path, "coach-views-teacher")
        await page.goto(f"{base}/app/teachers/nonsense")
        await page.get_by_role("heading", level=1, name="Not found").wait_for()
        await check_page(browser, base, tmp_path, "not-found")
