"""The framework switch page over HTTP on the demo: the admin previews a switch (the page shows
activateFramework's preview totals and changes nothing), then switches (the district's active
framework is the new one); only a district admin reaches the page."""

from __future__ import annotations

import pytest

from tests.test_web_teacher_pages import api
from tests.web_helpers import (
    ADMIN,
    ROBERT,
    csrf_of,
    dev_sign_in,
    load_demo_district,
    text_of,
    web_client,
)

ACTIVE = "{ district { activeFramework { key name } } frameworks { key name } }"
PREVIEW = """mutation($key: String!) { activateFramework(input: {key: $key, preview: true}) {
  swap { totals { focusMapped focusUnmapped goalElementsMapped goalElementsUnmapped
    selfRatingsMapped selfRatingsUnmapped observedRatingsMapped observedRatingsUnmapped } } } }"""


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


async def load_state_framework(http, db, demo: dict[str, int]) -> None:
    """The state's framework as a CASE package through importCaseFramework, and its crosswalk
    from CSTP (the framework switch's tests' package)."""
    from mypd_graph.auth import mint_token
    from mypd_graph.services.frameworks import crosswalks
    from tests.conftest import SECRET
    from tests.test_case_import import upload
    from tests.test_framework_swap import CROSSWALK, LEVELS, STATE_ITEMS, case_package

    class Client:  # what upload() needs of a client: HTTP and a token
        def __init__(self) -> None:
            self.http = http

        def token_for(self, email: str) -> str:
            return mint_token(SECRET, demo[email], email)

    done = await upload(Client(), case_package(STATE_ITEMS), as_=ADMIN, key="state", levels=LEVELS)
    assert done["userErrors"] == [], done
    async with db.sessionmaker.begin() as session:
        rows = [crosswalks.CrosswalkRow(*row) for row in CROSSWALK]
        assert (await crosswalks.load_rows(session, rows)).errors == []


async def test_admin_previews_then_switches(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ADMIN)
        await load_state_framework(http, db, demo)
        page = await http.get("/app/framework")
        assert page.status_code == 200
        before = await api(http, demo, ADMIN, ACTIVE)
        active = before["district"]["activeFramework"]
        other = next(f for f in before["frameworks"] if f["key"] != active["key"])
        assert f"rates teachers on {active['name']}" in text_of(page.text)
        token = csrf_of(page.text)
        preview = await http.post(
            "/app/framework",
            data={"csrf_token": token, "form": "switch", "action": "preview", "key": other["key"]},
        )
        assert preview.status_code == 200
        words = text_of(preview.text)
        assert (
            f"Preview: switching to {other['name']}" in words
            and "Nothing has changed yet." in words
        )
        answer = await api(http, demo, ADMIN, PREVIEW, key=other["key"])
        t = answer["activateFramework"]["swap"]["totals"]
        assert (
            f"All teachers {t['focusMapped']} / {t['focusUnmapped']} {t['goalElementsMapped']} / "
            f"{t['goalElementsUnmapped']} {t['selfRatingsMapped']} / {t['selfRatingsUnmapped']} "
            f"{t['observedRatingsMapped']} / {t['observedRatingsUnmapped']}"
        ) in words
        assert t["selfRatingsMapped"] > 0  # the crosswalk carries some over
        unchanged = await api(http, demo, ADMIN, ACTIVE)
        assert unchanged["district"]["activeFramework"]["key"] == active["key"]

        switched = await http.post(
            "/app/framework",
            data={"csrf_token": token, "form": "confirm", "action": "switch", "key": other["key"]},
        )
        assert switched.status_code == 200
        assert f"Switched to {other['name']}" in text_of(switched.text)
        unknown = await http.post(
            "/app/framework",
            data={"csrf_token": token, "form": "switch", "action": "preview", "key": "nope"},
        )
        assert unknown.status_code == 400 and 'id="error-summary"' in unknown.text
        forged = await http.post(
            "/app/framework", data={"csrf_token": "x", "action": "switch", "key": active["key"]}
        )
        assert forged.status_code == 403
        after = await api(http, demo, ADMIN, ACTIVE)
    assert after["district"]["activeFramework"]["key"] == other["key"]
    async with web_client(db, settings, plugins) as principal:
        await dev_sign_in(principal, ROBERT)
        assert (await principal.get("/app/framework")).status_code == 404
