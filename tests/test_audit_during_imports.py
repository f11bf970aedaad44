"""Audited reads while an import holds the database (issue 10.3), and the audit log's own file.

An import writes everything in one transaction; on SQLite that transaction holds the database's one
write lock from its first statement to its end. Every read of student data writes an audit row, so
before the audit log had a file of its own, each read made during an import waited for the lock
(``busy_timeout``, 10 s) and then failed with ``database is locked``. The import here runs through
the real pipeline in a task of the server's event loop (as an uploaded file's does) and is paused
after its first batch, so the lock is certainly held while the reads run; it goes on only when
every read has answered.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import delete, select

from mypd_graph import models
from mypd_graph.importers.job import ImportProgress
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    FileRejected,
    ImporterDefinition,
    ImportSource,
)
from tests.conftest import GraphQLClient, TestDatabase
from tests.factories import ADMIN, TEACHER_A, World
from tests.import_helpers import actor, snapshot
from tests.students_helpers import TEACHER_STUDENTS, teacher_gid

AUDIT_TABLES = {"audit_event", "audit_subject"}  # the audit log grows with every read
BATCH = 4
STUDENTS = ("s1", "s2", "s3", "s4", "s5", "s6", "s7")
TERMS = tuple(f"W{week:02d}" for week in range(1, 9))  # 7 students x 8 terms = 56 rows
READS_PER_QUERY = 6
DISTRICT_STUDENTS = """
{ district { teachers(first: 10) { nodes { name students(first: 25) {
    totalCount nodes { localId results { schoolYear term scaleScore } } } } } } }
"""


class PausedImporter:
    """Results for the world's students, parsed in the pipeline's worker thread; the parse stops
    before its second batch until :attr:`resume` is set, then completes or rejects the file."""

    def __init__(self, reject: bool) -> None:
        self.reject = reject
        self.resume = threading.Event()
        self.definition = ImporterDefinition(
            "paused-scores", "Paused scores", (), ("assessment_results",), self.parse
        )

    def parse(self, source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
        rows = [(student, term) for term in TERMS for student in STUDENTS]
        for number, (student, term) in enumerate(rows, start=2):
            if number == 2 + BATCH:
                assert self.resume.wait(60), "the test never let the import go on"
            yield AssessmentResultRecord(
                row=number,
                student_local_id=student,
                assessment_key="probe-math",
                assessment_name="Probe Math",
                subject="Math",
                school_year="2025-26",
                term=term,
                scale_score=200.0 + number % 50,
                achievement_level=1 + number % 4,
            )
        if self.reject:
            raise FileRejected("the file's last line says it is incomplete")


def _reads(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Audited reads of students and their results, by a teacher and by the district admin."""
    return [
        (TEACHER_A, TEACHER_STUDENTS, {"id": teacher_gid(world, TEACHER_A), "first": 25}),
        (ADMIN, DISTRICT_STUDENTS, {}),
    ]


async def _audit(db: TestDatabase) -> list[tuple[Any, ...]]:
    """Every audit row as what it records (its id and time left out)."""
    async with db.sessionmaker() as session:
        events = await session.scalars(select(models.AuditEvent).order_by(models.AuditEvent.id))
        return [
            (e.user_id, e.action, e.entity, tuple(e.entity_ids), e.detail) for e in events.all()
        ]


def _data(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every table but the audit log, which the reads write to."""
    return {name: rows for name, rows in tables.items() if name not in AUDIT_TABLES}


async def _read(client: GraphQLClient, email: str, query: str, variables: dict[str, Any]) -> Any:
    body = await client.raw(query, variables, as_=email)
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.mark.parametrize("outcome", ["completed", "rejected"])
async def test_audited_reads_succeed_and_are_all_recorded_while_an_import_runs(
    db: TestDatabase, world: World, client: GraphQLClient, outcome: str
) -> None:
    reads = _reads(world)
    # Each read once beforehand: what it answers and the audit rows it writes.
    expected_data, expected_audit = [], Counter[tuple[Any, ...]]()
    for email, query, variables in reads:
        before = len(await _audit(db))
        expected_data.append(await _read(client, email, query, variables))
        expected_audit.update((await _audit(db))[before:])
    assert expected_audit, "the reads must be audited for this test to mean anything"
    data_before = await snapshot(db)
    audit_before = await _audit(db)

    importer = PausedImporter(reject=outcome == "rejected")
    first_batch = asyncio.Event()

    def progress(_: ImportProgress) -> None:
        first_batch.set()  # the import's transaction has written a batch: it holds the lock

    admin = await actor(db, world, ADMIN)
    task = asyncio.create_task(
        run_import(
            db.sessionmaker,
            admin,
            importer.definition,
            b"generated in parse",
            progress=progress,
            batch_size=BATCH,
        )
    )
    try:
        await asyncio.wait_for(first_batch.wait(), 30)
        assert not task.done()
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(
                    _read(client, email, query, variables)
                    for _ in range(READS_PER_QUERY)
                    for email, query, variables in reads
                ),
                return_exceptions=True,
            ),
            60,
        )
        assert not task.done(), "the import must still hold its transaction while reads run"
    finally:
        importer.resume.set()
        run = await asyncio.wait_for(task, 60)

    failures = [answer for answer in answers if isinstance(answer, BaseException)]
    assert failures == [], f"{len(failures)} of {len(answers)} reads failed: {failures[0]}"
    assert answers == expected_data * READS_PER_QUERY
    audit = await _audit(db)
    assert audit[: len(audit_before)] == audit_before
    written = Counter(audit[len(audit_before) :])
    imported = {row: n for row, n in written.items() if row[1] == "import"}
    assert written - Counter(imported) == Counter(
        {row: n * READS_PER_QUERY for row, n in expected_audit.items()}
    ), "every read's audit rows, none lost and none extra"

    if outcome == "completed":
        assert run.status == "completed" and run.rows_inserted == len(STUDENTS) * len(TERMS)
        assert list(imported.values()) == [1], "the import's own audit row"
    else:
        assert run.status == "rejected", run.message
        assert imported == {}
        assert _data(await snapshot(db)) == _data(data_before), "a rejected file writes nothing"


async def test_the_audit_log_outlives_the_users_it_names(
    db: TestDatabase, world: World, client: GraphQLClient
) -> None:
    """No foreign key: deleting a user keeps the id on the record of what they read."""
    teacher_id = world.id(TEACHER_A)
    variables = {"id": teacher_gid(world, TEACHER_A), "first": 25}
    await _read(client, TEACHER_A, TEACHER_STUDENTS, variables)
    async with db.sessionmaker.begin() as session:
        await session.execute(delete(models.User).where(models.User.id == teacher_id))
    assert {row[0] for row in await _audit(db)} == {teacher_id}
