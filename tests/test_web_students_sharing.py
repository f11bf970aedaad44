"""A teacher's students' results and sharing settings over HTTP on the demo: the students page
lists what the API lists for her, a page at a time, filtered by name; the sharing page sets her
growth profile's audience and an evidence item's through their mutations, and her coach's view
follows."""

from __future__ import annotations

import re

import pytest

from mypd_graph.ids import to_global_id
from tests.test_web_teacher_pages import api
from tests.web_helpers import (
    DAVID,
    ELENA,
    csrf_of,
    dev_sign_in,
    load_demo_district,
    text_of,
    web_client,
)

STUDENTS = """query($after: String, $where: StudentFilterInput) { viewer { teacher {
  students(first: 25, after: $after, where: $where) { totalCount pageInfo { endCursor hasNextPage }
    nodes { firstName lastName localId results { term scaleScore } } } } } }"""
SHARING = """{ myGrowthProfileAudience { chosen effective }
  viewer { teacher { evidence { id title audience } } } }"""


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


async def test_her_students_page_lists_what_the_api_lists(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        first = await http.get("/app/students")
        expected = (await api(http, demo, ELENA, STUDENTS))["viewer"]["teacher"]["students"]
        assert first.status_code == 200
        words = text_of(first.text)
        assert f"{expected['totalCount']} students." in words
        for student in expected["nodes"]:
            assert f"{student['firstName']} {student['lastName']}" in words
            assert student["localId"] in words
        assert expected["pageInfo"]["hasNextPage"]
        next_link = re.search(r'href="(/app/students\?[^"]+)">Next 25 students', first.text)[1]
        second = await http.get(next_link.replace("&amp;", "&"))
        following = await api(http, demo, ELENA, STUDENTS, after=expected["pageInfo"]["endCursor"])
        for student in following["viewer"]["teacher"]["students"]["nodes"]:
            assert f"{student['firstName']} {student['lastName']}" in text_of(second.text)
        one = expected["nodes"][0]
        found = await http.get("/app/students", params={"name": one["lastName"]})
        filtered = await api(http, demo, ELENA, STUDENTS, where={"nameContains": one["lastName"]})
        count = filtered["viewer"]["teacher"]["students"]["totalCount"]
        assert f"{count} student{'s' if count != 1 else ''}." in text_of(found.text)
    async with web_client(db, settings, plugins) as coach:
        await dev_sign_in(coach, DAVID)
        assert (await coach.get("/app/students")).status_code == 404  # a teacher's page


async def test_sharing_settings_change_what_her_coach_sees(db, demo, settings, plugins) -> None:
    elena_page = f"/app/teachers/{to_global_id('Teacher', demo[ELENA])}"
    async with (
        web_client(db, settings, plugins) as http,
        web_client(db, settings, plugins) as coach,
    ):
        await dev_sign_in(http, ELENA)
        await dev_sign_in(coach, DAVID)
        page = await http.get("/app/sharing")
        assert page.status_code == 200
        assert "Now seen by: Me and my coaches (your district’s default)" in text_of(page.text)
        assert "below standard in Math" in text_of((await coach.get(elena_page)).text)

        token = csrf_of(page.text)
        private = await http.post(
            "/app/sharing",
            data={
                "csrf_token": token,
                "form": "profile",
                "action": "profile",
                "audience": "PRIVATE",
            },
        )
        assert private.status_code == 303
        shown = text_of((await http.get(private.headers["location"])).text)
        assert "Saved." in shown and "Now seen by: Only me " in shown
        assert "below standard in Math" not in text_of((await coach.get(elena_page)).text)

        evidence = (await api(http, demo, ELENA, SHARING))["viewer"]["teacher"]["evidence"]
        item = next(e for e in evidence if e["audience"] != "SUPERVISORS")
        changed = await http.post(
            "/app/sharing",
            data={
                "csrf_token": token,
                "form": "evidence-1",
                "action": "evidence",
                "evidenceId": item["id"],
                "audience": "SUPERVISORS",
            },
        )
        assert changed.status_code == 303
        bad = await http.post(
            "/app/sharing",
            data={
                "csrf_token": token,
                "form": "profile",
                "action": "profile",
                "audience": "EVERYONE",
            },
        )
        assert bad.status_code == 400 and "Choose one of the listed audiences." in bad.text
        forged = await http.post(
            "/app/sharing",
            data={
                "csrf_token": "x",
                "form": "profile",
                "action": "profile",
                "audience": "SUPERVISORS",
            },
        )
        assert forged.status_code == 403
        after = await api(http, demo, ELENA, SHARING)
    assert after["myGrowthProfileAudience"] == {"chosen": "PRIVATE", "effective": "PRIVATE"}
    [now] = [e for e in after["viewer"]["teacher"]["evidence"] if e["id"] == item["id"]]
    assert now["audience"] == "SUPERVISORS"
