"""Import a million-row NWEA MAP results file, against the database's own bulk path as the floor.

Generates an NWEA MAP Growth AssessmentResults-style file (the current combined layout: names,
subject and course, RIT, percentile, goal columns) streamed to disk, then measures, each phase
in its own child process so its peak memory (ru_maxrss) is its own:

- parse: the csv-scores importer alone, streaming the file into records (rows/s);
- floor: the same rows pre-parsed into tuples (untimed), then inserted the database's fastest
  plain way: one ``executemany`` in one transaction on SQLite, ``COPY`` (asyncpg
  ``copy_records_to_table``) on PostgreSQL;
- import: the core pipeline (``run_import``): file to committed rows and an Import record, as a
  district admin, with the district's roster loaded beforehand (the students, and teachers with
  Math and ELA sections in both school years of the file, every student enrolled: the teachers'
  summary has real work); its peak memory is its own plus that of the process the pipeline
  parses a large file in; the pipeline's log splits its time into rows written and summaries
  refreshed (the last column);
- core alone: the same import fed records parsed beforehand (held in memory, so its peak is not
  shown): the core's own share of the import's time.

Every phase starts from a fresh database (a new SQLite file; on PostgreSQL a new database made
beside MYPD_BENCH_POSTGRES_URL's and dropped afterwards), as a district's first load meets it.
Targets: the import at least half the floor's rows/s, under 300 MB peak memory, and the refresh
under the load time. Usage:

    .venv/bin/python bench/import_scores.py [--rows 1000000]
    MYPD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/mypd_h2 \\
        .venv/bin/python bench/import_scores.py --rows 100000

Machines are noisy: only the ratio measured in one run means anything.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Beside this file: the generated file and the database it goes into.
from import_data import (  # noqa: E402
    ADMIN_EMAIL,
    assessment_ids,
    generate,
    parsed_records,
    prepare,
)
from sqlalchemy import select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from mypd_graph import models  # noqa: E402
from mypd_graph.db import audit_file, create_engine  # noqa: E402

# The floor inserts what the import writes per result, bar the run that wrote it.
# What the floor writes of each result: the columns a MAP file's rows fill (preparsed's order).
INSERT_COLUMNS = (
    "assessment_id",
    "student_id",
    "school_year",
    "term",
    "administered_on",
    "scale_score",
    "achievement_level",
    "percentile",
)


# -------------------------------------------------------------------------
# Phases (each runs in a child process)
# -------------------------------------------------------------------------


def phase_parse(path: Path, url: str) -> int:
    count = 0
    for item in parsed_records(path):
        if type(item).__name__ == "AssessmentResultRecord":
            count += 1
    return count


def preparsed(path: Path, url: str) -> list[tuple[Any, ...]]:
    _, keys, students = asyncio.run(assessment_ids(url))
    rows = []
    for item in parsed_records(path):
        if type(item).__name__ != "AssessmentResultRecord":
            continue
        rows.append(
            (
                keys[item.assessment_key],
                students[item.student_local_id],
                item.school_year,
                item.term,
                item.administered_on,
                item.scale_score,
                item.achievement_level,
                item.percentile,
            )
        )
    return rows


def floor_sqlite(rows: list[tuple[Any, ...]], url: str) -> None:
    database = make_url(url).database
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("BEGIN")
    connection.executemany(
        f"INSERT INTO assessment_result ({', '.join(INSERT_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in INSERT_COLUMNS)})",
        ((*row[:4], row[4].isoformat() if row[4] else None, *row[5:]) for row in rows),
    )
    connection.execute("COMMIT")
    connection.close()


async def floor_postgres(rows: list[tuple[Any, ...]], url: str) -> None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table(
                "assessment_result", records=rows, columns=INSERT_COLUMNS
            )
    finally:
        await connection.close()


def find_pipeline() -> Callable[..., Any] | None:
    """The core's import entry point (``mypd_graph.importers.pipeline.run_import``)."""
    try:
        module = importlib.import_module("mypd_graph.importers.pipeline")
    except ImportError:
        return None
    return getattr(module, "run_import", None)


