"""A queued upload kept where any worker can read it: in the database, in pieces.

An app process accepts the upload; a worker process, maybe on another machine, imports it, maybe
after a restart. So the bytes go into ``import_upload_chunk`` (1 MiB ``bytea`` pieces) in the
transaction that queues the run, and a worker copies them back to a temporary file of its own
(:func:`restore_upload`) before it imports, so the import reads a local file as it always does
(large ones parsed in a process of their own). The pieces are deleted when the run ends
(:func:`drop_upload`); a deleted run takes them along (ON DELETE CASCADE).

Pieces rather than one value or a large object: each statement moves at most a piece, so memory
stays bounded on both sides; no orphaned large objects to clean up.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import IO

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import SessionMaker
from mypd_graph.importers.source import FileSource
from mypd_graph.models import ImportUploadChunk

CHUNK_BYTES = 1 << 20


async def store_upload(session: AsyncSession, run_id: int, source: FileSource) -> int:
    """Copy the spooled upload into the run's pieces (in the caller's transaction); the bytes."""
    stream = source.binary()
    try:
        seq = size = 0
        while True:
            data = await asyncio.to_thread(stream.read, CHUNK_BYTES)
            if not data:
                return size
            await session.execute(
                insert(ImportUploadChunk), [{"run_id": run_id, "seq": seq, "data": data}]
            )
            seq, size = seq + 1, size + len(data)
    finally:
        stream.close()
        source.counter.count = 0  # the copy is not the import's progress


async def restore_upload(sessionmaker: SessionMaker, run_id: int, name: str) -> FileSource | None:
    """The run's upload as a local temporary file (deleted when the source is closed); None when
    the pieces are gone (the run ended)."""
    spooled: IO[bytes] = tempfile.NamedTemporaryFile(prefix=f"mypd-run-{run_id}-")  # noqa: SIM115
    try:
        async with sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).where(ImportUploadChunk.run_id == run_id)
            )
            if not count:
                spooled.close()
                return None
            for seq in range(count):  # a piece per statement: memory stays at one piece
                data = await session.scalar(
                    select(ImportUploadChunk.data).where(
                        ImportUploadChunk.run_id == run_id, ImportUploadChunk.seq == seq
                    )
                )
                if data is None:
                    raise RuntimeError(f"piece {seq} of the upload of run {run_id} is missing")
                await asyncio.to_thread(spooled.write, data)
        await asyncio.to_thread(spooled.flush)
        source = await asyncio.to_thread(FileSource, name, Path(spooled.name))
    except BaseException:
        spooled.close()
        raise
    return _owning(source, spooled)


def _owning(source: FileSource, spooled: IO[bytes]) -> FileSource:
    """The source, which deletes its temporary file when closed."""
    close = source.close

    def close_and_delete() -> None:
        close()
        spooled.close()

    source.close = close_and_delete  # type: ignore[method-assign]
    return source


async def drop_upload(session: AsyncSession, run_id: int) -> None:
    await session.execute(delete(ImportUploadChunk).where(ImportUploadChunk.run_id == run_id))
