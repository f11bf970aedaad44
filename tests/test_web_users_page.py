"""Users and caseloads over HTTP on the demo: the admin's page lists what District.users lists
(by role), each coach's caseload as User.caseload says, and adds a teacher to a caseload and
takes one off through assignCoach and unassignCoach; the new fields answer nothing to anyone but
a district admin, and the page is not found for them."""

from __future__ import annotations

import pytest

from tests.test_web_teacher_pages import api
from tests.web_helpers import (
    ADMIN,
    DAVID,
    ELENA,
    csrf_of,
    dev_sign_in,
    load_demo_district,
    text_of,
    web_client,
)

USERS = """query($role: Role) { district { users(role: $role) { id name email role
  caseload { id name } } } }"""


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


async def test_admin_reads_users_and_changes_a_caseload(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ADMIN)
        everyone = await http.get("/app/users")
        assert everyone.status_code == 200
        listed = (await api(http, demo, ADMIN, USERS))["district"]["users"]
        words = text_of(everyone.text)
        assert f"{len(listed)} users." in words
        assert all(u["email"] in words for u in listed)
        coaches_page = await http.get("/app/users", params={"role": "COACH"})
        coaches = (await api(http, demo, ADMIN, USERS, role="COACH"))["district"]["users"]
        [david] = [c for c in coaches if c["name"] == "David Chen"]
        assert "Elena Ramirez" in [t["name"] for t in david["caseload"]]
        section = coaches_page.text[coaches_page.text.index(">David Chen") :]
        section = section[: section.index("</section>")]
        assert all(t["name"] in section for t in david["caseload"])

        token = csrf_of(coaches_page.text)
        teachers = (await api(http, demo, ADMIN, USERS, role="TEACHER"))["district"]["users"]
        newcomer = next(
            t for t in teachers if t["name"] not in {x["name"] for x in david["caseload"]}
        )
        added = await http.post(
            "/app/users",
            data={
                "csrf_token": token,
                "form": "add-1",
                "action": "assign",
                "coachId": david["id"],
                "teacherId": newcomer["id"],
                "role": "COACH",
            },
        )
        assert added.status_code == 303
        assert "The teacher is on the caseload." in (await http.get(added.headers["location"])).text
        elena = next(t for t in david["caseload"] if t["name"] == "Elena Ramirez")
        removed = await http.post(
            "/app/users",
            data={
                "csrf_token": token,
                "form": "off-1-1",
                "action": "unassign",
                "coachId": david["id"],
                "teacherId": elena["id"],
                "role": "COACH",
            },
        )
        assert removed.status_code == 303
        nobody = await http.post(
            "/app/users",
            data={
                "csrf_token": token,
                "form": "add-1",
                "action": "assign",
                "coachId": david["id"],
                "teacherId": "",
                "role": "COACH",
            },
        )
        assert nobody.status_code == 400 and 'id="add-1-teacherId-error"' in nobody.text
        forged = await http.post(
            "/app/users",
            data={
                "csrf_token": "x",
                "form": "add-1",
                "action": "assign",
                "coachId": david["id"],
                "teacherId": elena["id"],
            },
        )
        assert forged.status_code == 403
        after = (await api(http, demo, ADMIN, USERS, role="COACH"))["district"]["users"]
    [david_after] = [c for c in after if c["name"] == "David Chen"]
    names = {t["name"] for t in david_after["caseload"]}
    assert newcomer["name"] in names and "Elena Ramirez" not in names


async def test_users_and_caseloads_are_an_admins(db, demo, settings, plugins) -> None:
    for email in (DAVID, ELENA):
        async with web_client(db, settings, plugins) as http:
            await dev_sign_in(http, email)
            assert (await http.get("/app/users")).status_code == 404
            answer = await api(
                http, demo, email, "{ viewer { caseload { id } } district { users { id } } }"
            )
            assert answer == {"viewer": {"caseload": []}, "district": {"users": []}}