async def pipeline_import(path: Path, url: str, preparsed: bool = False) -> int:
    """Import the file through the core as the district admin, the roster already loaded.

    With ``preparsed`` the importer hands the core records parsed beforehand (untimed, held in
    memory): what is left is the core's own cost (staging, checks, upserts, the Import record).
    """
    run_import = find_pipeline()
    assert run_import is not None
    from mypd_graph.db import create_sessionmaker
    from mypd_graph.plugins.manager import load_plugins
    from mypd_graph.services.access import Actor

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            admin_id, district_id = (
                await connection.execute(
                    select(models.User.id, models.User.district_id).where(
                        models.User.email == ADMIN_EMAIL
                    )
                )
            ).one()
        actor = Actor(admin_id, district_id, None, models.Role.DISTRICT_ADMIN, ADMIN_EMAIL)
        plugins = load_plugins(allow=("csv_scores",))
        importer: Any = "csv-scores"
        if preparsed:
            from mypd_graph.plugins.types import ImporterDefinition

            records = list(parsed_records(path))
            importer = ImporterDefinition(
                name="preparsed",
                title="records parsed beforehand",
                layouts=("nwea-map",),
                record_kinds=("assessment_results",),
                parse=lambda source, options: iter(records),
            )
        started = time.perf_counter()
        run = await run_import(
            create_sessionmaker(engine),
            actor,
            importer,
            path,
            {"format": "nwea-map"},
            plugins=plugins,
        )
        TIMINGS["seconds"] = time.perf_counter() - started
        if run.status != "completed":
            raise SystemExit(f"import {run.status}: {run.message}")
        return int(run.rows_read)
    finally:
        await engine.dispose()


TIMINGS: dict[str, float] = {}


class RefreshTimes(logging.Handler):
    """The pipeline's own account of an import: rows written, then the summaries refreshed."""

    def __init__(self) -> None:
        super().__init__()
        self.times: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        for key in ("load_seconds", "refresh_seconds"):
            if hasattr(record, key):
                self.times[key] = getattr(record, key)


def child(phase: str, path: Path, url: str) -> dict[str, Any]:
    """Run one phase; the time counts only the work the phase measures."""
    if phase == "parse":
        started = time.perf_counter()
        rows = phase_parse(path, url)
        seconds = time.perf_counter() - started
    elif phase == "floor":
        records = preparsed(path, url)
        rows = len(records)
        started = time.perf_counter()
        if url.startswith("sqlite"):
            floor_sqlite(records, url)
        else:
            asyncio.run(floor_postgres(records, url))
        seconds = time.perf_counter() - started
    elif phase in ("import", "core"):
        refresh = RefreshTimes()
        logging.getLogger("mypd_graph.importers.loading").addHandler(refresh)
        logging.getLogger("mypd_graph.importers.loading").setLevel(logging.INFO)
        rows = asyncio.run(pipeline_import(path, url, preparsed=phase == "core"))
        seconds = TIMINGS["seconds"]  # run_import alone
        peak = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ) / 1024
        return {"rows": rows, "seconds": seconds, "peak_mb": peak, **refresh.times}
    else:
        raise SystemExit(f"unknown phase {phase}")
    # The pipeline parses a large file in a process of its own: its peak counts too (added, as if
    # both peaked at the same moment, which overstates rather than hides).
    peak_mb = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ) / 1024
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_mb}


