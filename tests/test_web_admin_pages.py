"""District admins' pages over HTTP on the demo: the district views say what insights says (the
heat map's cells are each school's coverage, run per school), the audit trail search filters as
auditTrail does and is itself recorded; neither is open to a teacher, and the audit trail only
to admins."""

from __future__ import annotations

import re

import pytest

from tests.test_web_teacher_pages import api
from tests.web_helpers import (
    ADMIN,
    ELENA,
    ROBERT,
    dev_sign_in,
    load_demo_district,
    text_of,
    web_client,
)

INSIGHTS = """{ district { schools { id name } insights {
  topNeeds(first: 10) { needs { element { code } teachersWithTopNeed } }
  pdImpact { title } ratingDistribution { element { code } school { name } } } } }"""
COVERAGE = """query($id: ID!) { district { insights(schoolId: $id) { coverage { teachers
  elements { element { code } focusTeachers goalTeachers } } } } }"""
TRAIL = """query($where: AuditFilterInput) { auditTrail(where: $where, first: 25) { totalCount
  nodes { number action entity } } }"""


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


async def test_district_views_say_what_insights_says(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ADMIN)
        page = await http.get("/app/district")
        assert page.status_code == 200
        expected = (await api(http, demo, ADMIN, INSIGHTS))["district"]
        words = text_of(page.text)
        for need in expected["insights"]["topNeeds"]["needs"]:
            assert need["element"]["code"] in words
        assert all(r["title"] in words for r in expected["insights"]["pdImpact"])
        ratings = page.text[page.text.index('aria-label="Rating distributions"') :]
        rows = re.findall(
            r"<tr>\s*<th scope=\"row\"><span class=\"code\">([^<]+)</span>[^<]*</th>\s*<td>([^<]+)</td>",
            ratings,
        )
        assert rows == [
            (d["element"]["code"], d["school"]["name"] if d["school"] else "All schools")
            for d in expected["insights"]["ratingDistribution"]
        ]
        heat = page.text[page.text.index('<table class="heat">') :]
        heat = heat[: heat.index("</table>")]
        codes = re.findall(r'<th scope="col">([0-9.]+)</th>', heat)
        rows = re.findall(r'<th scope="row">(.*?) \((\d+)\)</th>(.*?)</tr>', heat, re.S)
        assert len(rows) == len(expected["schools"])
        for school, (name, teachers, cells) in zip(expected["schools"], rows, strict=True):
            coverage = (await api(http, demo, ADMIN, COVERAGE, id=school["id"]))["district"]
            coverage = coverage["insights"]["coverage"]
            assert name == school["name"] and int(teachers) == coverage["teachers"]
            by_code = {e["element"]["code"]: e for e in coverage["elements"]}
            counts = [int(c) for c in re.findall(r'class="cell heat-\d">(\d+)</td>', cells)]
            wanted = [
                max(by_code[c]["focusTeachers"], by_code[c]["goalTeachers"]) if c in by_code else 0
                for c in codes
            ]
            assert counts == wanted
        assert any(
            count for _, _, cells in rows for count in re.findall(r">([1-9]\d*)</td>", cells)
        )
    async with web_client(db, settings, plugins) as teacher:
        await dev_sign_in(teacher, ELENA)
        assert (await teacher.get("/app/district")).status_code == 404


async def test_the_audit_trail_search(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ADMIN)
        everything = await http.get("/app/audit")
        assert everything.status_code == 200
        creates = await http.get("/app/audit", params={"action": "create", "since": "2000-01-01"})
        assert creates.status_code == 200
        expected = await api(
            http, demo, ADMIN, TRAIL, where={"action": "create", "since": "2000-01-01T00:00:00Z"}
        )
        trail = expected["auditTrail"]
        words = text_of(creates.text)
        assert f"{trail['totalCount']} event" in words
        shown = re.findall(r"<tr>\s*<td>(\d+)</td>", creates.text)
        assert [int(n) for n in shown] == [e["number"] for e in trail["nodes"]]
        bad = await http.get("/app/audit", params={"since": "last week"})
        assert bad.status_code == 400 and "enter a date like" in bad.text
        reads = await api(http, demo, ADMIN, TRAIL, where={"entity": "audit_event"})
        assert reads["auditTrail"]["totalCount"] >= 3  # each search was recorded
    async with web_client(db, settings, plugins) as principal:
        await dev_sign_in(principal, ROBERT)
        assert (await principal.get("/app/audit")).status_code == 404
        assert (await principal.get("/app/district")).status_code == 200  # his school's views
