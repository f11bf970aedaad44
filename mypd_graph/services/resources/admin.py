"""Refreshing the catalogs without a restart: ``mypd-graph resources sync`` and the
``syncResourceCatalogs`` mutation both end here.

Only a district admin (or the operator, from the command line) may refresh: the catalog is shared
by every district of the deployment, and a refresh retires items. The refresh is audited like any
admin change (:func:`~mypd_graph.services.people.admin.record_change`), in the same transaction.
Providers are asked before the transaction (:func:`~.catalogs.list_catalogs`): a slow vendor
never holds the write lock. Two refreshes at once are serialised (an advisory lock on
PostgreSQL; SQLite's write transaction already is).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Role
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import Actor, may_administer
from mypd_graph.services.errors import invalid
from mypd_graph.services.people.admin import OPERATOR_ID, record_change
from mypd_graph.services.resources.catalogs import SyncReport, store_catalogs
from mypd_graph.services.resources.providers import Answer, Outcome

SYNC_LOCK = 13_0005  # pg_advisory_xact_lock key of the catalog refresh


def may_refresh(actor: Actor) -> None:
    """Checked before any provider is asked, so a refused caller costs the vendors nothing."""
    may_administer(actor)


def check_providers(plugins: PluginSet, names: Sequence[str]) -> tuple[str, ...]:
    """The providers a caller named, each installed; empty means every provider."""
    chosen = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    unknown = [name for name in chosen if name not in plugins.resource_providers]
    if unknown:
        installed = ", ".join(sorted(plugins.resource_providers)) or "none"
        raise invalid(
            ("input", "providers"),
            f"no resource provider named {', '.join(unknown)} (installed: {installed})",
            "UNKNOWN_PROVIDER",
        )
    return chosen


def _summary(report: SyncReport) -> str:
    parts = []
    for c in report.catalogs:
        if c.outcome is Outcome.ANSWERED:
            parts.append(
                f"{c.provider}: {c.added} added, {c.updated} updated, {c.retired} retired, "
                f"{c.revived} revived"
            )
        else:
            parts.append(f"{c.provider}: {c.outcome.value} ({c.message})")
    return "resource catalogs synced: " + ("; ".join(parts) or "no providers")


async def refresh_catalogs(
    session: AsyncSession,
    actor: Actor,
    plugins: PluginSet,
    answers: Sequence[Answer],
    *,
    every_provider: bool,
) -> SyncReport:
    """Store what the providers answered, retire what they dropped (and, when every provider
    was asked, the items of providers no longer installed), and audit it."""
    may_refresh(actor)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK)))
    report = await store_catalogs(session, plugins, answers, retire_absent=every_provider)
    record_change(session, actor, "sync", "resource_catalogs", 0, _summary(report)[:2000])
    return report


def operator() -> Actor:
    """The operator refreshing from the command line. The catalog is the deployment's, not one
    district's, so the audit event names no district (and no user: the operator has none)."""
    return Actor(OPERATOR_ID, None, None, Role.DISTRICT_ADMIN, "operator")  # type: ignore[arg-type]
