"""The import contract's later additions, on both databases: students matched by their state id,
rows skipped on purpose, runs left running by a dead process, and OneRoster bulk enrollments."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text, update

from mypd_graph import models
from mypd_graph.app import prepare_database
from mypd_graph.importers.pipeline import run_import
from mypd_graph.importers.stale import MESSAGE, RUN_LOCK, STALE_AFTER, fail_stale_runs
from mypd_graph.models import utcnow
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    ImporterDefinition,
    ImportSource,
    RowError,
    RowSkipped,
)
from mypd_graph.settings import Settings
from tests.factories import ADMIN, World
from tests.import_helpers import ROSTER, actor, counts, result_keys, row_errors
from tests.import_plugin import import_plugins
from tests.test_csv_scores import FIXTURES

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin


def parse_ids(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
    """``local,state,score[,skip]``: results named by a local id, a state id or both."""
    for number, row in enumerate(csv.DictReader(source.text()), start=2):
        if row.get("skip"):
            yield RowSkipped(number, row["skip"])
            continue
        if row["score"] == "bad":
            yield RowError(number, "score is not a number", "score", "bad")
            continue
        yield AssessmentResultRecord(
            row=number,
            student_local_id=row["local"],
            student_state_id=row["state"] or None,
            assessment_key="state-math",
            assessment_name="State Math",
            subject="Math",
            school_year="2024-25",
            term="Spring",
            scale_score=float(row["score"]),
        )


IDS = ImporterDefinition("ids", "Local or state ids", (), ("assessment_results",), parse_ids)


def ids_file(tmp_path: Path, rows: list[str], header: str = "local,state,score") -> Path:
    path = tmp_path / "ids.csv"
    path.write_text(header + "\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


async def set_state_ids(db: TestDatabase, world: World, ids: dict[str, str]) -> None:
    async with db.sessionmaker.begin() as session:
        for local_id, state_id in ids.items():
            await session.execute(
                update(models.Student)
                .where(models.Student.id == world.student_ids[local_id])
                .values(state_id=state_id)
            )


async def scores_by_student(db: TestDatabase) -> dict[str, float | None]:
    """The results of the ``ids`` importer's assessment, by student."""
    async with db.sessionmaker() as session:
        rows = await session.execute(
            select(models.Student.local_id, models.AssessmentResult.scale_score)
            .join(models.AssessmentResult, models.AssessmentResult.student_id == models.Student.id)
            .join(models.Assessment, models.Assessment.id == models.AssessmentResult.assessment_id)
            .where(models.Assessment.key == "state-math")
        )
        return dict(rows.all())


# -------------------------------------------------------------------------
# Students matched by their state id
# -------------------------------------------------------------------------


