"""The teacher's pages on the demo district, over HTTP: Elena's home says what the API says about
her, the self-assessment form saves through submitSelfAssessment and shows its userErrors next
to the fields, and nobody sees more on a page than the API would show them."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from mypd_graph.auth import mint_token
from mypd_graph.ids import to_global_id
from tests.conftest import SECRET
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

HOME = """{ viewer { teacher {
  focusElements { code }
  needs(first: 3) { element { code text } signals { present evidence } }
  plans { title goals { title } }
  recommendations(first: 5) { nodes { resource { title url sample } reasons { explanation } } }
} } }"""
SELF_ASSESSMENTS = "{ viewer { teacher { selfAssessments { cycle audience ratings { element { code } level { key } } } } } }"
SET_AUDIENCE = """mutation($audience: Audience) {
  setGrowthProfileAudience(input: {audience: $audience}) { userErrors { message } }
}"""


async def api(
    http: httpx.AsyncClient, ids: dict[str, int], email: str, query: str, **variables: Any
) -> dict[str, Any]:
    """The same data through /graphql, with a development token."""
    token = mint_token(SECRET, ids[email], email)
    answer = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


async def test_elenas_home_shows_what_the_api_says_about_her(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        page = await http.get("/app/")
        expected = (await api(http, demo, ELENA, HOME))["viewer"]["teacher"]
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Welcome, Elena Ramirez" in words and "Sally Ride Middle School" in words
    for element in expected["focusElements"]:
        assert element["code"] in words
    assert len(expected["needs"]) == 3
    for need in expected["needs"]:  # each need, with the data behind it in words
        assert f"{need['element']['code']} {need['element']['text']}" in words
        for signal in need["signals"]:
            for line in signal["evidence"] if signal["present"] else []:
                assert line in words
    assert "below standard in Math" in words
    plan = expected["plans"][0]
    assert plan["title"] in words and "Submitted, waiting for a decision" in words
    assert plan["goals"] and all(goal["title"] in words for goal in plan["goals"])
    recommended = expected["recommendations"]["nodes"]
    assert recommended
    for item in recommended:
        assert item["resource"]["title"] in words
        assert all(reason["explanation"] in words for reason in item["reasons"])
    # The shipped catalog is sample data (links on the reserved .test domain): each of its
    # items says so and is not a link; a real provider's item links to the resource.
    samples = [item["resource"] for item in recommended if item["resource"]["sample"]]
    assert samples and all(".test" in r["url"] for r in samples)
    assert words.count("Sample resource: not a real link") == len(samples)
    for resource in (item["resource"] for item in recommended):
        linked = f'href="{resource["url"]}"' in page.text
        assert linked is not resource["sample"], resource
    # Landmarks, headings in order, and the skip link's target.
    assert '<a class="skip-link" href="#main">' in page.text and '<main id="main"' in page.text
    headings = re.findall(r"<h([1-6])", page.text)
    assert headings[0] == "1" and headings.count("1") == 1
    assert all(int(b) - int(a) <= 1 for a, b in zip(headings, headings[1:], strict=False))


async def test_the_self_assessment_form_saves_through_the_mutation(
    db, demo, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        form = await http.get("/app/self-assessment")
        assert form.status_code == 200
        # Every select has a label tied to it; the scale is the framework's.
        for select_id in re.findall(r'<select id="([^"]+)"', form.text):
            assert f'<label for="{select_id}">' in form.text
        assert re.search(r'<option value="applying"\s*>Applying</option>', form.text)
        saved = await http.post(
            "/app/self-assessment",
            data={
                "csrf_token": csrf_of(form.text),
                "cycle": "2026-27",
                "level:1.1": "applying",
                "level:5.4": "exploring",
                "level:2.1": "",  # not rated: left out
                "audience": "PRIVATE",
            },
        )
        assert saved.status_code == 303, text_of(saved.text)
        shown = await http.get(saved.headers["location"])
        assert "Your self-assessment for 2026-27 is saved." in shown.text
        # The form starts from what was saved.
        assert re.search(r'<option value="applying" selected>', shown.text)
        assert re.search(r'value="PRIVATE" checked', shown.text)
        stored = (await api(http, demo, ELENA, SELF_ASSESSMENTS))["viewer"]["teacher"]
    [new] = [a for a in stored["selfAssessments"] if a["cycle"] == "2026-27"]
    assert new["audience"] == "PRIVATE"
    assert {(r["element"]["code"], r["level"]["key"]) for r in new["ratings"]} == {
        ("1.1", "applying"),
        ("5.4", "exploring"),
    }


async def test_user_errors_show_next_to_their_fields_and_keep_what_was_typed(
    db, demo, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        form = await http.get("/app/self-assessment")
        before = (await api(http, demo, ELENA, SELF_ASSESSMENTS))["viewer"]["teacher"]
        bad_cycle = await http.post(
            "/app/self-assessment",
            data={"csrf_token": csrf_of(form.text), "cycle": "next year", "level:1.1": "applying"},
        )
        assert bad_cycle.status_code == 400
        field = bad_cycle.text[bad_cycle.text.index('<label for="cycle">') :]
        field = field[: field.index("</div>")]
        assert 'id="cycle-error">cycle must look like 2025-26' in field
        assert 'value="next year"' in field and 'aria-invalid="true"' in field
        assert 'aria-describedby="cycle-hint cycle-error"' in field
        assert re.search(r'<option value="applying" selected>', bad_cycle.text)  # kept
        assert '<a href="#cycle">cycle must look like' in bad_cycle.text  # the summary links it

        bad_level = await http.post(  # a level the scale lacks (a crafted post)
            "/app/self-assessment",
            data={"csrf_token": csrf_of(form.text), "cycle": "2026-27", "level:1.2": "guru"},
        )
        assert bad_level.status_code == 400
        assert 'id="level-1-2-error">unknown level' in bad_level.text
        assert 'aria-describedby="level-1-2-error"' in bad_level.text

        nothing = await http.post(
            "/app/self-assessment", data={"csrf_token": csrf_of(form.text), "cycle": "2026-27"}
        )
        assert nothing.status_code == 400 and "Rate at least one element." in nothing.text

        forged = await http.post(
            "/app/self-assessment",
            data={"csrf_token": "forged", "cycle": "2026-27", "level:1.1": "applying"},
        )
        assert forged.status_code == 403
        after = (await api(http, demo, ELENA, SELF_ASSESSMENTS))["viewer"]["teacher"]
    assert after == before  # nothing refused was saved


async def test_a_teacher_cannot_open_another_teachers_page(db, demo, settings, plugins) -> None:
    colleague = to_global_id("Teacher", demo["kevin.tran@demo.mypd.test"])  # her school, Math
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        own = await http.get(f"/app/teachers/{to_global_id('Teacher', demo[ELENA])}")
        assert own.status_code == 200 and "Elena Ramirez" in own.text
        # Her submitted plan is decided by those who serve her, not on her own page.
        assert "Decide this plan" not in own.text and "Record an observation" not in own.text
        other = await http.get(f"/app/teachers/{colleague}")
        assert other.status_code == 404
        assert "Kevin" not in other.text and "not yours to see" in other.text
        assert (await http.get("/app/teachers/not-an-id")).status_code == 404


async def test_a_coachs_and_a_principals_view_obey_sharing(db, demo, settings, plugins) -> None:
    elena = f"/app/teachers/{to_global_id('Teacher', demo[ELENA])}"
    async with (
        web_client(db, settings, plugins) as coach,
        web_client(db, settings, plugins) as principal,
    ):
        await dev_sign_in(coach, DAVID)
        await dev_sign_in(principal, ROBERT)
        # The district default (COACH): her coach sees her needs, her principal does not.
        by_coach = text_of((await coach.get(elena)).text)
        assert "Elena Ramirez" in by_coach and "below standard in Math" in by_coach
        by_principal = text_of((await principal.get(elena)).text)
        assert "Elena Ramirez" in by_principal and "below standard in Math" not in by_principal
        assert "does not share their growth profile with you" in by_principal
        # Her submitted plan reaches both.
        assert "Submitted, waiting for a decision" in by_coach
        assert "Submitted, waiting for a decision" in by_principal

        # A teacher off his caseload (elementary) is not found, as in the API.
        elsewhere = to_global_id("Teacher", demo["daniel.kim@demo.mypd.test"])
        assert (await coach.get(f"/app/teachers/{elsewhere}")).status_code == 404
        assert (await coach.get("/app/self-assessment")).status_code == 404  # a teacher's form

        await api(coach, demo, ELENA, SET_AUDIENCE, audience="PRIVATE")
        private = text_of((await coach.get(elena)).text)
        assert "below standard in Math" not in private
        # Not shared, said as such (Teacher.growthProfileVisible), not as "no data".
        assert "Not shared with you: Elena Ramirez does not share" in private
        assert "No recommendations to show." not in private and "not enough data" not in private

        await api(coach, demo, ELENA, SET_AUDIENCE, audience="SUPERVISORS")
        assert "below standard in Math" in text_of((await principal.get(elena)).text)
