"""``mypd-graph audit export`` (issue 12.2): a district's trail streamed as JSON lines or CSV, in
chunks (bounded memory at millions of rows), only that district's events, on both databases."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine

from mypd_graph import models
from mypd_graph.cli import main
from tests.conftest import SECRET, TestDatabase
from tests.factories import OUTSIDER, TEACHER_A, World

ROWS = 50_000
DAY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
DETAILS = {0: 'by id, "quoted"', 1000: '=HYPERLINK("http://x")', 1001: "-1+2"}


async def run_cli(db: TestDatabase, *args: str) -> tuple[Result, list[str]]:
    """The command in-process (in a thread: it runs its own event loop), and the statements it
    ran against the audit table."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "audit_event" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        result = await asyncio.to_thread(
            CliRunner().invoke,
            main,
            ["--database-url", db.url, *args],
            env={"MYPD_SECRET_KEY": SECRET},
            catch_exceptions=False,
        )
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return result, statements


async def seed(db: TestDatabase, world: World) -> None:
    """50,000 reads by Ana over 50 days, each naming a student; one event of the other district."""
    teacher, student = world.id(TEACHER_A), world.student_ids["s1"]
    async with db.sessionmaker.begin() as session:
        for start in range(0, ROWS, 10_000):
            rows = [
                {
                    "id": i + 1,
                    "at": DAY + timedelta(days=i // 1000, seconds=i % 1000),
                    "user_id": teacher,
                    "district_id": world.district_id,
                    "actor_email": TEACHER_A,
                    "actor_name": "Ana Alvarez",
                    "actor_role": "teacher",
                    "action": "read",
                    "entity": "student",
                    "entity_ids": [str(student)],
                    "detail": DETAILS.get(i, "by id"),
                    "request_id": f"r{i}",
                    "client_address": "10.0.0.1",
                }
                for i in range(start, start + 10_000)
            ]
            await session.execute(insert(models.AuditEvent), rows)
            await session.execute(
                insert(models.AuditSubject),
                [{"event_id": r["id"], "kind": "student", "subject_id": student} for r in rows],
            )
        session.add(
            models.AuditEvent(
                id=ROWS + 1,
                at=DAY,
                user_id=world.id(OUTSIDER),
                district_id=world.other_district_id,
                action="read",
                entity="student",
            )
        )
        if db.backend == "postgresql":
            await session.flush()
            await session.execute(  # the id sequence continues after the ids given here
                text(
                    f"SELECT setval(pg_get_serial_sequence('audit.audit_event', 'id'), {ROWS + 2})"
                )
            )


async def test_jsonl_export_streams_in_chunks(db: TestDatabase, world: World) -> None:
    await seed(db, world)
    result, statements = await run_cli(
        db, "audit", "export", "--district", "test", "--since", "2026-11-01", "--chunk", "5000"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == ROWS
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    assert first["id"] == 1 and last["id"] == ROWS
    assert first == {
        "id": 1,
        "at": DAY.isoformat(),
        "district_id": world.district_id,
        "user_id": world.id(TEACHER_A),
        "actor_email": TEACHER_A,
        "actor_name": "Ana Alvarez",
        "actor_role": "teacher",
        "action": "read",
        "entity": "student",
        "entity_ids": [str(world.student_ids["s1"])],
        "students": [world.student_ids["s1"]],
        "teachers": [],
        "detail": 'by id, "quoted"',
        "request_id": "r0",
        "client_address": "10.0.0.1",
    }
    assert all(json.loads(line)["district_id"] == world.district_id for line in lines[::997])
    # read ROWS / 5000 chunks at a time (+ the empty read that ends it at most), never all at once
    event_reads = [s for s in statements if "FROM audit.audit_event" in s.replace('"', "")]
    assert ROWS // 5000 <= len(event_reads) <= ROWS // 5000 + 1, len(event_reads)
    assert all("LIMIT" in s.upper() for s in event_reads)


async def test_csv_export_with_a_time_range(db: TestDatabase, world: World) -> None:
    await seed(db, world)
    result, _ = await run_cli(
        db,
        "audit",
        "export",
        "--district",
        "test",
        "--since",
        "2026-11-03",
        "--until",
        "2026-11-04",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2000  # two days of 1,000 events, --until included
    assert rows[0]["id"] == "1001" and rows[-1]["id"] == "3000"
    assert rows[0]["students"] == str(world.student_ids["s1"])
    assert rows[0]["actor_email"] == TEACHER_A and rows[0]["teachers"] == ""
    # a spreadsheet never runs a cell as a formula
    assert [rows[0]["detail"], rows[1]["detail"]] == ['\'=HYPERLINK("http://x")', "'-1+2"]


async def test_another_district_and_a_bad_key(db: TestDatabase, world: World) -> None:
    await seed(db, world)
    result, _ = await run_cli(db, "audit", "export", "--district", "other", "--since", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [ROWS + 1]
    result, _ = await run_cli(db, "audit", "export", "--district", "nope", "--since", "2026-01-01")
    assert result.exit_code == 1 and "no district with key 'nope'" in result.output
