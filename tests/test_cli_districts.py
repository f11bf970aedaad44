"""The operator's commands: ``district create|list``, ``user ...``, ``caseload ...``, and the first
import of a new district without ``--as``; on both databases, through click as a shell runs it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from click.testing import CliRunner, Result
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.cli import main
from tests.conftest import SECRET
from tests.factories import ADMIN, COACH, TEACHER_A, TEACHER_B, World
from tests.import_helpers import ROSTER
from tests.security_helpers import audit_events

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import TestDatabase


async def run(db: TestDatabase, *args: str) -> Result:
    """``mypd-graph --database-url URL ARGS`` in a thread (the command runs its own event loop)."""
    runner = CliRunner()
    env = {"MYPD_SECRET_KEY": SECRET, "MYPD_DATABASE_URL": db.url}
    return await asyncio.to_thread(
        runner.invoke, main, ["--database-url", db.url, *args], env=env, catch_exceptions=False
    )


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def refused(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    for word in words:
        assert word in result.output, result.output


async def test_the_operator_creates_and_lists_districts(db: TestDatabase, world: World) -> None:
    created = ok(
        await run(
            db,
            *("district", "create", "--key", "long-beach", "--name", "Long Beach Unified"),
            *("--admin-email", "IT@lbusd.example", "--admin-name", "Lee Admin"),
        )
    )
    assert "district long-beach created" in created and "cstp-2009 active" in created
    async with db.sessionmaker() as session:
        district = await session.scalar(
            select(models.District).where(models.District.key == "long-beach")
        )
        assert district is not None and district.active_framework_id == world.framework_id
        admin = await session.scalar(
            select(models.User).where(models.User.email == "it@lbusd.example")
        )
        assert admin is not None
        assert (admin.role, admin.name, admin.district_id, admin.active) == (
            "district_admin",
            "Lee Admin",
            district.id,
            True,
        )
        session.add(
            models.DistrictSignIn(
                district_id=world.district_id, issuer="https://idp.example", audience="mypd"
            )
        )
        await session.commit()

    listed = ok(await run(db, "district", "list")).splitlines()
    assert listed[0].split("\t")[:6] == [
        "key",
        "name",
        "schools",
        "users",
        "active users",
        "sign-in",
    ]
    rows = {line.split("\t")[0]: line.split("\t") for line in listed[1:]}
    assert rows["long-beach"][1:] == [
        "Long Beach Unified",
        "0",
        "1",
        "1",
        "not connected",
        "cstp-2009",
    ]
    assert rows["test"][2] == "2" and rows["test"][5] == "connected"

    def create(key: str, email: str) -> tuple[str, ...]:
        return ("district", "create", "--key", key, "--name", "X", "--admin-email", email)

    refused(await run(db, *create("long-beach", "new@x.example")), "exists already")
    refused(await run(db, *create("Long Beach", "new@x.example")), "lowercase letters")
    refused(await run(db, *create("-lb", "new@x.example")), "lowercase letters")
    refused(await run(db, *create("lb2", ADMIN.upper())), "already a user's email")
    refused(await run(db, *create("lb2", "nobody")), "not an email address")
    async with db.sessionmaker() as session:
        keys = set(await session.scalars(select(models.District.key)))
    assert keys == {"test", "other", "long-beach"}  # the refused ones left nothing behind


async def test_users_and_caseloads_from_the_command_line(db: TestDatabase, world: World) -> None:
    district = ("--district", "test")
    added = await run(
        db, "user", "add", *district, "--email", "Nia@test.mypd", "--name", "Nia Nguyen",
        "--role", "teacher", "--school", "S",
    )  # fmt: skip
    assert "added nia@test.mypd (teacher)" in ok(added)
    async with db.sessionmaker() as session:
        nia = await session.scalar(select(models.User).where(models.User.email == "nia@test.mypd"))
        assert nia is not None and nia.school_id == world.school_ids["S"]
        assert (await session.get_one(models.TeacherProfile, nia.id)).school_id == nia.school_id

    ok(await run(db, "caseload", "assign", *district, "--coach", COACH, "--teacher",
                 "nia@test.mypd", "--teacher", TEACHER_B))  # fmt: skip
    served = ok(await run(db, "caseload", "list", *district, "--coach", COACH))
    assert [line.split("\t")[0] for line in served.splitlines()] == [
        TEACHER_A,
        TEACHER_B,
        "nia@test.mypd",
    ]
    # The service's rules hold here too: all teachers or none, a coach must be a coach.
    refused(
        await run(db, "caseload", "assign", *district, "--coach", COACH, "--teacher", TEACHER_A),
        "already serves",
    )
    refused(
        await run(
            db, "caseload", "assign", *district, "--coach", TEACHER_A, "--teacher", TEACHER_B
        ),
        "not a coach",
    )
    ok(await run(db, "caseload", "unassign", *district, "--coach", COACH, "--teacher", TEACHER_B))

    ok(await run(db, "user", "update", *district, "nia@test.mypd", "--role", "principal"))
    refused(await run(db, "user", "update", *district, "nia@test.mypd", "--no-school"), "school")
    ok(await run(db, "user", "deactivate", *district, TEACHER_A))
    refused(await run(db, "user", "deactivate", *district, ADMIN), "last active admin")
    refused(await run(db, "user", "deactivate", *district, "admin@other.mypd"), "no user")

    listed = ok(await run(db, "user", "list", *district)).splitlines()
    rows = {line.split("\t")[0]: line.split("\t") for line in listed[1:]}
    assert rows["nia@test.mypd"][2:] == ["principal", "S", "active"]
    assert rows[TEACHER_A][4] == "deactivated"
    assert "admin@other.mypd" not in rows

    refused(await run(db, "user", "list"), "--district KEY", "other", "test")
    assert "do not give" in ok(await run(db, "district", "roster-roles", *district, "off"))
    async with db.sessionmaker() as session:
        settings = await session.get(models.DistrictSettings, world.district_id)
        assert settings is not None and settings.roster_staff_roles is False
    events = [e for e in await audit_events(db) if e.action != "read"]
    assert {e.user_id for e in events} == {None}  # the operator's, not a user's
    assert {(e.district_id, e.actor_role) for e in events} == {(world.district_id, "operator")}
    assert all(e.detail.endswith("(by the operator)") for e in events)
    assert [e.action for e in events] == [
        "create", "assign", "assign", "unassign", "update", "deactivate", "update",
    ]  # fmt: skip


async def test_the_first_import_of_a_new_district_needs_no_as(db: TestDatabase) -> None:
    ok(await run(db, "district", "create", "--key", "test", "--name", "Test Unified",
                 "--admin-email", "it@test.mypd"))  # fmt: skip
    imported = await run(db, "import", "roster", str(ROSTER))
    assert "importing as it@test.mypd" in ok(imported)
    async with db.sessionmaker() as session:
        run_row = await session.scalar(select(models.ImportRun))
        assert run_row is not None and run_row.status == "completed"
        teachers = set(
            await session.scalars(select(models.User.email).where(models.User.role == "teacher"))
        )
    assert "dana.okafor@test.mypd" in teachers

    ok(await run(db, "district", "create", "--key", "second", "--name", "Second",
                 "--admin-email", "it@second.example"))  # fmt: skip
    ambiguous = await run(db, "import", "roster", str(ROSTER))
    assert ambiguous.exit_code == 1
    assert "pass --as EMAIL" in ambiguous.output and "second, test" in ambiguous.output
