"""The growth pages over HTTP on the demo: a chart (an SVG image from a data: URL, no script, no
other host) and a table per element of what growth says, training hours per year, the students'
results by term with suppressed groups said in words; a supervisor sees them only as the teacher
shares her growth profile."""

from __future__ import annotations

import base64
import re

import pytest

from mypd_graph.auth import mint_token
from mypd_graph.ids import to_global_id
from tests.conftest import SECRET
from tests.test_web_teacher_pages import SET_AUDIENCE, api
from tests.web_helpers import (
    DAVID,
    ELENA,
    ROBERT,
    dev_sign_in,
    load_demo_district,
    text_of,
    web_client,
)

GROWTH = """{ viewer { teacher { growth {
  elements { element { code } selfLevels { when level { label } } observedLevels { when level { label } } }
  trainingHours { schoolYear hours }
  studentResults { assessmentName term schoolYear suppressed students }
} } } }"""


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


def images(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html)


async def test_elenas_growth_page_charts_and_tables_what_the_api_says(
    db, demo, settings, plugins
) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        page = await http.get("/app/growth")
        growth = (await api(http, demo, ELENA, GROWTH))["viewer"]["teacher"]["growth"]
    assert page.status_code == 200
    words = text_of(page.text)
    assert growth["elements"] and growth["trainingHours"] and growth["studentResults"]
    drawn = images(page.text)
    assert len(drawn) == len(growth["elements"]) + 1  # a chart per element, and the hours
    for url, alt in drawn:
        assert url.startswith("data:image/svg+xml;base64,") and "table" in alt
        svg = base64.b64decode(url.split(",", 1)[1]).decode()
        assert "<svg" in svg and "http://kozea" not in svg and "//kozea" not in svg
    for item in growth["elements"]:
        code = item["element"]["code"]
        block = page.text[page.text.index(f'id="element-{code.replace(".", "-")}"') :]
        block = text_of(block[: block.index("</section>")])
        for point in item["selfLevels"] + item["observedLevels"]:
            assert f"{point['when']}" in block and point["level"]["label"] in block
    for year in growth["trainingHours"]:
        assert f"{year['schoolYear']} {year['hours']:g}" in words
    suppressed = [r for r in growth["studentResults"] if r["suppressed"]]
    shown = [r for r in growth["studentResults"] if not r["suppressed"]]
    assert shown
    for row in shown:
        assert f"{row['term']} {row['students']}" in words
    assert words.count("Suppressed: fewer than") == len(suppressed)


async def test_supervisors_see_growth_as_far_as_she_shares_it(db, demo, settings, plugins) -> None:
    elena = f"/app/teachers/{to_global_id('Teacher', demo[ELENA])}/growth"
    async with (
        web_client(db, settings, plugins) as coach,
        web_client(db, settings, plugins) as principal,
    ):
        await dev_sign_in(coach, DAVID)
        await dev_sign_in(principal, ROBERT)
        by_coach = await coach.get(elena)
        assert by_coach.status_code == 200 and images(by_coach.text)
        by_principal = await principal.get(elena)
        assert by_principal.status_code == 200 and images(by_principal.text) == []
        assert "does not share their growth profile with you" in text_of(by_principal.text)
        await api(coach, demo, ELENA, SET_AUDIENCE, audience="SUPERVISORS")
        assert images((await principal.get(elena)).text)
        other = to_global_id("Teacher", demo["daniel.kim@demo.mypd.test"])
        assert (await coach.get(f"/app/teachers/{other}/growth")).status_code == 404
        assert (await coach.get("/app/growth")).status_code == 404


async def test_classroom_results_are_marked_as_teacher_entered(db, demo, settings, plugins) -> None:
    """Elena's own classroom quiz (uploadClassroomResults) shows in her growth page, marked."""
    students = """{ viewer { teacher { students(first: 100, where: {schoolYear: "2025-26"}) {
      nodes { localId } } } } }"""
    async with web_client(db, settings, plugins) as http:
        found = await api(http, demo, ELENA, students)
        ids = sorted({s["localId"] for s in found["viewer"]["teacher"]["students"]["nodes"]})[:12]
        template = "student_id,achievement_level\n" + "".join(f"{i},3\n" for i in ids)
        boundary = "mypd-growth-test"
        operations = (
            '{"query": "mutation($file: Upload!) { uploadClassroomResults(input: {file: $file, '
            'assessmentName: \\"Fractions quiz\\", subject: \\"Math\\", schoolYear: \\"2025-26\\", '
            'term: \\"Spring\\"}) { importRun { status } userErrors { message } } }", '
            '"variables": {"file": null}}'
        )
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            f"{operations}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
            '{"0": ["variables.file"]}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="quiz.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n{template}\r\n--{boundary}--\r\n"
        ).encode()
        token = mint_token(SECRET, demo[ELENA], ELENA)
        answer = await http.post(
            "/graphql",
            content=body,
            headers={
                "Authorization": f"Bearer {token}",
                "content-type": f"multipart/form-data; boundary={boundary}",
            },
        )
        uploaded = answer.json()["data"]["uploadClassroomResults"]
        assert uploaded["importRun"]["status"] == "COMPLETED", uploaded
        await dev_sign_in(http, ELENA)
        page = await http.get("/app/growth")
    words = text_of(page.text)
    assert "Fractions quiz classroom data, teacher-entered" in words
    assert words.count("classroom data, teacher-entered") == 1  # the district's are not marked