def run_child(phase: str, path: Path, url: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--file", str(path), "--db", url],
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1] if completed.stderr else "?"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def report(label: str, database: str, outcome: dict[str, Any], floor: dict[str, Any] | None) -> str:
    if "error" in outcome:
        return f"| {database} | {label} | failed: {outcome['error'][:80]} | | | | | |"
    rate = outcome["rows"] / outcome["seconds"] if outcome["seconds"] else 0.0
    peak = "-" if outcome["peak_mb"] != outcome["peak_mb"] else f"{outcome['peak_mb']:.0f}"
    ratio = ""
    if floor and "error" not in floor and floor["seconds"]:
        ratio = f"{rate / (floor['rows'] / floor['seconds']):.2f}x"
    split = ""
    if "refresh_seconds" in outcome:
        split = f"{outcome['load_seconds']:.1f} / {outcome['refresh_seconds']:.1f}"
    return (
        f"| {database} | {label} | {outcome['rows']:,} | {outcome['seconds']:.1f} | "
        f"{rate:,.0f} | {ratio} | {peak} | {split} |"
    )


def _admin(url: str, statement: str) -> None:
    """Run CREATE or DROP DATABASE on the server of ``url``, outside a transaction."""
    import psycopg

    target = make_url(url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(target.render_as_string(hide_password=False), autocommit=True) as db:
        db.execute(statement)


def phase_database(url: str, phase: str) -> str:
    return f"{make_url(url).database}_import_{phase}_{os.getpid()}"


def fresh_database(url: str, phase: str) -> str:
    name = phase_database(url, phase)
    _admin(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(url, f"CREATE DATABASE {name}")
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, phase: str) -> None:
    _admin(url, f"DROP DATABASE IF EXISTS {phase_database(url, phase)} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(child(args.phase, args.file, args.db)))
        return

    work = Path(tempfile.mkdtemp(prefix="mypd-bench-import-"))
    try:
        path = work / "AssessmentResults.csv"
        started = time.perf_counter()
        students = generate(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        print(
            f"generated {args.rows:,} rows for {students:,} students "
            f"({size_mb:.0f} MB) in {time.perf_counter() - started:.1f}s"
        )
        databases = [("SQLite", f"sqlite+aiosqlite:///{work / 'template.db'}")]
        postgres = os.environ.get("MYPD_BENCH_POSTGRES_URL")
        if postgres:
            databases.append(("PostgreSQL", postgres))
        pipeline = find_pipeline() is not None
        lines = [
            "| database | phase | rows | seconds | rows/s | vs floor | peak MB "
            "| load s / refresh s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        parse_outcome = run_child("parse", path, databases[0][1])
        lines.append(report("parse only (csv-scores)", "-", parse_outcome, None))
        for label, url in databases:
            if label == "SQLite":
                asyncio.run(prepare(url, students))
                template = work / "template.db"
                for phase in ("floor", "import", "core"):
                    shutil.copy(template, work / f"{phase}.db")
                    # and the audit log's file beside it (mypd_graph.db)
                    shutil.copy(audit_file(str(template)), audit_file(str(work / f"{phase}.db")))
                urls = {
                    phase: f"sqlite+aiosqlite:///{work / phase}.db"
                    for phase in ("floor", "import", "core")
                }
            else:
                # A fresh database for each phase, as a district's first load meets it: the
                # import then plans its refresh on tables the planner has never analyzed.
                urls = {phase: fresh_database(url, phase) for phase in ("floor", "import", "core")}
                for phase_url in urls.values():
                    asyncio.run(prepare(phase_url, students))
            floor = run_child("floor", path, urls["floor"])
            floor_name = "floor: executemany" if label == "SQLite" else "floor: COPY"
            lines.append(report(floor_name, label, floor, None))
            lines.append(report("parse vs floor", label, parse_outcome, floor))
            if pipeline:
                lines.append(
                    report(
                        "import (core pipeline)",
                        label,
                        run_child("import", path, urls["import"]),
                        floor,
                    )
                )
                core = run_child("core", path, urls["core"])
                core["peak_mb"] = float("nan")  # the pre-parsed records are held in memory
                lines.append(report("core alone (records pre-parsed)", label, core, floor))
            else:
                lines.append(
                    f"| {label} | import (core pipeline) | not available: no mypd_graph.importers.pipeline.run_import | | | | |"
                )
            if label != "SQLite":
                for phase in urls:
                    drop_database(url, phase)
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
