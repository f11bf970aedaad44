"""The file being imported: where it lives, its checksum, its encoding, and how far it has been read.

A :class:`FileSource` is the core's :class:`~mypd_graph.plugins.types.ImportSource`. It is built from a
path (a file or a folder) or from uploaded bytes or a stream, which are spooled to a temporary file
first, so an upload of any size costs a bounded amount of memory and the importer can read it twice
(zips need to seek). One pass over the bytes computes the SHA-256 checksum and decides the encoding
before the importer sees anything:

- a UTF-8 byte order mark, or a UTF-16 one (Excel's "Unicode text") wins;
- otherwise the file is UTF-8 when every byte of it decodes as UTF-8;
- otherwise it is Windows-1252 (what Excel on Windows writes), where the five bytes that code page
  leaves undefined become U+FFFD instead of failing the import.

``text()`` then decodes with universal newlines, so CRLF, LF and old Mac CR files read alike, and
quoted fields that span lines come through the ``csv`` module intact. The same detection is offered
for members of a zip or files of a folder through :func:`open_text`.

The same first block also tells a file that is not text at all (a workbook, a PDF, a zip renamed
``.csv``, UTF-16 saved without its byte order mark): :func:`not_text` finds NUL bytes or a run of
control characters there, as git and GNU grep decide "binary", and ``text()`` then rejects the
file saying so, instead of handing a parser bytes whose "header" it would echo back as columns.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import shutil
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO, BinaryIO

from mypd_graph.plugins.types import FileRejected

CHUNK = 1 << 20
READ_BLOCK = 64 << 10  # what a parser's stream reads at a time: progress moves in steps this small
SPOOL_IN_MEMORY = 4 << 20  # uploads up to 4 MB stay in memory; larger ones go to disk
UTF8, UTF8_BOM, UTF16, WINDOWS_1252 = "utf-8", "utf-8-sig", "utf-16", "windows-1252"


class ByteCounter:
    """How far into the source the importer has read, for progress reports: the end of what its
    streams have read without a gap from the start of the file. A second stream reading the
    start again (a parser's probe of the first bytes) does not count twice, and a zip's look at
    its directory at the end of the file does not jump to 100%."""

    def __init__(self) -> None:
        self.count = 0


class _CountingReader(io.RawIOBase):
    """A raw stream that moves its counter on as it reads; seeks pass through (zips need them)."""

    def __init__(self, raw: IO[bytes], counter: ByteCounter) -> None:
        self._raw = raw
        self._counter = counter
        self._position = 0  # where the next read starts

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        start = self._position
        self._position += len(data)
        if start <= self._counter.count < self._position:  # no gap: the read file grows
            self._counter.count = self._position
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._position = self._raw.seek(offset, whence)
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        self._raw.close()
        super().close()


# Bytes that text files carry besides printable characters: tab, newlines, form feed, vertical
# tab, backspace, the DOS end-of-file mark and escape. The other C0 controls and DEL are "odd".
_TEXT_CONTROLS = b"\t\n\r\f\v\b\x1a\x1b"
_ODD = bytes(code for code in range(32) if code not in _TEXT_CONTROLS) + b"\x7f"
ODD_SHARE = 0.05  # random bytes are about 11% odd; text is next to none


def not_text(head: bytes) -> str | None:
    """Why a file whose first block is ``head`` is not text, or None when it looks like text.

    A UTF-16 file with a byte order mark is text and is not examined (its NULs are half of it).
    """
    if not head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    nul = head.find(0)
    if nul >= 0:
        nuls = head.count(0)
        beside = head[nul % 2 :: 2]  # every other byte, from the first NUL
        if nuls * 3 > len(head) and beside.count(0) * 10 >= len(beside) * 9:
            return (
                "a NUL byte stands beside every character, as in UTF-16 text saved without its "
                "byte order mark"
            )
        return f"it holds NUL bytes, the first at byte {nul:,} (line {head.count(10, 0, nul) + 1})"
    odd = len(head) - len(head.translate(None, _ODD))
    if odd > len(head) * ODD_SHARE:
        return f"{odd:,} of its first {len(head):,} bytes are control characters"
    return None


def examine(stream: IO[bytes], digest: hashlib._Hash | None = None) -> tuple[str, str | None]:
    """Read ``stream`` to its end: its encoding, and why it is not text (None when it is)."""
    head = stream.read(CHUNK)
    if digest is not None:
        digest.update(head)
    return _encoding(stream, head, digest), not_text(head)


def detect_encoding(stream: IO[bytes], digest: hashlib._Hash | None = None) -> str:
    """Read ``stream`` to its end and name its encoding (see the module docstring).

    ``digest``, when given, is fed every byte on the way, so one pass also yields the checksum.
    """
    return examine(stream, digest)[0]


def _encoding(stream: IO[bytes], head: bytes, digest: hashlib._Hash | None) -> str:
    if head.startswith(codecs.BOM_UTF8):
        encoding = UTF8_BOM
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = UTF16
    else:
        encoding = UTF8
    decoder = codecs.getincrementaldecoder("utf-8")() if encoding != UTF16 else None
    chunk = head
    while chunk:
        if decoder is not None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                decoder = None
                encoding = WINDOWS_1252
        if digest is None and decoder is None:
            break  # the encoding is settled and nobody needs the checksum
        chunk = stream.read(CHUNK)
        if digest is not None:
            digest.update(chunk)
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = WINDOWS_1252  # the file ends inside a multi-byte sequence
    return encoding


def text_stream(binary: IO[bytes], encoding: str) -> io.TextIOWrapper:
    """Decoded text with universal newlines; Windows-1252's undefined bytes become U+FFFD."""
    errors = "replace" if encoding == WINDOWS_1252 else "strict"
    return io.TextIOWrapper(binary, encoding=encoding, errors=errors, newline=None)  # type: ignore[arg-type]


def rejection(name: str, reason: str) -> FileRejected:
    """The rejection of a file that is not text, saying what to export instead."""
    return FileRejected(
        f"{name} is not a text file: {reason}. Export it as CSV (UTF-8), or pick the file the "
        "vendor's export produced."
    )


def open_text(opener: Callable[[], IO[bytes]], name: str = "") -> io.TextIOWrapper:
    """Decode a file the way the core decodes an import: ``opener`` returns a fresh binary stream
    (``lambda: zip_file.open(name)``, ``path.open("rb")``) and is called twice, once to detect the
    encoding and once to read. A file that is not text is rejected (``name`` says which)."""
    with opener() as probe:
        encoding, binary = examine(probe)
    if binary is not None:
        raise rejection(name or "a file of the export", binary)
    return text_stream(opener(), encoding)


class FileSource:
    """An :class:`~mypd_graph.plugins.types.ImportSource` with what the Import record needs.

    ``checksum`` is the SHA-256 of the file (of every file, by relative path, for a folder);
    ``encoding`` is what :func:`detect_encoding` decided, ``not_text`` why the file is not text
    (None when it is); ``bytes_read`` grows as the importer reads; ``layout`` is the layout the
    importer recognized the file as, when it says (:meth:`recognized`). Close it (or use it as a
    context manager) to remove a spooled temporary file.
    """

    def __init__(self, name: str, path: Path | None, spooled: IO[bytes] | None = None) -> None:
        self.name = name
        self.path = path
        self._spooled = spooled
        self._opened: list[IO[bytes]] = []
        self.counter = ByteCounter()
        self.layout = ""
        digest = hashlib.sha256()
        self.not_text: str | None = None
        if path is not None and path.is_dir():
            self.size = self._hash_folder(path, digest)
            self.encoding = ""
        else:
            with self._open_raw() as raw:
                self.encoding, self.not_text = examine(raw, digest)
                self.size = raw.tell()
        self.checksum = digest.hexdigest()

    @classmethod
    def known(
        cls,
        name: str,
        path: Path,
        encoding: str,
        size: int,
        checksum: str = "",
        not_text: str | None = None,
    ) -> FileSource:
        """A file already examined (by another process): no second pass over its bytes."""
        source = cls.__new__(cls)
        source.name, source.path, source._spooled, source._opened = name, path, None, []
        source.counter = ByteCounter()
        source.encoding, source.size, source.checksum = encoding, size, checksum
        source.not_text, source.layout = not_text, ""
        return source

    @staticmethod
    def _hash_folder(folder: Path, digest: hashlib._Hash) -> int:
        size = 0
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(file.relative_to(folder)).encode() + b"\0")
            with file.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        return size

    def _open_raw(self) -> IO[bytes]:
        if self._spooled is not None:
            self._spooled.seek(0)
            return _Unclosable(self._spooled)
        assert self.path is not None
        return self.path.open("rb")

    def recognized(self, layout: str) -> None:
        """The importer says which of its layouts the file is (it detected it from the header):
        the Import record keeps it, and progress shows it."""
        self.layout = str(layout)[:100]

    @property
    def is_folder(self) -> bool:
        return self.path is not None and self.path.is_dir()

    @property
    def bytes_read(self) -> int:
        return self.counter.count

    def binary(self) -> IO[bytes]:
        """The raw bytes, seekable, counted for progress."""
        if self.is_folder:
            raise FileRejected(f"{self.name} is a folder; this importer reads a single file")
        stream = io.BufferedReader(_CountingReader(self._open_raw(), self.counter), READ_BLOCK)
        self._opened.append(stream)
        return stream

    def text(self) -> io.TextIOWrapper:
        """The decoded text (see the module docstring), counted for progress; a file that is not
        text is rejected here, before a parser reads a byte of it."""
        if self.not_text is not None and not self.is_folder:
            raise rejection(self.name, self.not_text)
        return text_stream(self.binary(), self.encoding)

    def close(self) -> None:
        for stream in self._opened:
            with suppress(Exception):
                stream.close()
        self._opened.clear()
        if self._spooled is not None:
            self._spooled.close()
            self._spooled = None

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Unclosable(io.RawIOBase):
    """A view of the spooled file that each reader may close without deleting the spool."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        self._inner.seek(self._position)
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._position = offset
        elif whence == io.SEEK_CUR:
            self._position += offset
        else:
            self._position = self._inner.seek(0, io.SEEK_END) + offset
        return self._position

    def tell(self) -> int:
        return self._position


def spool(stream: BinaryIO | IO[bytes], name: str) -> FileSource:
    """A source from a stream (an upload): copied to a temporary file in bounded memory."""
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (FileSource closes it)
    shutil.copyfileobj(stream, spooled, CHUNK)
    return FileSource(name, None, spooled)  # type: ignore[arg-type]


def open_source(source: str | Path | bytes, name: str | None = None) -> FileSource:
    """A source from a path (file or folder) or from bytes already in memory."""
    if isinstance(source, bytes):
        return spool(io.BytesIO(source), name or "upload")
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    return FileSource(name or path.name, path)
