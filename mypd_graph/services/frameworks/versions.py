"""Versions of a framework: one framework row and one identity per element across versions.

A new version (the same CFDocument with new content) updates the framework's elements in place by
CASE identifier: new items are added, items it no longer has are retired (kept, so every rating,
goal and piece of evidence made against them stays as it was), and changed statements are updated.
Each write records a ``framework_version`` row saying what it added, retired and changed (with
the statement before and after), so the history of the framework itself can be read.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Framework, FrameworkVersion, Standard
from mypd_graph.services.common import group_by_key

Snapshot = dict[int, tuple[str, str, bool]]  # element row id: (code, text, live)


async def snapshot(session: AsyncSession, framework_id: int | None) -> Snapshot:
    """The framework's elements as they are, before a write."""
    if framework_id is None:
        return {}
    rows = await session.execute(
        select(Standard.id, Standard.code, Standard.text, Standard.retired).where(
            Standard.framework_id == framework_id, Standard.is_element.is_(True)
        )
    )
    return {id_: (code, text, not retired) for id_, code, text, retired in rows}


async def record(
    session: AsyncSession, framework: Framework, checksum: str, before: Snapshot
) -> FrameworkVersion:
    """Record the version just written, compared with ``before``."""
    after = await snapshot(session, framework.id)
    live_before = {id_ for id_, (_, _, live) in before.items() if live}
    live_after = {id_ for id_, (_, _, live) in after.items() if live}
    added = [after[id_][0] for id_ in sorted(live_after - live_before)]
    retired = [before[id_][0] for id_ in sorted(live_before - live_after)]
    changed = [
        {"code": after[id_][0], "before": before[id_][1], "after": after[id_][1]}
        for id_ in sorted(live_before & live_after)
        if before[id_][1] != after[id_][1]
    ]
    version = FrameworkVersion(
        framework_id=framework.id,
        version=framework.version[:32],
        checksum=checksum,
        added=added,
        retired=retired,
        changed=changed,
    )
    session.add(version)
    await session.flush()
    return version


def retired_code(code: str, row_id: int, taken: set[str]) -> str:
    """A code for a retired element whose code a new item of the next version takes."""
    suffix = f"~{row_id}"
    new = f"{code[: 32 - len(suffix)]}{suffix}"
    taken.add(new)
    return new


async def versions_by_framework(
    session: AsyncSession, framework_ids: Sequence[int]
) -> list[list[FrameworkVersion]]:
    """DataLoader batch: each framework's versions, oldest first."""
    rows = await session.scalars(
        select(FrameworkVersion)
        .where(FrameworkVersion.framework_id.in_(framework_ids))
        .order_by(FrameworkVersion.id)
    )
    return group_by_key(rows, framework_ids, lambda row: row.framework_id)
