"""Evidence files in a directory on local disk (``MYPD_EVIDENCE_DIR``): the default backend."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from mypd_graph.storage.base import CHUNK_BYTES, StorageError, check_key


class LocalStorage:
    """Files under ``root``, in sub-directories by the key's first two characters (so no single
    directory holds a district's every file). Written to a temporary name and renamed, so a
    reader never sees half a file."""

    name = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        key = check_key(key)
        return self.root / key[:2] / key

    def put(self, key: str, stream: IO[bytes], content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK_BYTES)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> Iterator[bytes]:
        try:
            handle = self.path(key).open("rb")
        except FileNotFoundError as error:
            raise StorageError(f"no stored file {key}") from error
        return _chunks(handle)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
