"""The teacher's plan page over HTTP on the demo: Elena starts a plan for next year, adds a goal
and a step, edits them, submits the plan; every form goes through the plan mutations, whose
userErrors show beside the fields and change nothing; what the page shows is what the API says."""

from __future__ import annotations

import re

import pytest

from tests.test_web_teacher_pages import api
from tests.web_helpers import (
    ELENA,
    ROBERT,
    csrf_of,
    dev_sign_in,
    load_demo_district,
    text_of,
    web_client,
)

PLANS = """{ viewer { teacher { plans { cycle title status goals { title progress
  elements { code } targetLevel { key } actionSteps { description status reflection } } } } } }"""


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


def field(html: str, element_id: str) -> str:
    """The markup of the ``.field`` holding the control ``element_id``."""
    at = html.index(f'id="{element_id}"')
    start = html.rindex('<div class="field', 0, at)
    return html[start : html.index("</div>", at)]


async def test_elena_builds_and_submits_next_years_plan(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        page = await http.get("/app/plan")
        assert page.status_code == 200
        words = text_of(page.text)
        current = (await api(http, demo, ELENA, PLANS))["viewer"]["teacher"]["plans"][0]
        assert current["title"] in words and "Submitted, waiting for a decision" in words
        assert all(goal["title"] in words for goal in current["goals"])
        assert "Add a goal" not in words  # a submitted plan is not edited here

        token = csrf_of(page.text)
        started = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "new-plan",
                "action": "create-plan",
                "cycle": "2026-27",
                "title": "Questions that matter",
            },
        )
        assert started.status_code == 303
        assert started.headers["location"] == "/app/plan?cycle=2026-27&saved=create-plan"
        draft = await http.get(started.headers["location"])
        assert "Your plan is started." in draft.text and "Questions that matter" in draft.text
        plan_id = re.search(r'name="planId" value="([^"]+)"', draft.text)[1]

        goal = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "new-goal",
                "action": "add-goal",
                "planId": plan_id,
                "cycle": "2026-27",
                "title": "Ask better questions",
                "elementCodes": ["1.1", "5.2"],
                "baselineLevel": "exploring",
                "targetLevel": "applying",
                "dueOn": "2027-05-28",
            },
        )
        assert goal.status_code == 303, text_of(goal.text)
        shown = await http.get(goal.headers["location"])
        goal_id = re.search(r'name="goalId" value="([^"]+)"', shown.text)[1]
        step = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "new-step-1",
                "action": "add-step",
                "goalId": goal_id,
                "cycle": "2026-27",
                "description": "Film one lesson",
            },
        )
        assert step.status_code == 303
        shown = await http.get(step.headers["location"])
        step_id = re.search(r'name="actionStepId" value="([^"]+)"', shown.text)[1]
        done = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "step-1-1",
                "action": "edit-step",
                "actionStepId": step_id,
                "cycle": "2026-27",
                "description": "Film two lessons",
                "dueOn": "",
                "status": "DONE",
                "reflection": "Wait time grew.",
                "reflectionAudience": "PRIVATE",
            },
        )
        assert done.status_code == 303, text_of(done.text)
        submitted = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "submit",
                "action": "submit",
                "planId": plan_id,
                "cycle": "2026-27",
                "note": "Ready",
            },
        )
        assert submitted.status_code == 303
        after = text_of((await http.get(submitted.headers["location"])).text)
        assert "Your plan is submitted." in after and "Submitted, waiting for a decision" in after
        assert "Note: “Ready”" in after
        stored = (await api(http, demo, ELENA, PLANS))["viewer"]["teacher"]["plans"]
    [new] = [p for p in stored if p["cycle"] == "2026-27"]
    assert new["status"] == "SUBMITTED" and new["title"] == "Questions that matter"
    [g] = new["goals"]
    assert g["title"] == "Ask better questions" and g["targetLevel"]["key"] == "applying"
    assert [e["code"] for e in g["elements"]] == ["1.1", "5.2"]
    assert g["actionSteps"] == [
        {"description": "Film two lessons", "status": "DONE", "reflection": "Wait time grew."}
    ]


