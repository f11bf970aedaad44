"""Set-based upserts by natural key: stage a batch, resolve references in SQL, insert or update.

Each batch of one record kind goes through the same few statements, whatever its size:

1. load the rows into a temporary staging table (PostgreSQL: ``COPY`` through asyncpg; SQLite: one
   ``executemany``, which runs in C);
2. drop rows whose natural key an earlier batch of the same file already had (a per-import table of
   seen keys keeps memory flat however long the file is) and report them as duplicates;
3. report rows whose references do not resolve (an unknown student, school, section or teacher);
4. ``INSERT ... SELECT ... ON CONFLICT (natural key) DO UPDATE ... WHERE <something differs>``:
   unchanged rows are not written at all, which is what makes a re-import change nothing.

Counting inserted, updated and unchanged rows is exact on both databases and safe under concurrent
imports on PostgreSQL: it reads ``xmax = 0`` (a freshly inserted row) from ``RETURNING``, so an
import that waited for another one to commit the same rows counts them as unchanged. SQLite has one
writer at a time; there the growth of ``max(id)`` counts inserts and ``changes()`` all writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Executable, Insert, bindparam, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from mypd_graph.models import School
from mypd_graph.models.base import UTCDateTime
from mypd_graph.plugins.types import RowError

SQL_TYPES = {
    "postgresql": {"text": "TEXT", "int": "BIGINT", "float": "DOUBLE PRECISION", "date": "TEXT"},
    "sqlite": {"text": "TEXT", "int": "INTEGER", "float": "REAL", "date": "TEXT"},
}


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


class Db:
    """The import's one connection, with the few operations that differ between the databases."""

    def __init__(self, connection: AsyncConnection, params: dict[str, Any]) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.postgres = self.dialect == "postgresql"
        self.params = params  # district_id, run_id, now: bound into every statement that names them

    def _statement(self, sql: str) -> Any:
        statement = text(sql)
        if ":now" in sql:
            statement = statement.bindparams(bindparam("now", type_=UTCDateTime()))
        return statement

    async def execute(self, statement: str | Executable, params: Any = None) -> Any:
        """Run SQL text (binding the import's own parameters it names) or a Core statement."""
        if isinstance(statement, str):
            merged = {k: v for k, v in self.params.items() if f":{k}" in statement}
            return await self.connection.execute(
                self._statement(statement), {**merged, **(params or {})}
            )
        return await self.connection.execute(statement, params)

    async def all(self, statement: str | Executable, params: Any = None) -> list[Any]:
        return list(await self.execute(statement, params))

    async def scalar(self, statement: str | Executable, params: Any = None) -> Any:
        return (await self.execute(statement, params)).scalar()

    def date(self, expression: str) -> str:
        """Dates are staged as ISO text; PostgreSQL casts them back, SQLite stores them as text."""
        return f"CAST({expression} AS DATE)" if self.postgres else expression

    async def create_temp(
        self, name: str, columns: Sequence[tuple[str, str]], primary_key: Sequence[str] = ()
    ) -> None:
        types = SQL_TYPES[self.dialect]
        definitions = [f"{column} {types[kind]}" for column, kind in columns]
        if primary_key:
            definitions.append(f"PRIMARY KEY ({', '.join(primary_key)})")
        await self.execute(f"DROP TABLE IF EXISTS {name}")
        await self.execute(f"CREATE TEMPORARY TABLE {name} ({', '.join(definitions)})")

    async def drop_temp(self, name: str) -> None:
        await self.execute(f"DROP TABLE IF EXISTS {name}")

    async def load(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Bulk-load rows into a staging table with the database's own fast path: ``COPY`` on
        PostgreSQL, one ``executemany`` (a loop in C) on SQLite."""
        if not rows:
            return
        if self.postgres:
            raw = await self.connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.copy_records_to_table(table, records=rows, columns=list(columns))
        else:
            marks = ", ".join("?" for _ in columns)
            await self.connection.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )


@dataclass(frozen=True)
class Lookup:
    """A join resolving a reference of the file to a row; ``missing`` is true when it fails."""

    join: str
    missing: str | None = None
    column: str = ""
    reason: str = ""


@dataclass(frozen=True)
class StagedKind:
    """How one record kind is upserted. ``columns`` follow ``src_row`` in the staged row, natural
    key first (``key_size`` of them); ``values`` maps target columns to SQL over the stage ``s`` and
    the lookups' aliases; ``updates`` are compared and written on conflict, ``touch`` only written
    alongside them. An import never replaces a known value with an empty one: ``keep_stored``
    columns keep the stored value when the file has none (NULL), ``keep_stored_text`` ones when
    the file's text is empty."""

    kind: str
    table: str
    columns: tuple[tuple[str, str], ...]
    key_size: int
    key_label: str
    values: tuple[tuple[str, str], ...]
    conflict: tuple[str, ...]
    lookups: tuple[Lookup, ...] = ()
    updates: tuple[str, ...] = ()
    touch: tuple[str, ...] = ()
    keep_stored: tuple[str, ...] = ()
    keep_stored_text: tuple[str, ...] = ()
    delete_flag: str | None = None


@dataclass
class BatchResult:
    counts: Counts = field(default_factory=Counts)
    errors: list[RowError] = field(default_factory=list)
    unresolved: set[int] = field(default_factory=set)  # rows a reference of failed (src_row)


class StagedWriter:
    """Upserts the batches of one record kind for the length of one import (see the module doc)."""

    def __init__(self, db: Db, spec: StagedKind) -> None:
        self.db = db
        self.spec = spec
        self.stage = f"import_stage_{spec.kind}"
        self.seen = f"import_seen_{spec.kind}"
        self.column_names = ["src_row", *(name for name, _ in spec.columns)]
        self.key = [name for name, _ in spec.columns[: spec.key_size]]
        self.batches = 0
        self._build_sql()

    def _build_sql(self) -> None:
        spec, db = self.spec, self.db
        joins = " ".join(lookup.join for lookup in spec.lookups)
        checks = [lookup for lookup in spec.lookups if lookup.missing]
        active = f"s.{spec.delete_flag} = 0" if spec.delete_flag else "1 = 1"
        resolved = " AND ".join([active, *(f"NOT ({lookup.missing})" for lookup in checks)])
        self.error_sql = ""
        if checks:
            cases = " ".join(f"WHEN {lookup.missing} THEN {i}" for i, lookup in enumerate(checks))
            reported = ", ".join(f"s.{lookup.column}" for lookup in checks)
            failing = " OR ".join(f"({lookup.missing})" for lookup in checks)
            self.error_sql = (
                f"SELECT s.src_row, CASE {cases} END, {reported} FROM {self.stage} s {joins} "
                f"WHERE {active} AND ({failing})"
            )
        self.checks = checks
        expressions = dict(spec.values)
        targets = ", ".join(expressions)
        selected = ", ".join(expressions.values())
        upsert = (
            f"INSERT INTO {spec.table} ({targets}) SELECT {selected} "
            f"FROM {self.stage} s {joins} WHERE {resolved} "
            f"ON CONFLICT ({', '.join(spec.conflict)}) "
        )
        if spec.updates:

            def new(column: str) -> str:
                if column in spec.keep_stored:
                    return f"COALESCE(excluded.{column}, {spec.table}.{column})"
                if column in spec.keep_stored_text:
                    return f"COALESCE(NULLIF(excluded.{column}, ''), {spec.table}.{column})"
                return f"excluded.{column}"

            assignments = ", ".join(f"{c} = {new(c)}" for c in (*spec.updates, *spec.touch))
            differs = " OR ".join(
                f"{spec.table}.{c} IS DISTINCT FROM {new(c)}" for c in spec.updates
            )
            upsert += f"DO UPDATE SET {assignments} WHERE {differs}"
        else:
            upsert += "DO NOTHING"
        if db.postgres:
            self.upsert_sql = (
                f"WITH written AS ({upsert} RETURNING (xmax = 0) AS inserted) "
                "SELECT count(*) FILTER (WHERE inserted), count(*) FROM written"
            )
        else:
            self.upsert_sql = upsert
        match = " AND ".join(f"t.{column} = {expressions[column]}" for column in spec.conflict)
        self.max_id_sql = f"SELECT max(id) FROM {spec.table}"
        self.delete_sql = ""
        if spec.delete_flag:
            known = " AND ".join(f"NOT ({lookup.missing})" for lookup in checks) or "1 = 1"
            self.delete_sql = (
                f"DELETE FROM {spec.table} WHERE id IN (SELECT t.id FROM {self.stage} s {joins} "
                f"JOIN {spec.table} t ON {match} WHERE s.{spec.delete_flag} = 1 AND {known})"
            )
        same_key = " AND ".join(f"seen.{column} = s.{column}" for column in self.key)
        self.duplicates_sql = (
            f"SELECT s.src_row, seen.src_row, {', '.join('s.' + c for c in self.key)} "
            f"FROM {self.stage} s JOIN {self.seen} seen ON {same_key} "
            "WHERE seen.src_row <> s.src_row"
        )
        same_key_stage = " AND ".join(f"seen.{c} = {self.stage}.{c}" for c in self.key)
        self.drop_duplicates_sql = (
            f"DELETE FROM {self.stage} WHERE EXISTS (SELECT 1 FROM {self.seen} seen "
            f"WHERE {same_key_stage} AND seen.src_row <> {self.stage}.src_row)"
        )
        keys = ", ".join(self.key)
        self.remember_sql = (
            f"INSERT INTO {self.seen} ({keys}, src_row) SELECT {keys}, src_row "
            f"FROM {self.stage} WHERE true ON CONFLICT ({keys}) DO NOTHING"
        )

    async def _prepare_tables(self) -> None:
        await self.db.create_temp(self.stage, [("src_row", "int"), *self.spec.columns])
        key_columns = [(name, kind) for name, kind in self.spec.columns[: self.spec.key_size]]
        await self.db.create_temp(self.seen, [*key_columns, ("src_row", "int")], self.key)

    async def write(self, rows: list[tuple[Any, ...]], file: str = "") -> BatchResult:
        """Upsert one batch of staged rows (``src_row``, natural key, values)."""
        db, result = self.db, BatchResult()
        if self.batches == 0:
            await self._prepare_tables()
        else:  # PostgreSQL: DELETE would leave dead rows that nothing vacuums in a temporary table
            await db.execute(f"{'TRUNCATE' if db.postgres else 'DELETE FROM'} {self.stage}")
        await db.load(self.stage, self.column_names, rows)
        if self.batches == 0 and db.postgres:
            await db.execute(f"ANALYZE {self.stage}")  # temporary tables have no statistics
        self.batches += 1
        count = len(rows)
        # The seen table refuses a key an earlier row had, in this batch or an earlier one (rows go
        # in file order, so the first one wins); look for duplicates only when there are some.
        remembered = (await db.execute(self.remember_sql)).rowcount
        if remembered < count:
            for row, first, *key in await db.all(self.duplicates_sql):
                result.errors.append(self._duplicate(row, first, key, file))
            await db.execute(self.drop_duplicates_sql)
            count -= len(result.errors)

        unresolved = 0
        if self.error_sql:
            for row, failed, *values in await db.all(self.error_sql):
                lookup = self.checks[failed]
                value = values[failed]
                result.errors.append(RowError(row, lookup.reason, lookup.column, value, file))
                result.unresolved.add(row)
                unresolved += 1
        removals = 0
        if self.spec.delete_flag:
            removals = await db.scalar(
                f"SELECT count(*) FROM {self.stage} WHERE {self.spec.delete_flag} = 1"
            )
            if removals:
                removed = (await db.execute(self.delete_sql)).rowcount or 0
                result.counts.updated += removed
                result.counts.unchanged += removals - removed
        eligible = count - unresolved - removals
        if eligible > 0:
            result.counts.add(await self._upsert(eligible))
        return result

    def _duplicate(self, row: int, first: int, key: list[Any], file: str) -> RowError:
        shown = " / ".join(str(part) for part in key)
        reason = f"duplicate of row {first}: the same {self.spec.key_label} appears twice"
        return RowError(row, reason, self.key[0] if len(self.key) == 1 else None, shown, file)

    async def _upsert(self, eligible: int) -> Counts:
        db = self.db
        if db.postgres:
            inserted, written = (await db.execute(self.upsert_sql)).one()
            return Counts(inserted, written - inserted, eligible - written)
        # One writer at a time on SQLite, and a new row's id is always the largest id plus one: the
        # growth of max(id) counts the inserted rows, changes() the inserted and updated ones.
        before = await db.scalar(self.max_id_sql) or 0
        await db.execute(self.upsert_sql)
        written = await db.scalar("SELECT changes()")
        inserted = (await db.scalar(self.max_id_sql) or 0) - before
        return Counts(inserted, written - inserted, eligible - written)

    async def close(self) -> None:
        if self.batches:
            await self.db.drop_temp(self.stage)
            await self.db.drop_temp(self.seen)


@dataclass
class InMemoryKeys:
    """Natural keys already written by this import, for the kinds written row by row from Python
    (teachers, training records: small files), whose duplicates are found in memory instead."""

    label: str
    seen: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def fresh(
        self, rows: list[tuple[Any, ...]], size: int, file: str, result: BatchResult
    ) -> list[tuple[Any, ...]]:
        kept = []
        for row in rows:
            key = row[1 : 1 + size]
            first = self.seen.setdefault(key, row[0])
            if first != row[0]:
                shown = " / ".join(str(part) for part in key)
                reason = f"duplicate of row {first}: the same {self.label} appears twice"
                result.errors.append(RowError(row[0], reason, None, shown, file))
            else:
                kept.append(row)
        return kept


def dialect_insert(db: Db, table: Any) -> Insert:
    """An INSERT that knows ON CONFLICT (both dialects spell it the same way in SQLAlchemy)."""
    module = postgresql if db.postgres else sqlite
    return module.insert(table)  # type: ignore[no-any-return]


def chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def school_ids(db: Db, codes: Iterable[str]) -> dict[str, int]:
    codes = sorted(set(codes))
    if not codes:
        return {}
    rows = await db.execute(
        select(School.code, School.id).where(
            School.district_id == db.params["district_id"], School.code.in_(codes)
        )
    )
    return {code: school_id for code, school_id in rows}
