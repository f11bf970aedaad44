"""Planner statistics for the tables a load just filled, before the queries that read them.

The summaries' refresh (:mod:`~mypd_graph.importers.result_summary`, ``Writers.refresh_rosters``)
runs in the import's transaction, right after the rows went in. On PostgreSQL the planner knows
only what the last ``ANALYZE`` saw: on a fresh database (a district's first import), nothing,
and autovacuum cannot help (it analyzes committed rows, a minute later at best). It then took the
tables for small and planned nested loops: 180 s for 700,000 results where SQLite took 1.3 s
(issue 15; ``bench/import_first_load.py`` measures it).

:func:`analyze_stale` runs ``ANALYZE`` on those of the given tables whose statistics the writes
since their last analysis (this transaction's included) made stale, by autovacuum's own rule. It
runs inside the import's transaction, which PostgreSQL allows, and the sample counts the
transaction's own rows. ANALYZE samples a fixed number of rows (30,000 by default), so it costs
about the same for a large table as for a small one; a table that needs none is left alone. The
lock it takes (SHARE UPDATE EXCLUSIVE, held to the end of the transaction) blocks no reader or
writer, only another ANALYZE or VACUUM of the table: when another district's import holds it,
this one waits :data:`LOCK_WAIT` at most, then goes on without (that import's statistics are
coming). SQLite plans these statements well without statistics: nothing is done there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from mypd_graph.importers.bulk import Db

log = logging.getLogger(__name__)

# autovacuum's defaults: analyze once 50 rows + 10% of the table changed since the last analysis
MIN_CHANGED = 50
STALE_SHARE = 0.1
LOCK_WAIT = "2s"
# lock_timeout ran out; a deadlock (none expected: tables are analyzed in name order) is no worse
WAITED_IN_VAIN = frozenset({"55P03", "40P01"})

STALENESS = """
SELECT c.relname,
       c.reltuples,
       coalesce(s.n_mod_since_analyze, 0)
         + coalesce(x.n_tup_ins + x.n_tup_upd + x.n_tup_del, 0) AS changed,
       pg_relation_size(c.oid) > 0 AS filled
FROM pg_class c
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
LEFT JOIN pg_stat_xact_user_tables x ON x.relid = c.oid
WHERE c.oid IN (SELECT to_regclass(name) FROM unnest(CAST(:tables AS text[])) AS name)
"""


def is_stale(tuples: float, changed: int, filled: bool) -> bool:
    """Autovacuum's rule (``autovacuum_analyze_threshold`` and ``_scale_factor``), applied to the
    rows changed including this transaction's; a table never analyzed (nor vacuumed: ``tuples``
    is -1) is stale as soon as it holds a page, whatever the counters say (another connection's
    counts reach them a second or more after its commit)."""
    if tuples < 0:
        return filled
    return changed > MIN_CHANGED + STALE_SHARE * tuples


async def analyze_stale(db: Db, tables: Sequence[str]) -> list[str]:
    """ANALYZE those of ``tables`` whose statistics are stale (PostgreSQL); the tables analyzed."""
    if not db.postgres or not tables:
        return []
    rows = await db.all(STALENESS, {"tables": list(tables)})
    stale = sorted(
        name for name, tuples, changed, filled in rows if is_stale(tuples, changed, filled)
    )
    done: list[str] = []
    previous = await db.scalar("SELECT current_setting('lock_timeout')") if stale else None
    for table in stale:
        savepoint = await db.connection.begin_nested()
        try:
            await db.execute("SELECT set_config('lock_timeout', :wait, true)", {"wait": LOCK_WAIT})
            await db.execute(f'ANALYZE "{table}"')
        except DBAPIError as error:
            await savepoint.rollback()
            if getattr(error.orig, "sqlstate", None) not in WAITED_IN_VAIN:
                raise
            log.warning("ANALYZE %s skipped: %s", table, error)
            continue
        await savepoint.commit()
        await db.execute("SELECT set_config('lock_timeout', :wait, true)", {"wait": previous})
        done.append(table)
    if done:
        log.info("analyzed %s before the refresh", ", ".join(done))
    return done
