"""Files attached to evidence: checked, stored, read under the evidence's own sharing, deleted with it.

- **Checked.** A file is refused when it is larger than the district's service allows
  (``MYPD_EVIDENCE_MAX_FILE_BYTES``) or when its *content* is not one of the accepted types
  (``MYPD_EVIDENCE_FILE_TYPES``): the type is told from the bytes (the ``filetype`` library's
  signatures; text as UTF-8 without NUL bytes), and a name that claims another type
  (``photo.pdf`` holding a PNG) is refused too.
- **Stored** in the backend the settings name (``mypd_graph/storage``) under a random key; the
  row keeps the name the teacher gave, the type found and a SHA-256.
- **Read** only through :func:`readable_file`, with the condition every read of evidence uses
  (``services.access.audience_condition``): a file of PRIVATE evidence never reaches the coach or
  the principal. A read by anyone but the teacher is written to the audit trail, naming them.
- **Deleted with its evidence.** The rows go by the foreign key's cascade; the bytes go once the
  transaction that deleted them commits (:func:`install_cleanup`), and bytes stored by a
  transaction that rolled back are removed too.

May import the services kernel, models and storage (not services.privacy, which imports
feedback: the audit event is made here from the models).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

import filetype
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from mypd_graph.models import AuditEvent, AuditSubject, Evidence, EvidenceFile
from mypd_graph.services.access import Actor, audience_condition, may_edit_own, teacher_condition
from mypd_graph.services.common import group_by_key, lock_teacher, one_by_key
from mypd_graph.services.errors import PermissionDenied, invalid
from mypd_graph.storage import Storage

log = logging.getLogger(__name__)

STORAGE_KEY = "mypd_evidence_storage"  # session.info: the backend deletions go to
_STORED_KEY = "mypd_files_stored"  # keys this transaction stored (removed if it rolls back)
_GONE_KEY = "mypd_files_gone"  # keys whose rows this transaction deleted (removed at commit)
HEAD_BYTES = 8192  # what the type is told from (filetype reads as much)
FILE_NAME_MAX = 255
# Names that mean the same type as the extension filetype reports.
SAME_TYPE = {"jpeg": "jpg", "jpe": "jpg", "htm": "html", "qt": "mov", "text": "txt", "tif": "tiff"}
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}

_pending: set[asyncio.Task[Any]] = set()


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int
    types: tuple[str, ...]


def _extension(name: str) -> str:
    suffix = PurePath(name).suffix.lower().lstrip(".")
    return SAME_TYPE.get(suffix, suffix)


def detect_type(head: bytes, file_name: str) -> tuple[str, str] | None:
    """``(extension, media type)`` told from the first bytes, or None when they say nothing we
    know. Text (no NUL, valid UTF-8 but for a character cut at the end) is ``txt``, or ``csv``
    when the name says so: text has no signature, and both are only ever served as downloads."""
    kind = filetype.guess(head)
    if kind is not None:
        return SAME_TYPE.get(kind.extension, kind.extension), kind.mime
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut by the 8 KB window
            return None
    extension = "csv" if _extension(file_name) == "csv" else "txt"
    return extension, TEXT_TYPES[extension]


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def check_file(stream: IO[bytes], file_name: str, limits: FileLimits) -> tuple[str, int]:
    """The file's media type and size, or a userError: empty, too large, a type not accepted,
    or a name that claims another type than the content."""
    field = ("input", "file")
    size = _size(stream)
    if size == 0:
        raise invalid(field, "the file is empty", "EMPTY_FILE")
    if size > limits.max_bytes:
        raise invalid(
            field,
            f"the file is {size:,} bytes; evidence files may be at most {limits.max_bytes:,}",
            "FILE_TOO_LARGE",
        )
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    found = detect_type(head, file_name)
    accepted = ", ".join(limits.types)
    if found is None or found[0] not in limits.types:
        what = f"a {found[0].upper()} file" if found else "of a type its content does not show"
        raise invalid(field, f"the file is {what}; accepted: {accepted}", "FILE_TYPE_NOT_ALLOWED")
    claimed = _extension(file_name)
    if claimed and claimed != found[0] and not (claimed == "csv" and found[0] == "txt"):
        raise invalid(
            field,
            f"the file is named .{claimed} but its content is {found[0].upper()}",
            "FILE_TYPE_MISMATCH",
        )
    return found[1], size


def _clean_name(file_name: str) -> str:
    """The name as the teacher gave it, without any folders and control characters."""
    name = PurePath(file_name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "file"
    return name[-FILE_NAME_MAX:]


async def attach_file(
    session: AsyncSession,
    actor: Actor,
    storage: Storage,
    limits: FileLimits,
    evidence_id: int,
    stream: IO[bytes],
    file_name: str,
) -> EvidenceFile:
    """The teacher attaches a file to their own evidence (checked, then stored, then recorded)."""
    evidence = await session.scalar(
        select(Evidence).where(
            Evidence.id == evidence_id, teacher_condition(actor, Evidence.teacher_id)
        )
    )
    if evidence is None:
        raise PermissionDenied("you may only attach files to your own evidence")
    may_edit_own(actor, evidence.teacher_id)
    await lock_teacher(session, actor.user_id)
    content_type, size = check_file(stream, file_name, limits)
    sha256 = await asyncio.to_thread(_sha256, stream)
    key = uuid.uuid4().hex
    session.sync_session.info.setdefault(_STORED_KEY, []).append((storage, key))
    await asyncio.to_thread(storage.put, key, stream, content_type)
    row = EvidenceFile(
        evidence_id=evidence.id,
        storage=storage.name,
        key=key,
        file_name=_clean_name(file_name),
        content_type=content_type,
        size_bytes=size,
        sha256=sha256,
    )
    session.add(row)
    await session.flush()
    return row


async def files_by_evidence(
    session: AsyncSession, actor: Actor, evidence_ids: Sequence[int]
) -> list[list[EvidenceFile]]:
    """Each evidence's files, oldest first, for those who may read the evidence."""
    rows = await session.scalars(
        select(EvidenceFile)
        .join(Evidence, Evidence.id == EvidenceFile.evidence_id)
        .where(
            EvidenceFile.evidence_id.in_(evidence_ids),
            audience_condition(actor, Evidence.teacher_id, Evidence.audience),
        )
        .order_by(EvidenceFile.id)
    )
    return group_by_key(rows, evidence_ids, lambda row: row.evidence_id)


