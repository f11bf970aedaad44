"""The roles' pages in a real browser (headless Chromium) on the demo as the README serves it,
on SQLite and on PostgreSQL when the suite has one. Elena rates herself, keeps one piece of
evidence to herself and adds a private one with a file, starts next year's plan, adds a goal
and a step and submits it; her principal finds it among the plans waiting for him and approves
it, and her earlier plan still waiting on the same page; her coach sees her shared evidence and
not the private piece, and records an observation. A teacher signs in through the district's
provider (a real one the test serves, connected with `mypd-graph district sso`) and out. Every
page passes
axe-core at 1280 and 375 pixels, stays on its origin and within the CSP; screenshots of each are
written under the test's temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mypd_graph.demo.basics import DISTRICT_NAME
from tests.accessibility import DESKTOP, blocking_violations
from tests.browser import chromium_page, require_chromium, served_demo
from tests.conftest import BACKENDS, POSTGRES_URL, SECRET
from tests.oidc_code_provider import AUTHORIZE, CodeProvider
from tests.oidc_code_provider import code_provider as code_provider  # the fixture
from tests.oidc_provider import CLIENT_ID
from tests.test_browser_app import ENV, check_page, token_for
from tests.web_helpers import map_scores_file

ELENA = "elena.ramirez@demo.mypd.test"


@pytest.fixture(scope="module", params=BACKENDS)
async def demo_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_engine
) -> AsyncIterator[str]:
    require_chromium()
    directory = tmp_path_factory.mktemp("browser-roles")
    async with served_demo(request.param, directory, postgres_engine, POSTGRES_URL, SECRET) as (
        base,
        env,
    ):
        ENV[base] = env
        yield base


def graphql(base: str, email: str, query: str) -> dict:
    """The API as anyone would call it, with the README's token."""
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(
        f"{base}/graphql",
        data=body,
        headers={
            "Authorization": f"Bearer {token_for(base, email)}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (our own server)
        found = json.load(answer)
    assert "errors" not in found, found
    return found["data"]


def menu(page):
    """The header's menu (pages also link each other in their text)."""
    return page.get_by_role("navigation", name="Main")


async def sign_in(page, base: str, name: str) -> None:
    await page.goto(f"{base}/app/login")
    await page.get_by_role("button", name=f"Sign in as {name}").click()
    await page.wait_for_url(f"{base}/app/")


async def test_plan_from_draft_to_approved_and_what_the_coach_sees(
    demo_app: str, tmp_path: Path
) -> None:
    base = demo_app
    evidence = graphql(base, ELENA, "{ viewer { teacher { evidence { title audience } } } }")
    shared = [
        e["title"] for e in evidence["viewer"]["teacher"]["evidence"] if e["audience"] != "PRIVATE"
    ]
    assert len(shared) >= 2
    private_title, shared_title = shared[0], shared[1]
    async with chromium_page() as browser:
        page = browser.page
        await page.set_viewport_size(DESKTOP)

        # Elena: a self-assessment for next year, kept to herself.
        await sign_in(page, base, "Elena Ramirez")
        await menu(page).get_by_role("link", name="Self-assessment", exact=True).click()
        await page.get_by_label("School year").fill("2026-27")
        await page.locator("#level-1-1").select_option("applying")
        await page.get_by_label("Only me").check()
        await page.get_by_role("button", name="Save self-assessment").click()
        await page.get_by_role("status").wait_for()

        # Evidence: a private piece with a file, uploaded through the form.
        await menu(page).get_by_role("link", name="Evidence", exact=True).click()
        await page.get_by_role("heading", level=1, name="My evidence").wait_for()
        await check_page(browser, base, tmp_path, "teacher-evidence")
        form = page.locator("#new-evidence")
        await form.get_by_label("Title").fill("My questioning log")
        await form.get_by_label("File").set_input_files(
            {
                "name": "questioning-log.txt",
                "mimeType": "text/plain",
                "buffer": b"Week 1: wait time.\n",
            }
        )
        await form.get_by_label("Who besides you sees it").select_option("PRIVATE")
        await form.get_by_role("button", name="Save evidence").click()
        await page.get_by_role("status").wait_for()
        await page.get_by_role("link", name="questioning-log.txt").wait_for()

        # Sharing: one more piece of evidence made private.
        await menu(page).get_by_role("link", name="Sharing", exact=True).click()
        await page.get_by_role("heading", level=1, name="Sharing").wait_for()
        await check_page(browser, base, tmp_path, "teacher-sharing")
        await page.get_by_label(private_title).select_option("PRIVATE")
        await page.get_by_role("button", name=f"Save who sees {private_title}").click()
        await page.get_by_role("status").wait_for()

        # Growth and students.
        await menu(page).get_by_role("link", name="Growth", exact=True).click()
        await page.get_by_role("heading", level=1, name="My growth").wait_for()
        await check_page(browser, base, tmp_path, "teacher-growth")
        await menu(page).get_by_role("link", name="Students", exact=True).click()
        await page.get_by_role("heading", level=1, name="My students").wait_for()
        await check_page(browser, base, tmp_path, "teacher-students")

        # The plan: this year's is submitted; she starts next year's.
        await menu(page).get_by_role("link", name="My plan", exact=True).click()
        await page.get_by_role("heading", level=1, name="My learning plan").wait_for()
        await check_page(browser, base, tmp_path, "teacher-plan-submitted")
        await page.get_by_label("School year").fill("2026-27")
        await page.get_by_label("Title (optional)").fill("Questions that matter")
        await page.get_by_role("button", name="Start plan").click()
        await page.get_by_role("status").wait_for()
        assert "Your plan is started." in await page.get_by_role("status").inner_text()

        goal = page.locator("#new-goal")
        await goal.get_by_label("Goal", exact=True).fill("Ask better questions")
        await goal.get_by_text("Engaging and Supporting All Students in Learning").click()
        await goal.get_by_label("1.1", exact=False).first.check()
        await goal.get_by_label("Where you are now").select_option("exploring")
        await goal.get_by_label("Where you aim to be").select_option("applying")
        await goal.get_by_role("button", name="Add goal").click()
        await page.get_by_role("status").wait_for()
        await page.get_by_text("Add an action step to goal 1").click()
        step = page.locator("#new-step-1")
        await step.get_by_label("What you will do").fill("Film one lesson")
        await step.get_by_role("button", name="Add step").click()
        await page.get_by_role("status").wait_for()
        await check_page(browser, base, tmp_path, "teacher-plan-draft")

        # A refused form: the summary takes focus and links the field.
        await goal.get_by_label("Goal", exact=True).fill("No elements")
        await goal.get_by_role("button", name="Add goal").click()
        await page.locator("#error-summary").wait_for()
        assert await page.evaluate("() => document.activeElement.id") == "error-summary"
        await check_page(browser, base, tmp_path, "teacher-plan-errors")

        await page.get_by_label("A note for your reviewer (optional)").fill("Ready for review")
        await page.get_by_role("button", name="Submit plan").click()
        await page.get_by_role("status").wait_for()
        assert "Submitted, waiting for a decision" in await page.locator("main").inner_text()
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(f"{base}/app/login")

        # Her principal: the plans waiting for him, hers among them; he approves it.
        await sign_in(page, base, "Robert Nakamura")
        await check_page(browser, base, tmp_path, "principal-home")
        await page.get_by_role("link", name="plans waiting for a decision").click()
        await page.get_by_role("heading", level=1, name="Teachers").wait_for()
        await check_page(browser, base, tmp_path, "principal-teachers")
        await page.get_by_role("link", name="Elena Ramirez").click()
        await page.get_by_role("heading", level=1, name="Elena Ramirez").wait_for()
        assert "Questions that matter" in await page.locator("main").inner_text()
        await check_page(browser, base, tmp_path, "principal-teacher-plan")
        await page.get_by_role("button", name="Approve plan").click()
        await page.get_by_role("status").wait_for()
        assert "The plan is approved." in await page.get_by_role("status").inner_text()
        main = await page.locator("main").inner_text()
        assert "Approved" in main
        # Her 2025-26 plan waits too: it is decided on the same page, in its own form.
        earlier = page.get_by_role("form", name="Decide the 2025-26 plan")
        await earlier.get_by_label("Note to Elena Ramirez on the 2025-26 plan").fill("Well done")
        await earlier.get_by_role("button", name="Approve the 2025-26 plan").click()
        await page.get_by_role("status").wait_for()
        assert "The plan is approved." in await page.get_by_role("status").inner_text()
        assert "Earlier plans waiting for a decision" not in await page.locator("main").inner_text()
        history = graphql(base, ELENA, "{ viewer { teacher { plans { cycle status } } } }")
        statuses = {p["cycle"]: p["status"] for p in history["viewer"]["teacher"]["plans"]}
        assert statuses["2025-26"] == statuses["2026-27"] == "APPROVED"
        main = await page.locator("main").inner_text()
        assert "Not shared with you" in main  # her growth profile is her coach's only (default)
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(f"{base}/app/login")

        # Her coach: what she shares, not what she keeps to herself; an observation.
        await sign_in(page, base, "David Chen")
        await menu(page).get_by_role("link", name="My teachers", exact=True).click()
        await page.get_by_label("Name contains").fill("Elena")
        await page.get_by_role("button", name="Filter").click()
        await page.get_by_role("link", name="Elena Ramirez").click()
        await page.get_by_role("heading", level=1, name="Elena Ramirez").wait_for()
        main = await page.locator("main").inner_text()
        assert shared_title in main and private_title not in main
        assert "My questioning log" not in main and "questioning-log.txt" not in main
        assert "Approved" in main
        await check_page(browser, base, tmp_path, "coach-teacher")
        await page.get_by_role("link", name="Growth over time").click()
        await page.get_by_role("heading", level=1, name="Elena Ramirez: growth").wait_for()
        await check_page(browser, base, tmp_path, "coach-teacher-growth")
        await page.go_back()
        await page.get_by_role("link", name="Record an observation").click()
        await page.get_by_role("heading", level=1, name="Observe Elena Ramirez").wait_for()
        await check_page(browser, base, tmp_path, "coach-observe")
        await page.get_by_label("Kind of observation").select_option("COACHING")
        await page.get_by_label("Notes (optional)").fill("Strong openings.")
        await page.locator("#observation-level\\:1\\.1").select_option("applying")
        await page.get_by_role("button", name="Record observation").click()
        await page.get_by_role("status").wait_for()
        assert "Strong openings." in await page.locator("main").inner_text()
    print(f"screenshots: {tmp_path}")


async def test_the_admin_reads_the_district_and_watches_an_import_finish(
    demo_app: str, tmp_path: Path
) -> None:
    base = demo_app
    students = graphql(
        base,
        ELENA,
        "{ viewer { teacher { students(first: 100) { nodes { localId firstName lastName gradeLevel } } } } }",
    )["viewer"]["teacher"]["students"]["nodes"]
    content = map_scores_file(students, 300 * 1024)  # over the inline limit: a background run
    async with chromium_page() as browser:
        page = browser.page
        await page.set_viewport_size(DESKTOP)
        await sign_in(page, base, "Alicia Moreno")
        await check_page(browser, base, tmp_path, "admin-home")
        await menu(page).get_by_role("link", name="District", exact=True).click()
        await page.get_by_role("heading", level=1, name="District views").wait_for()
        await check_page(browser, base, tmp_path, "admin-district")
        await menu(page).get_by_role("link", name="Audit trail", exact=True).click()
        await page.get_by_role("heading", level=1, name="Audit trail").wait_for()
        await page.get_by_label("Action").fill("approve")
        await page.get_by_role("button", name="Search").click()
        await page.wait_for_url("**/app/audit?*")
        await check_page(browser, base, tmp_path, "admin-audit")

        await menu(page).get_by_role("link", name="Users", exact=True).click()
        await page.get_by_role("heading", level=1, name="Users and caseloads").wait_for()
        await page.get_by_role("link", name="Coaches and their caseloads").click()
        await page.get_by_role("heading", level=3, name="David Chen").wait_for()
        await check_page(browser, base, tmp_path, "admin-users")
        await menu(page).get_by_role("link", name="Framework", exact=True).click()
        await page.get_by_role("heading", level=1, name="Framework").wait_for()
        await check_page(browser, base, tmp_path, "admin-framework")

        await menu(page).get_by_role("link", name="Imports", exact=True).click()
        await page.get_by_role("heading", level=1, name="Imports").wait_for()
        await page.get_by_label("What the file holds").select_option("csv-scores")
        await page.get_by_label("File", exact=True).set_input_files(
            {"name": "map-results.csv", "mimeType": "text/csv", "buffer": content}
        )
        await page.get_by_role("button", name="Upload and import").click()
        await page.get_by_role("heading", level=1, name="Import of map-results.csv").wait_for()
        # The page follows the run by itself until it ends.
        await page.get_by_role("heading", level=2, name="Status: Completed").wait_for(
            timeout=120_000
        )
        assert "No rows rejected." in await page.locator("main").inner_text()
        await check_page(browser, base, tmp_path, "admin-import-run")
        await page.get_by_role("link", name="All imports").click()
        await page.get_by_role("link", name="map-results.csv").first.wait_for()
        await check_page(browser, base, tmp_path, "admin-imports")
    print(f"screenshots: {tmp_path}")


def connect_sign_in(base: str, issuer: str) -> None:
    """The README's "Set up your district" step 5, against the served database: ``mypd-graph
    district sso``, which checks the provider's discovery document before saving."""
    command = [sys.executable, "-m", "mypd_graph", "district", "sso", "--district", "demo"]
    command += ["--issuer", issuer, "--audience", CLIENT_ID]
    done = subprocess.run(
        command, env={**os.environ, **ENV[base]}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"district demo signs in with {issuer}" in done.stdout


async def test_a_teacher_signs_in_with_the_districts_provider_and_out(
    demo_app: str, code_provider: CodeProvider, tmp_path: Path
) -> None:
    """The authorization-code flow in the browser: the sign-in page's district button, the
    provider's own sign-in form (served by the test), back to /app signed in, then out."""
    base, provider = demo_app, code_provider
    provider.interactive = True
    connect_sign_in(base, provider.issuer)
    async with chromium_page() as browser:
        page = browser.page
        await page.set_viewport_size(DESKTOP)
        await page.goto(f"{base}/app/login")
        await check_page(browser, base, tmp_path, "login-with-district")
        await page.get_by_role("link", name=f"Sign in with {DISTRICT_NAME}").click()

        # The provider's page, on its own origin: the browser fills its form.
        await page.wait_for_url(f"{provider.issuer}{AUTHORIZE}?*")
        await page.get_by_role(
            "heading", level=1, name="Sign in to the test identity provider"
        ).wait_for()
        assert await blocking_violations(page) == [], "provider sign-in"
        await page.screenshot(path=tmp_path / "provider-sign-in.png", full_page=True)
        await page.get_by_label("Email").fill(ELENA)
        await page.get_by_role("button", name="Sign in").click()

        await page.wait_for_url(f"{base}/app/")
        await page.get_by_role("heading", level=1, name="Welcome, Elena Ramirez").wait_for()
        [asked] = provider.authorizations
        assert asked["code_challenge_method"] == "S256" and asked["redirect_uri"] == (
            f"{base}/app/callback"
        )
        assert len(provider.token_requests) == 1  # the service exchanged the code once
        # The browser went to the provider and nowhere else; our pages stay on their origin.
        assert {urlsplit(u).netloc for u in browser.foreign_requests(base)} == {
            urlsplit(provider.issuer).netloc
        }
        browser.requests.clear()
        await check_page(browser, base, tmp_path, "teacher-home-oidc")

        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(f"{base}/app/login")
        await check_page(browser, base, tmp_path, "signed-out")
        await page.goto(f"{base}/app/")  # the session is gone: back to the sign-in page
        assert page.url == f"{base}/app/login?next=%2Fapp%2F"
    print(f"screenshots: {tmp_path}")
