"""A OneRoster import brings staff (issue 11, section 1): ``administrator`` users attached to a
school become its principals, those attached to the district org its district admins; nobody's role
or school changes behind an admin's back (a row error instead); a district can turn it off. Real
OneRoster files (the fixture export of tests/factories.py's district, edited), both databases."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.plugins.manager import PluginSet
from tests.factories import COACH, PRINCIPAL_NORTH, TEACHER_B, World
from tests.import_helpers import ROSTER, counts, import_roster, row_errors
from tests.import_plugin import import_plugins
from tests.test_district_admin import admin_mutation

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin

DISTRICT_ORG = "9f1c2a60-0000-4000-8000-000000000001"
SOUTH, DEPARTMENT = "9f1c2a60-0000-4000-8000-000000000020", "9f1c2a60-0000-4000-8000-000000000040"
STAMP = "2025-08-01T07:00:00.000Z"


def administrator(sourced_id: str, org: str, given: str, family: str, email: str) -> str:
    return f"{sourced_id},,{STAMP},true,{org},administrator,{sourced_id},,{given},{family},,,{email},,,,,"


def roster_with(tmp_path: Path, *rows: str) -> Path:
    """The fixture export with these users.csv rows added."""
    folder = tmp_path / "roster"
    shutil.copytree(ROSTER, folder)
    users = folder / "users.csv"
    users.write_text(users.read_text(encoding="utf-8") + "\n".join(rows) + "\n", "utf-8")
    return folder


NEW_STAFF = (
    administrator("a-sol", SOUTH, "Sol", "Vega", "Sol.Vega@test.mypd"),
    administrator("a-dee", DISTRICT_ORG, "Dee", "Ortiz", "dee.ortiz@test.mypd"),
    administrator("a-cur", DEPARTMENT, "Cy", "Curric", "cy@test.mypd"),  # a department: skipped
)


async def user(db: TestDatabase, email: str) -> models.User | None:
    async with db.sessionmaker() as session:
        return await session.scalar(select(models.User).where(models.User.email == email))


async def test_administrators_become_principals_and_district_admins(
    db: TestDatabase,
    world: World,
    import_plugins: PluginSet,
    tmp_path: Path,
    client: GraphQLClient,
) -> None:
    run = await import_roster(db, world, import_plugins, roster_with(tmp_path, *NEW_STAFF))
    assert run.status == "completed", run.message
    assert await row_errors(db, run.id) == []
    assert run.rows_skipped == 1  # the department's administrator

    sol, dee = await user(db, "sol.vega@test.mypd"), await user(db, "dee.ortiz@test.mypd")
    assert sol is not None and (sol.role, sol.school_id, sol.name, sol.active) == (
        "principal",
        world.school_ids["S"],
        "Sol Vega",
        True,
    )
    assert dee is not None and (dee.role, dee.school_id) == ("district_admin", None)
    assert dee.district_id == world.district_id
    assert await user(db, "cy@test.mypd") is None
    pat = await user(db, PRINCIPAL_NORTH)
    assert pat is not None and (pat.role, pat.school_id) == ("principal", world.school_ids["N"])

    # The imported district admin manages the district at once.
    world.user_ids["dee.ortiz@test.mypd"] = dee.id
    made = await admin_mutation(
        client, "createDistrictGoal", {"title": "From the roster"}, as_="dee.ortiz@test.mypd"
    )
    assert made["userErrors"] == []

    again = await import_roster(db, world, import_plugins, roster_with(tmp_path / "2", *NEW_STAFF))
    assert (again.rows_inserted, again.rows_updated) == (0, 0)  # a re-import changes nothing


async def test_nobodys_role_or_school_changes_behind_an_admins_back(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    pat_row = f"a-pat,,{STAMP},true,9f1c2a60-0000-4000-8000-000000000010,administrator,"
    folder = roster_with(
        tmp_path,
        administrator("a-ben", DISTRICT_ORG, "Ben", "Brooks", TEACHER_B),  # a teacher
        administrator("a-cora", SOUTH, "Cora", "Coach", COACH),  # a coach
        administrator("a-anon", SOUTH, "No", "Email", ""),
    )
    users = (folder / "users.csv").read_text(encoding="utf-8")
    assert pat_row in users  # Pat North, principal at North, listed at South
    (folder / "users.csv").write_text(
        users.replace(pat_row, f"a-pat,,{STAMP},true,{SOUTH},administrator,"), "utf-8"
    )
    before = {email: await user(db, email) for email in (TEACHER_B, COACH, PRINCIPAL_NORTH)}

    run = await import_roster(db, world, import_plugins, folder, {"max_error_share": 0.5})
    assert run.status == "completed", run.message
    errors = {error.value: error.reason for error in await row_errors(db, run.id)}
    assert "is a teacher at school N in mypd" in errors[TEACHER_B]
    assert "lists them as a district admin" in errors[TEACHER_B]
    assert "is a coach in mypd" in errors[COACH]
    assert "principal at school N" in errors[PRINCIPAL_NORTH]
    assert "principal at school S" in errors[PRINCIPAL_NORTH]
    assert "needs an email" in errors[""]
    for email, was in before.items():
        now = await user(db, email)
        assert was is not None and now is not None
        assert (now.role, now.school_id, now.name) == (was.role, was.school_id, was.name)


async def test_a_district_can_keep_roles_out_of_the_roster(
    db: TestDatabase,
    world: World,
    import_plugins: PluginSet,
    tmp_path: Path,
    client: GraphQLClient,
) -> None:
    off = await admin_mutation(client, "setRosterStaffRoles", {"enabled": False})
    assert off == {"enabled": False, "userErrors": []}
    run = await import_roster(db, world, import_plugins, roster_with(tmp_path, *NEW_STAFF))
    assert run.status == "completed", run.message
    assert await user(db, "sol.vega@test.mypd") is None
    assert await user(db, "dee.ortiz@test.mypd") is None
    assert "roster_staff_roles is off" in run.message
    assert await user(db, "dana.okafor@test.mypd") is not None  # teachers still come
    assert counts(run)[4] == 0

    on = await admin_mutation(client, "setRosterStaffRoles", {"enabled": True})
    assert on == {"enabled": True, "userErrors": []}
    run = await import_roster(db, world, import_plugins, roster_with(tmp_path / "2", *NEW_STAFF))
    assert run.status == "completed", run.message
    sol = await user(db, "sol.vega@test.mypd")
    assert sol is not None and sol.role == "principal"
