"""An admin's CASE import over the API: who may, and the upload read within bounds."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import IO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.case import fetch, store
from mypd_graph.case.parse import CaseError, parse_package
from mypd_graph.models import District, Framework
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import PermissionDenied, invalid


async def read_upload(stream: IO[bytes]) -> bytes:
    """The upload's bytes, at most fetch.MAX_BYTES (read in a thread: the file may be spooled)."""
    try:
        return await asyncio.to_thread(fetch.read_limited, stream, fetch.MAX_BYTES, "the file")
    except CaseError as error:
        raise invalid(("input", "file"), str(error), "CASE_REJECTED") from error


async def import_upload(
    session: AsyncSession,
    actor: Actor,
    data: bytes,
    *,
    key: str | None,
    rated_level: str | None,
    levels: Sequence[str] | None,
) -> store.ImportResult:
    """Import a CASE package as a framework (district admins): one userError when refused.

    Frameworks are shared by the deployment's districts; a district admin may add one, or update
    one imported from CASE that no other district has active (never a plugin's): one district's
    admin never rewrites the standards another district rates its teachers on.
    """
    if not actor.is_district_admin:
        raise PermissionDenied("only a district admin may import a framework")

    async def before_change(framework: Framework) -> None:
        elsewhere = await session.scalar(
            select(District.id)
            .where(District.active_framework_id == framework.id, District.id != actor.district_id)
            .limit(1)
        )
        if elsewhere is not None:
            raise CaseError(
                f"framework {framework.key} is another district's active framework: import the "
                "package under another key (or ask the operator: mypd-graph frameworks import-case)"
            )

    try:
        package = await asyncio.to_thread(parse_package, data)
        return await store.import_package(
            session,
            package,
            key=key,
            rated_level=rated_level,
            levels=store.levels_from_labels(levels) if levels else None,
            source_url="",  # an upload's file name says nothing of where the standards live
            before_change=before_change,
        )
    except CaseError as error:
        raise invalid(("input", "file"), str(error), "CASE_REJECTED") from error