async def test_refused_forms_show_errors_beside_fields_and_change_nothing(
    db, demo, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        page = await http.get("/app/plan")
        token = csrf_of(page.text)
        before = await api(http, demo, ELENA, PLANS)
        again = await http.post(  # a second plan for the year she has one
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "new-plan",
                "action": "create-plan",
                "cycle": "2025-26",
                "title": "Twice",
            },
        )
        assert again.status_code == 400
        assert 'id="error-summary"' in again.text
        bad = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "new-plan",
                "action": "create-plan",
                "cycle": "someday",
                "title": "Kept title",
            },
        )
        assert bad.status_code == 400
        cycle = field(bad.text, "new-plan-cycle")
        assert 'aria-invalid="true"' in cycle and 'id="new-plan-cycle-error"' in cycle
        assert 'value="someday"' in cycle
        assert 'value="Kept title"' in field(bad.text, "new-plan-title")
        assert '<a href="#new-plan-cycle">' in bad.text

        started = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "new-plan",
                "action": "create-plan",
                "cycle": "2026-27",
            },
        )
        draft = await http.get(started.headers["location"])
        plan_id = re.search(r'name="planId" value="([^"]+)"', draft.text)[1]
        no_elements = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "new-goal",
                "action": "add-goal",
                "planId": plan_id,
                "cycle": "2026-27",
                "title": "Vague",
                "dueOn": "soon",
            },
        )
        assert no_elements.status_code == 400
        assert "Enter a date like 2026-05-29." in field(no_elements.text, "new-goal-dueOn")
        empty = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "new-goal",
                "action": "add-goal",
                "planId": plan_id,
                "cycle": "2026-27",
                "title": "Vague",
            },
        )
        assert empty.status_code == 400
        assert 'id="new-goal-elementCodes-error"' in empty.text
        nothing = await http.post(
            "/app/plan",
            data={
                "csrf_token": token,
                "form": "submit",
                "action": "submit",
                "planId": plan_id,
                "cycle": "2026-27",
            },
        )
        assert nothing.status_code == 400  # a plan without a goal is not submitted
        forged = await http.post(
            "/app/plan",
            data={"csrf_token": "forged", "form": "submit", "action": "submit", "planId": plan_id},
        )
        assert forged.status_code == 403
        after = await api(http, demo, ELENA, PLANS)
    [new] = [p for p in after["viewer"]["teacher"]["plans"] if p["cycle"] == "2026-27"]
    assert new["status"] == "DRAFT" and new["goals"] == []
    assert [p for p in after["viewer"]["teacher"]["plans"] if p["cycle"] != "2026-27"] == (
        before["viewer"]["teacher"]["plans"]
    )


async def test_the_plan_page_is_a_teachers(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ROBERT)
        assert (await http.get("/app/plan")).status_code == 404
        assert (await http.get("/app/")).status_code == 200


STEP_RESOURCES = """{ viewer { teacher { plans { goals { actionSteps {
  resource { title url sample } } } } } } }"""


async def test_a_steps_sample_resource_says_it_is_not_a_real_link(
    db, demo, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        page = await http.get("/app/plan")
        current = (await api(http, demo, ELENA, STEP_RESOURCES))["viewer"]["teacher"]["plans"][0]
    resources = [
        step["resource"]
        for goal in current["goals"]
        for step in goal["actionSteps"]
        if step["resource"] is not None
    ]
    assert resources and all(r["sample"] and ".test/" in r["url"] for r in resources)
    words = text_of(page.text)
    for resource in resources:  # the shipped catalog: named, labelled, never a link
        assert f"Resource: {resource['title']} Sample resource: not a real link" in words
        assert f'href="{resource["url"]}"' not in page.text