async def files_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[EvidenceFile | None]:
    rows = await session.scalars(
        select(EvidenceFile)
        .join(Evidence, Evidence.id == EvidenceFile.evidence_id)
        .where(
            EvidenceFile.id.in_(ids),
            audience_condition(actor, Evidence.teacher_id, Evidence.audience),
        )
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def readable_file(session: AsyncSession, actor: Actor, file_id: int) -> EvidenceFile | None:
    """The file, when the actor may read its evidence now (the audience may have changed since
    the link was made); a read by anyone but the teacher is recorded in the audit trail."""
    found = (
        await session.execute(
            select(EvidenceFile, Evidence.teacher_id)
            .join(Evidence, Evidence.id == EvidenceFile.evidence_id)
            .where(
                EvidenceFile.id == file_id,
                audience_condition(actor, Evidence.teacher_id, Evidence.audience),
            )
        )
    ).first()
    if found is None:
        return None
    row, teacher_id = found
    if teacher_id != actor.user_id:
        # The event services.privacy.audit writes for reads of a teacher's record (made here:
        # privacy imports feedback); the request and the reader's snapshot are stamped on flush.
        session.add(
            AuditEvent(
                user_id=actor.user_id,
                action="read",
                entity="evidence_file",
                entity_ids=[str(row.id)],
                detail=f"downloaded evidence {row.evidence_id}'s file",
                district_id=actor.district_id,
                subjects=[AuditSubject(kind="teacher", subject_id=teacher_id)],
            )
        )
    return row


async def delete_file(session: AsyncSession, actor: Actor, file_id: int) -> int:
    """The teacher removes a file from their own evidence (its bytes go at commit)."""
    row = await session.scalar(
        select(EvidenceFile)
        .join(Evidence, Evidence.id == EvidenceFile.evidence_id)
        .where(EvidenceFile.id == file_id, Evidence.teacher_id == actor.user_id)
    )
    if row is None:
        raise PermissionDenied("you may only remove files of your own evidence")
    await lock_teacher(session, actor.user_id)
    await session.delete(row)
    await session.flush()
    return file_id


# --- the bytes follow the rows ------------------------------------------------------------------


def install_cleanup(sessionmaker: async_sessionmaker[AsyncSession], storage: Storage) -> None:
    """Sessions of this sessionmaker delete the bytes of the files their transactions delete
    (the app calls it once; sessions made from it for a request keep the setting)."""
    sessionmaker.configure(info={**sessionmaker.kw.get("info", {}), STORAGE_KEY: storage})


def _note_deleted(session: Session, _context: Any, _instances: Any) -> None:
    """Before a flush: the keys of the files of evidence being deleted (the database's cascade
    removes their rows without loading them) and of files deleted themselves."""
    if STORAGE_KEY not in session.info:
        return
    gone: list[str] = session.info.setdefault(_GONE_KEY, [])
    evidence_ids = [row.id for row in session.deleted if isinstance(row, Evidence)]
    gone += [row.key for row in session.deleted if isinstance(row, EvidenceFile)]
    if evidence_ids:
        gone += session.execute(
            select(EvidenceFile.key).where(EvidenceFile.evidence_id.in_(evidence_ids))
        ).scalars()


def _after_commit(session: Session) -> None:
    session.info.pop(_STORED_KEY, None)
    gone = session.info.pop(_GONE_KEY, [])
    storage = session.info.get(STORAGE_KEY)
    if gone and storage is not None:
        _remove_later(storage, gone)


def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:  # a savepoint: the transaction, and what it stored, goes on
        return
    session.info.pop(_GONE_KEY, None)
    stored = session.info.pop(_STORED_KEY, [])
    for storage, key in stored:
        _remove_later(storage, [key])


def _remove_later(storage: Storage, keys: list[str]) -> None:
    """Remove stored bytes in a worker thread (a bucket is a network call away)."""

    def remove() -> None:
        for key in keys:
            try:
                storage.delete(key)
            except Exception:  # the row is gone either way; the log says which bytes stayed
                log.exception("evidence file %s could not be removed from %s", key, storage.name)

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        remove()
        return
    task = loop.create_task(asyncio.to_thread(remove))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def wait_for_removals() -> None:
    """Wait until the bytes of deleted files are gone (tests, shutdown)."""
    while _pending:
        await asyncio.gather(*list(_pending), return_exceptions=True)


event.listen(Session, "before_flush", _note_deleted)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", _after_rollback)
