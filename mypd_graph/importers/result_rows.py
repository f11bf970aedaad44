"""Writing result rows into ``assessment_result`` by each database's fastest path, with counts.

:class:`~mypd_graph.importers.results.ResultsWriter` resolves and checks a batch; this module only
writes it. A fresh administration's rows are plain inserts (``COPY`` on PostgreSQL, one
``executemany`` on SQLite); the others are upserts by natural key that write a row only when
something differs (PostgreSQL: ``COPY`` into a staging table, then ``INSERT ... SELECT ... ON
CONFLICT``; SQLite: one ``executemany`` of the upsert), counted as inserted, updated or unchanged.
A value the file leaves empty keeps the stored one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mypd_graph.importers.bulk import Counts, Db

COLUMNS = (
    "assessment_id",
    "student_id",
    "school_year",
    "term",
    "administered_on",
    "scale_score",
    "achievement_level",
    "percentile",
    "growth_percentile",
    "met_projected_growth",
    "import_id",
)
COMPARED = (
    "administered_on",
    "scale_score",
    "achievement_level",
    "percentile",
    "growth_percentile",
    "met_projected_growth",
)
STAGE = "import_stage_results"


def _kept(column: str) -> str:
    """The file's value, or the stored one when the file has none: an import never replaces a
    known value with an empty one (TOMS extracts carry no test date; CERS exports do)."""
    return f"COALESCE(excluded.{column}, assessment_result.{column})"


def upsert_sql(postgres: bool, source: str) -> str:
    """``INSERT ... ON CONFLICT (natural key) DO UPDATE ... WHERE something differs``."""
    distinct = "IS DISTINCT FROM" if postgres else "IS NOT"
    assignments = ", ".join(
        [*(f"{c} = {_kept(c)}" for c in COMPARED), "import_id = excluded.import_id"]
    )
    differs = " OR ".join(f"assessment_result.{c} {distinct} {_kept(c)}" for c in COMPARED)
    return (
        f"INSERT INTO assessment_result ({', '.join(COLUMNS)}) {source} "
        "ON CONFLICT (student_id, assessment_id, school_year, term) "
        f"DO UPDATE SET {assignments} WHERE {differs}"
    )


class ResultRows:
    """Rows of :data:`COLUMNS` into ``assessment_result``, for the length of one import."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.dates: dict[str, date] = {}
        self.staged = False

    def _typed(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """PostgreSQL's binary COPY wants dates, not the ISO text rows are staged with."""
        dates = self.dates
        typed = []
        for row in rows:
            on = row[4]
            if on is not None:
                day = dates.get(on)
                if day is None:
                    day = dates[on] = date.fromisoformat(on)
                row = (*row[:4], day, *row[5:])
            typed.append(row)
        return typed

    async def _driver(self) -> Any:
        """The driver's own connection (same transaction): asyncpg for ``COPY``; aiosqlite for an
        ``executemany`` without SQLAlchemy's per-statement work."""
        raw = await self.db.connection.get_raw_connection()
        assert raw.driver_connection is not None
        return raw.driver_connection

    async def _copy(self, table: str, rows: list[tuple[Any, ...]], columns: Any) -> None:
        driver = await self._driver()
        await driver.copy_records_to_table(table, records=rows, columns=list(columns))

    async def _executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        cursor = await (await self._driver()).executemany(sql, rows)
        await cursor.close()

    async def insert(self, rows: list[tuple[Any, ...]]) -> None:
        """Plain inserts: rows of administrations with no stored results (nothing to compare)."""
        if self.db.postgres:
            await self._copy("assessment_result", self._typed(rows), COLUMNS)
        else:
            marks = ", ".join("?" for _ in COLUMNS)
            await self._executemany(
                f"INSERT INTO assessment_result ({', '.join(COLUMNS)}) VALUES ({marks})", rows
            )

    async def upsert(self, rows: list[tuple[Any, ...]]) -> Counts:
        """Upserts by natural key, written only where something differs; what each row became."""
        db = self.db
        if db.postgres:
            if not self.staged:
                await db.execute(
                    f"CREATE TEMPORARY TABLE {STAGE} (assessment_id BIGINT, student_id BIGINT, "
                    "school_year TEXT, term TEXT, administered_on DATE, "
                    "scale_score DOUBLE PRECISION, achievement_level INTEGER, percentile INTEGER, "
                    "growth_percentile INTEGER, met_projected_growth BOOLEAN, import_id BIGINT)"
                )
                self.staged = True
            else:
                await db.execute(f"TRUNCATE {STAGE}")
            await self._copy(STAGE, self._typed(rows), COLUMNS)
            written_sql = upsert_sql(True, f"SELECT {', '.join(COLUMNS)} FROM {STAGE}")
            inserted, written = (
                await db.execute(
                    f"WITH written AS ({written_sql} RETURNING (xmax = 0) AS inserted) "
                    "SELECT count(*) FILTER (WHERE inserted), count(*) FROM written"
                )
            ).one()
            return Counts(inserted, written - inserted, len(rows) - written)
        # One writer at a time on SQLite, and a new row's id is always the largest id plus one: the
        # growth of max(id) counts the inserted rows, total_changes() the inserted and updated.
        before_id = await db.scalar("SELECT max(id) FROM assessment_result") or 0
        before_changes = await db.scalar("SELECT total_changes()")
        marks = ", ".join("?" for _ in COLUMNS)
        await self._executemany(upsert_sql(False, f"VALUES ({marks})"), rows)
        written = await db.scalar("SELECT total_changes()") - before_changes
        inserted = (await db.scalar("SELECT max(id) FROM assessment_result") or 0) - before_id
        return Counts(inserted, written - inserted, len(rows) - written)

    async def close(self) -> None:
        if self.staged:
            await self.db.execute(f"DROP TABLE IF EXISTS {STAGE}")
