"""Read a CASE package from a file or an http(s) URL, bounded in size and time."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from mypd_graph.case.parse import CaseError

MAX_BYTES = 20 * 1024 * 1024  # the largest state frameworks are a few MB
TIMEOUT_SECONDS = 30.0


def read_limited(stream: IO[bytes], limit: int, name: str, deadline: float | None = None) -> bytes:
    """At most ``limit`` bytes, or a CaseError: never more than that in memory, and (with a
    ``deadline`` on the monotonic clock) never longer than that, however slowly bytes arrive."""
    chunks, size = [], 0
    read = getattr(stream, "read1", stream.read)  # what has arrived: a slow drip is seen in time
    while chunk := read(min(1 << 16, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise CaseError(f"{name} is larger than {limit // (1024 * 1024)} MB")
        if deadline is not None and time.monotonic() > deadline:
            raise CaseError(f"{name} took longer than the time allowed to download")
    return b"".join(chunks)


def read_source(
    source: str, limit: int = MAX_BYTES, timeout: float = TIMEOUT_SECONDS
) -> tuple[bytes, str]:
    """The bytes of a file or URL and the source to record (the URL, or the file's path)."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(
            source, headers={"Accept": "application/json", "User-Agent": "mypd-graph"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > limit:
                    raise CaseError(f"{source} is larger than {limit // (1024 * 1024)} MB")
                deadline = time.monotonic() + timeout
                return read_limited(response, limit, source, deadline), source
        except urllib.error.HTTPError as error:
            raise CaseError(f"{source} answered HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CaseError(f"could not fetch {source}: {reason}") from error
    if "://" in source:
        raise CaseError(f"{source}: only files and http(s) URLs can be imported")
    path = Path(source)
    if not path.is_file():
        raise CaseError(f"{source} is not a file")
    with path.open("rb") as stream:
        return read_limited(stream, limit, source), str(path)
