"""The pages of the people who serve teachers, over HTTP on the demo: the filtered list of their
teachers says what district.teachers says; Elena's principal returns her submitted plan with a
note (which she reads on her plan page) and, once resubmitted, approves it; a coach records an
observation and comments; a refused form changes nothing; a teacher reaches none of this."""

from __future__ import annotations

import re

import pytest

from mypd_graph.ids import to_global_id
from tests.test_web_teacher_pages import api
from tests.web_helpers import (
    DAVID,
    ELENA,
    ROBERT,
    csrf_of,
    dev_sign_in,
    load_demo_district,
    text_of,
    web_client,
)

TEACHERS = """query($where: TeacherFilterInput) { district { teachers(where: $where, first: 25) {
  totalCount nodes { name } } } }"""
PLAN = """{ viewer { teacher { plans { id status history { action note } goals { comments { body } } }
  observations { kind notes ratings { element { code } level { key } } comments { body } } } } }"""


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


async def test_the_teachers_list_filters_as_the_api_does(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ROBERT)
        everyone = await http.get("/app/teachers")
        assert everyone.status_code == 200
        expected = (await api(http, demo, ROBERT, TEACHERS))["district"]["teachers"]
        words = text_of(everyone.text)
        assert f"{expected['totalCount']} teachers." in words
        assert all(t["name"] in words for t in expected["nodes"])
        waiting = await http.get("/app/teachers", params={"status": "SUBMITTED", "name": "a"})
        submitted = await api(
            http, demo, ROBERT, TEACHERS, where={"planStatus": "SUBMITTED", "nameContains": "a"}
        )
        names = {t["name"] for t in submitted["district"]["teachers"]["nodes"]}
        assert "Elena Ramirez" in names
        listed = set(re.findall(r'<a href="/app/teachers/[^"]+">([^<]+)</a>', waiting.text))
        assert listed == names
    async with web_client(db, settings, plugins) as teacher:
        await dev_sign_in(teacher, ELENA)
        assert (await teacher.get("/app/teachers")).status_code == 404


async def test_principal_returns_with_a_note_then_approves(db, demo, settings, plugins) -> None:
    elena = f"/app/teachers/{to_global_id('Teacher', demo[ELENA])}"
    async with (
        web_client(db, settings, plugins) as principal,
        web_client(db, settings, plugins) as teacher,
    ):
        await dev_sign_in(principal, ROBERT)
        await dev_sign_in(teacher, ELENA)
        page = await principal.get(elena)
        assert "Decide this plan" in page.text
        plan_id = re.search(r'name="planId" value="([^"]+)"', page.text)[1]
        token = csrf_of(page.text)
        no_note = await principal.post(
            elena,
            data={"csrf_token": token, "form": "review", "action": "return", "planId": plan_id},
        )
        assert no_note.status_code == 400
        assert 'id="review-note-error"' in no_note.text and 'aria-invalid="true"' in no_note.text
        returned = await principal.post(
            elena,
            data={
                "csrf_token": token,
                "form": "review",
                "action": "return",
                "planId": plan_id,
                "note": "Add a step with dates.",
            },
        )
        assert returned.status_code == 303
        shown = text_of((await principal.get(returned.headers["location"])).text)
        assert "returned to the teacher with your note" in shown and "Draft" in shown

        # Elena reads the note on her plan page and submits again.
        her_plan = await teacher.get("/app/plan")
        assert "Note: “Add a step with dates.”" in text_of(her_plan.text)
        again = await teacher.post(
            "/app/plan",
            data={
                "csrf_token": csrf_of(her_plan.text),
                "form": "submit",
                "action": "submit",
                "planId": plan_id,
                "cycle": "2025-26",
                "note": "Dates added",
            },
        )
        assert again.status_code == 303

        approved = await principal.post(
            elena,
            data={"csrf_token": token, "form": "review", "action": "approve", "planId": plan_id},
        )
        assert approved.status_code == 303
        assert "The plan is approved." in text_of(
            (await principal.get(approved.headers["location"])).text
        )
        twice = await principal.post(  # already approved: the API's userError, shown
            elena,
            data={"csrf_token": token, "form": "review", "action": "approve", "planId": plan_id},
        )
        assert twice.status_code == 400 and 'id="error-summary"' in twice.text
        stored = (await api(teacher, demo, ELENA, PLAN))["viewer"]["teacher"]["plans"][0]
    assert stored["status"] == "APPROVED"
    assert [(h["action"], h["note"]) for h in stored["history"]][-3:] == [
        ("RETURN", "Add a step with dates."),
        ("SUBMIT", "Dates added"),
        ("APPROVE", ""),
    ]


