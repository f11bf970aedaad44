"""The interface every storage backend offers, and the shape of the keys it stores under."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Protocol

CHUNK_BYTES = 256 * 1024  # what a download streams at a time
# Keys are made by the service (a random hex name), never taken from a request: checked anyway,
# so a key can never climb out of the directory or the bucket's prefix.
_KEY = re.compile(r"[0-9a-f]{32}")


class StorageError(Exception):
    """The backend could not store, read or delete a file; the message says which and why."""


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise StorageError(f"not a storage key: {key[:80]!r}")
    return key


class Storage(Protocol):
    """A place for files. Calls block (disk or network): callers run them in a worker thread."""

    name: str  # "local" or "s3", recorded with each file

    def put(self, key: str, stream: IO[bytes], content_type: str) -> None:
        """Store the stream (read from its current position to its end) under ``key``."""

    def read(self, key: str) -> Iterator[bytes]:
        """The stored bytes, a chunk at a time; StorageError when the key holds nothing."""

    def delete(self, key: str) -> None:
        """Remove what ``key`` holds; nothing happens when it holds nothing."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a file."""