async def test_results_find_students_by_state_id_when_the_local_id_is_absent_or_unknown(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    await set_state_ids(db, world, {"s1": "SS1", "s2": "SS2", "s3": "TWIN", "s4": "TWIN"})
    path = ids_file(
        tmp_path,
        [
            "s1,,201",  # 2: the local id
            "sis-9,SS2,202",  # 3: an unknown local id, a known state id
            ",SS1,203",  # 4: only a state id: s1 again, a duplicate of row 2
            ",TWIN,204",  # 5: two students share this state id
            ",NOPE,205",  # 6: nobody has this state id
            "s5,SS2,206",  # 7: the local id wins over the state id
        ],
    )
    admin = await actor(db, world, ADMIN)
    run = await run_import(db.sessionmaker, admin, IDS, path, {"max_error_share": 0.5})
    assert (run.status, counts(run)) == ("completed", (6, 3, 0, 0, 3)), run.message
    assert await scores_by_student(db) == {"s1": 201.0, "s2": 202.0, "s5": 206.0}
    errors = {e.row: (e.column, e.value, e.reason) for e in await row_errors(db, run.id)}
    assert errors[4][2].startswith("duplicate of row 2")
    assert errors[5][:2] == ("student_state_id", "TWIN") and "several students" in errors[5][2]
    assert errors[6][:2] == ("student_state_id", "NOPE") and "unknown student" in errors[6][2]

    again = await run_import(db.sessionmaker, admin, IDS, path, {"max_error_share": 0.5})
    assert counts(again) == (6, 0, 0, 3, 3), "matched by state id, re-imports stay idempotent"


async def test_caaspp_results_reach_students_whose_local_ids_are_not_their_ssids(
    db: TestDatabase, world: World
) -> None:
    """CERS files carry only the SSID; the district's roster uses its own ids."""
    await set_state_ids(db, world, {"s1": "4012345678", "s2": "4012345679"})
    admin = await actor(db, world, ADMIN)
    loaded = load_plugins(allow=("csv_scores",))
    run = await run_import(
        db.sessionmaker,
        admin,
        "csv-scores",
        FIXTURES / "caaspp_cers_export.csv",
        {"format": "caaspp-cers", "max_error_share": 0.9},
        plugins=loaded,
    )
    assert run.status == "completed", run.message
    keys = await result_keys(db)
    assert ("s1", "caaspp-sb-ela") in keys and ("s1", "caaspp-sb-math") in keys
    assert ("s2", "caaspp-sb-ela") in keys
    unknown = [e for e in await row_errors(db, run.id) if "unknown student" in e.reason]
    assert unknown and all(e.column == "student_local_id" for e in unknown), (
        "SSIDs nobody has: reported under the id the file gave first"
    )


# -------------------------------------------------------------------------
# Rows skipped on purpose
# -------------------------------------------------------------------------


async def test_skipped_rows_are_counted_apart_and_never_against_the_threshold(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    header = "local,state,score,skip"
    rows = ["s1,,201,", "s2,,bad,"] + [f"s{n},,1,ELPAC results are not loaded" for n in (3, 4, 5)]
    rows.append("s6,,1,not tested")
    admin = await actor(db, world, ADMIN)

    # 1 bad row of the 2 meant to be imported: 50%, whatever the 4 skipped rows
    rejected = await run_import(
        db.sessionmaker, admin, IDS, ids_file(tmp_path, rows, header), {"max_error_share": 0.4}
    )
    assert rejected.status == "rejected" and "1 of 2 rows (50.0%)" in rejected.message
    assert await scores_by_student(db) == {}

    run = await run_import(
        db.sessionmaker, admin, IDS, ids_file(tmp_path, rows, header), {"max_error_share": 0.5}
    )
    assert (run.status, counts(run), run.rows_skipped) == ("completed", (6, 1, 0, 0, 1), 4)
    assert "4 rows skipped on purpose: ELPAC results are not loaded (3); not tested (1)" in (
        run.message
    )
    assert [e.row for e in await row_errors(db, run.id)] == [3], "skipped rows are not errors"

    only_skipped = ids_file(tmp_path, ["s1,,1,not tested"], header)
    nothing = await run_import(db.sessionmaker, admin, IDS, only_skipped, {"max_error_share": 0})
    assert (nothing.status, nothing.rows_read, nothing.rows_skipped) == ("completed", 1, 1)


# -------------------------------------------------------------------------
# Runs left running by a process that died
# -------------------------------------------------------------------------


async def left_running(db: TestDatabase, world: World, minutes_ago: int) -> int:
    async with db.sessionmaker.begin() as session:
        run = models.ImportRun(
            district_id=world.district_id,
            user_id=world.id(ADMIN),
            importer="csv-scores",
            file_name="big.csv",
            checksum="0" * 64,
            status="running",
            started_at=utcnow() - timedelta(minutes=minutes_ago),
        )
        session.add(run)
        await session.flush()
        return run.id


async def status_of(db: TestDatabase, run_id: int) -> tuple[str, str]:
    async with db.sessionmaker() as session:
        run = await session.get_one(models.ImportRun, run_id)
        return run.status, run.message


async def test_a_run_whose_process_died_is_failed_when_imports_are_listed(
    db: TestDatabase, world: World, client: Any
) -> None:
    dead = await left_running(db, world, minutes_ago=60)
    young = await left_running(db, world, minutes_ago=1)  # perhaps a queued upload: left alone
    listed = await client.execute(
        "{ imports(first: 10) { nodes { status message rowsSkipped } } }", as_=ADMIN
    )
    statuses = [node["status"] for node in listed["imports"]["nodes"]]
    assert sorted(statuses) == ["FAILED", "RUNNING"]
    assert await status_of(db, dead) == ("failed", MESSAGE)
    assert (await status_of(db, young))[0] == "running"
    assert await fail_stale_runs(db.sessionmaker, now=utcnow() + STALE_AFTER) == [young]


async def test_a_run_still_importing_is_left_alone(db: TestDatabase, world: World) -> None:
    busy = await left_running(db, world, minutes_ago=60)
    async with db.engine.connect() as holder:
        if db.backend == "postgresql":  # what an importing transaction holds (stale.hold_run)
            await holder.execute(
                text("SELECT pg_advisory_lock(:lock, :run)"), {"lock": RUN_LOCK, "run": busy}
            )
        else:  # an import holds SQLite's write lock for its whole transaction
            await holder.execute(text("UPDATE district SET name = name WHERE id = 0"))
        assert await fail_stale_runs(db.sessionmaker) == []
        if db.backend == "postgresql":
            await holder.execute(
                text("SELECT pg_advisory_unlock(:lock, :run)"), {"lock": RUN_LOCK, "run": busy}
            )
        await holder.rollback()
    assert (await status_of(db, busy))[0] == "running"
    assert await fail_stale_runs(db.sessionmaker) == [busy], "the holder is gone: now it is stale"


# -------------------------------------------------------------------------
# OneRoster bulk and delta enrollments
# -------------------------------------------------------------------------


async def enrolled(db: TestDatabase) -> set[tuple[str, str]]:
    async with db.sessionmaker() as session:
        return set(
            await session.execute(
                select(models.Section.local_id, models.Student.local_id)
                .join(models.Enrollment, models.Enrollment.section_id == models.Section.id)
                .join(models.Student, models.Student.id == models.Enrollment.student_id)
            )
        )


def without_enrollments(folder: Path, *sourced_ids: str, mode: str = "bulk") -> None:
    path = folder / "enrollments.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(
        "".join(line for line in lines if line.split(",", 1)[0] not in sourced_ids), "utf-8"
    )
    manifest = folder / "manifest.csv"
    modes = manifest.read_text(encoding="utf-8")
    manifest.write_text(modes.replace("file.enrollments,bulk", f"file.enrollments,{mode}"), "utf-8")


async def test_a_bulk_roster_unenrolls_students_its_classes_no_longer_list(
    db: TestDatabase, world: World, import_plugins: PluginSet, tmp_path: Path
) -> None:
    admin = await actor(db, world, ADMIN)
    first = await run_import(db.sessionmaker, admin, "oneroster", ROSTER, plugins=import_plugins)
    assert first.status == "completed", first.message
    assert {("N-READ-1", "s100"), ("N-READ-1", "s101"), ("B-MATH", "s4")} <= await enrolled(db)

    delta = tmp_path / "delta"
    shutil.copytree(ROSTER, delta)
    without_enrollments(delta, "e-8", mode="delta")
    run = await run_import(db.sessionmaker, admin, "oneroster", delta, plugins=import_plugins)
    assert counts(run) == (24, 0, 0, 24, 0), "a delta file only adds, updates and deletes"
    assert ("N-READ-1", "s100") in await enrolled(db)

    bulk = tmp_path / "bulk"
    shutil.copytree(ROSTER, bulk)
    without_enrollments(bulk, "e-9")  # s101 left Reading 4
    run = await run_import(db.sessionmaker, admin, "oneroster", bulk, plugins=import_plugins)
    # the 24 rows are unchanged; the one enrollment they no longer list is removed (updated)
    assert (run.status, counts(run)) == ("completed", (24, 0, 1, 24, 0)), run.message
    now = await enrolled(db)
    assert ("N-READ-1", "s101") not in now and ("N-READ-1", "s100") in now
    assert ("B-MATH", "s4") in now, "a class the file does not cover keeps its students"
    assert "1 enrollments removed" in run.message

    again = await run_import(db.sessionmaker, admin, "oneroster", bulk, plugins=import_plugins)
    assert counts(again) == (24, 0, 0, 24, 0)


async def test_a_run_whose_process_died_is_failed_when_the_service_starts(
    db: TestDatabase, world: World, plugins: Any
) -> None:
    dead = await left_running(db, world, minutes_ago=60)
    young = await left_running(db, world, minutes_ago=1)
    settings = Settings.from_env({"MYPD_DATABASE_URL": db.url})
    await prepare_database(db.engine, settings, plugins)
    assert await status_of(db, dead) == ("failed", MESSAGE)
    assert (await status_of(db, young))[0] == "running"