async def test_coach_observes_and_comments(db, demo, settings, plugins) -> None:
    elena = f"/app/teachers/{to_global_id('Teacher', demo[ELENA])}"
    async with web_client(db, settings, plugins) as coach:
        await dev_sign_in(coach, DAVID)
        form = await coach.get(f"{elena}/observe")
        assert form.status_code == 200
        for select_id in re.findall(r'<select id="([^"]+)"', form.text):
            assert f'<label for="{select_id}">' in form.text
        token = csrf_of(form.text)
        bad = await coach.post(
            f"{elena}/observe",
            data={
                "csrf_token": token,
                "kind": "COACHING",
                "observedOn": "2999-01-01",
                "level:1.1": "applying",
            },
        )
        assert bad.status_code == 400 and 'id="error-summary"' in bad.text
        assert re.search(r'<option value="applying" selected>', bad.text)  # kept
        recorded = await coach.post(
            f"{elena}/observe",
            data={
                "csrf_token": token,
                "kind": "COACHING",
                "observedOn": "2026-01-15",
                "notes": "Strong openings.",
                "level:1.1": "applying",
                "level:2.2": "",
            },
        )
        assert recorded.status_code == 303, text_of(recorded.text)
        page = await coach.get(recorded.headers["location"])
        assert "The observation is recorded." in text_of(page.text)
        assert "Strong openings." in page.text
        goal_id = re.search(r'name="goalId" value="([^"]+)"', page.text)[1]
        commented = await coach.post(
            elena,
            data={
                "csrf_token": csrf_of(page.text),
                "form": "comment-goal-1",
                "action": "comment",
                "goalId": goal_id,
                "body": "Let's plan the first cycle.",
            },
        )
        assert commented.status_code == 303
        empty = await coach.post(
            elena,
            data={
                "csrf_token": csrf_of(page.text),
                "form": "comment-goal-1",
                "action": "comment",
                "goalId": goal_id,
                "body": "",
            },
        )
        assert empty.status_code == 400 and 'id="comment-goal-1-body-error"' in empty.text
        forged = await coach.post(
            elena,
            data={
                "csrf_token": "x",
                "form": "comment-goal-1",
                "action": "comment",
                "goalId": goal_id,
                "body": "forged",
            },
        )
        assert forged.status_code == 403
        stored = (await api(coach, demo, ELENA, PLAN))["viewer"]["teacher"]
    [new] = [o for o in stored["observations"] if o["notes"] == "Strong openings."]
    assert new["kind"] == "COACHING"
    assert [(r["element"]["code"], r["level"]["key"]) for r in new["ratings"]] == [
        ("1.1", "applying")
    ]
    comments = [c["body"] for c in stored["plans"][0]["goals"][0]["comments"]]
    assert "Let's plan the first cycle." in comments and "forged" not in comments


VISIBLE = "query($id: ID!) { teacher(id: $id) { growthProfileVisible needs(first: 1) { rank } } }"


async def test_growth_profile_visible_tells_not_shared_from_no_data(
    db, demo, settings, plugins
) -> None:
    """Teacher.growthProfileVisible follows the rule the profile's fields follow: the district
    default (COACH) opens Elena's to her coach, not to her principal; her own is always hers."""
    elena = to_global_id("Teacher", demo[ELENA])
    async with web_client(db, settings, plugins) as http:
        seen = {
            email: (await api(http, demo, email, VISIBLE, id=elena))["teacher"]
            for email in (ELENA, DAVID, ROBERT)
        }
    assert seen[ELENA]["growthProfileVisible"] and seen[ELENA]["needs"]
    assert seen[DAVID]["growthProfileVisible"] and seen[DAVID]["needs"]
    assert seen[ROBERT] == {"growthProfileVisible": False, "needs": []}


NEXT_PLAN = """mutation($cycle: String!) { createLearningPlan(input: {cycle: $cycle,
  title: "Next year"}) { plan { id } userErrors { message } } }"""
ADD_GOAL = """mutation($planId: ID!) { addGoal(input: {planId: $planId, title: "Wait time",
  elementCodes: ["1.1"]}) { userErrors { message } } }"""
SUBMIT = """mutation($planId: ID!) { submitPlan(input: {planId: $planId}) {
  plan { status } userErrors { message } } }"""
STATUSES = "{ viewer { teacher { plans { id cycle status } } } }"


async def test_each_submitted_plan_can_be_decided_not_only_the_newest(
    db, demo, settings, plugins
) -> None:
    elena = f"/app/teachers/{to_global_id('Teacher', demo[ELENA])}"
    async with web_client(db, settings, plugins) as principal:
        # Elena's 2025-26 plan waits (the demo); she submits a 2026-27 plan as well.
        created = await api(principal, demo, ELENA, NEXT_PLAN, cycle="2026-27")
        newest = created["createLearningPlan"]["plan"]["id"]
        assert (await api(principal, demo, ELENA, ADD_GOAL, planId=newest))["addGoal"][
            "userErrors"
        ] == []
        submitted = await api(principal, demo, ELENA, SUBMIT, planId=newest)
        assert submitted["submitPlan"]["plan"]["status"] == "SUBMITTED"
        plans = (await api(principal, demo, ELENA, STATUSES))["viewer"]["teacher"]["plans"]
        older = next(p["id"] for p in plans if p["cycle"] == "2025-26")
        assert {p["cycle"]: p["status"] for p in plans} == {
            "2026-27": "SUBMITTED",
            "2025-26": "SUBMITTED",
        }

        await dev_sign_in(principal, ROBERT)
        page = await principal.get(elena)
        # A form for each: the newest under the plan, the earlier one in its own section.
        forms = dict(
            re.findall(
                r'name="form" value="(review[^"]*)">\s*<input type="hidden" name="planId" '
                r'value="([^"]+)">',
                page.text,
            )
        )
        assert forms == {"review": newest, "review-2025-26": older}
        words = text_of(page.text)
        assert "Earlier plans waiting for a decision" in words
        assert "Approve the 2025-26 plan" in words and "Return the 2025-26 plan with note" in words
        token = csrf_of(page.text)

        no_note = await principal.post(
            elena,
            data={"csrf_token": token, "form": "review-2025-26", "action": "return"}
            | {"planId": older},
        )
        assert no_note.status_code == 400
        assert 'id="review-2025-26-note-error"' in no_note.text
        assert 'id="review-note-error"' not in no_note.text  # beside the form it came from

        approved = await principal.post(
            elena,
            data={"csrf_token": token, "form": "review-2025-26", "action": "approve"}
            | {"planId": older},
        )
        assert approved.status_code == 303
        after = await principal.get(approved.headers["location"])
        assert "The plan is approved." in text_of(after.text)
        assert "Earlier plans waiting for a decision" not in text_of(after.text)
        assert f'name="planId" value="{newest}"' in after.text  # the newest still waits

        plans = (await api(principal, demo, ELENA, STATUSES))["viewer"]["teacher"]["plans"]
    assert {p["cycle"]: p["status"] for p in plans} == {
        "2026-27": "SUBMITTED",
        "2025-26": "APPROVED",
    }
