"""Read a delimited file row by row and find the columns a layout needs, or reject the file.

Everything streams: the header is read with one ``readline()`` and the rows with ``csv.reader``
over the same text stream, so memory does not grow with the file. A file is rejected
(:class:`FileRejected`) before any row is handed out when its header does not carry what the
layout requires; the message names the missing columns, the columns nobody asked for, and says
so when the delimiter is the likely culprit (a comma file read as caret is one giant column).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, TextIO

from mypd_graph.importers.source import not_text, rejection
from mypd_graph.plugins.types import FileRejected, ImportSource
from mypd_graph_csv_scores.values import normalize_header

DELIMITER_NAMES = {",": "comma", "\t": "tab", "^": "caret", "|": "pipe", ";": "semicolon"}
DELIMITER_ALIASES = {
    "comma": ",",
    "tab": "\t",
    "\\t": "\t",
    "caret": "^",
    "pipe": "|",
    "semicolon": ";",
}
_MOJIBAKE_BOM = "\u00ef\u00bb\u00bf"  # a UTF-8 BOM decoded as Windows-1252
_MAX_LISTED = 12


def delimiter_option(value: object) -> str | None:
    """The ``delimiter`` option: a character or its name ("caret", "tab")."""
    if value in (None, ""):
        return None
    text = str(value)
    text = DELIMITER_ALIASES.get(text.lower(), text)
    if len(text) != 1:
        raise FileRejected(f"delimiter {value!r} must be one character or comma, tab, caret")
    return text


@dataclass(frozen=True)
class Layout:
    """The columns one preset understands: field -> header aliases (the first is shown in messages).

    ``required`` lists fields that must be present; an entry that is a tuple of fields is
    satisfied by any one of them (NWEA's ``Course`` or older ``MeasurementScale``).
    """

    name: str
    fields: Mapping[str, tuple[str, ...]]
    required: tuple[str | tuple[str, ...], ...]
    delimiter: str = ","

    def resolve(self, header: Sequence[str]) -> tuple[dict[str, int], list[str], list[str]]:
        """Map fields to column indexes; return (columns, missing, unknown)."""
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            positions.setdefault(normalize_header(name), index)
        columns: dict[str, int] = {}
        used: set[int] = set()
        for field_name, aliases in self.fields.items():
            for alias in aliases:
                index = positions.get(normalize_header(alias))
                if index is not None:
                    columns[field_name] = index
                    used.add(index)
                    break
        missing = []
        for requirement in self.required:
            options = (requirement,) if isinstance(requirement, str) else requirement
            if not any(option in columns for option in options):
                missing.append(" or ".join(self.fields[option][0] for option in options))
        unknown = [name for index, name in enumerate(header) if index not in used and name.strip()]
        return columns, missing, unknown


@dataclass
class Table:
    """An open file whose header matched a layout; ``rows()`` streams the data records."""

    layout: Layout
    header: list[str]
    columns: dict[str, int]
    delimiter: str
    unknown: list[str]
    _reader: Iterator[list[str]]
    _next_row: int
    _first: tuple[int, list[str] | None] | None = field(default=None)
    last_error: str = ""

    def header_name(self, field_name: str) -> str:
        return self.header[self.columns[field_name]].strip()

    def rows(self) -> Iterator[tuple[int, list[str] | None]]:
        """(row number, cells) for every record that is not blank; the header is row 1.

        Rows shorter than the header are padded with blanks. A record the csv module cannot
        read comes out as ``(row number, None)`` with the reason in :attr:`last_error`, and
        reading goes on with the next record.
        """
        width = len(self.header)
        if self._first is not None:
            number, first = self._first
            self._first = None
            yield number, _pad(first, width) if first is not None else None
        row_number = self._next_row
        reader = self._reader
        while True:
            row_number += 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                # Typically an unclosed quote that swallowed the rows after it until the csv
                # module's field limit (128 KiB) stopped it; reading resumes after that.
                self.last_error = f"{error} (an unclosed quote?)"
                yield row_number, None
                continue
            if not row or not any(row):
                continue
            if len(row) < width:
                row = _pad(row, width)
            yield row_number, row

    def peek_first_row(self) -> bool:
        """Read ahead to the first data record; False when the file has none."""
        for number, row in self.rows():
            self._first = (number, row)
            self._next_row = number
            return True
        return False


def _pad(row: list[str], width: int) -> list[str]:
    return row + [""] * (width - len(row)) if len(row) < width else row


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:_MAX_LISTED])
    if len(names) > _MAX_LISTED:
        shown += f" and {len(names) - _MAX_LISTED} more"
    return shown


def read_header(stream: TextIO, source_name: str) -> tuple[str, int]:
    """The header line (BOM stripped) and its row number; reject empty and UTF-16 files."""
    row = 0
    while True:
        line = stream.readline()
        row += 1
        if line == "":
            raise FileRejected(f"{source_name} is empty: there is no header and no rows")
        if line.strip():
            break
    if line.startswith("\ufeff"):
        line = line[1:]
    elif line.startswith(_MOJIBAKE_BOM):
        line = line[len(_MOJIBAKE_BOM) :]
    if "\x00" in line:
        raise FileRejected(
            f"{source_name} contains NUL bytes: it looks like UTF-16 or a binary file, not a "
            "delimited text file; save it as CSV (UTF-8)"
        )
    return line.rstrip("\r\n"), row


def split_header(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter))


def open_table(
    stream: TextIO,
    header_line: str,
    header_row: int,
    layout: Layout,
    delimiter: str | None,
    source_name: str,
) -> Table:
    """Match the header to ``layout`` and return the table, or raise :class:`FileRejected`.

    With an explicit ``delimiter`` only that one is tried; otherwise the layout's own first,
    then tab, comma, caret, pipe and semicolon: the one under which the required columns are
    all present wins.
    """
    candidates = [delimiter] if delimiter else _candidates(layout.delimiter)
    best: tuple[int, str, list[str], dict[str, int], list[str], list[str]] | None = None
    for candidate in candidates:
        header = split_header(header_line, candidate)
        columns, missing, unknown = layout.resolve(header)
        if not missing:
            reader = csv.reader(stream, delimiter=candidate)
            table = Table(layout, header, columns, candidate, unknown, reader, header_row)
            if not table.peek_first_row():
                raise FileRejected(
                    f"{source_name} has a header and no data rows: nothing to import"
                )
            return table
        score = len(columns)
        if best is None or score > best[0]:
            best = (score, candidate, header, columns, missing, unknown)
    assert best is not None
    _, used, header, _, missing, unknown = best
    message = f"{source_name} does not look like a {layout.name} file: missing {_listed(missing)}"
    if unknown:
        message += f"; unknown columns {_listed(unknown)}"
    hint = _delimiter_hint(header_line, header, used)
    if hint:
        message += f"; {hint}"
    raise FileRejected(message, missing=tuple(missing), unknown=tuple(unknown))


def _candidates(preferred: str) -> list[str]:
    return [preferred] + [d for d in ("\t", ",", "^", "|", ";") if d != preferred]


def _delimiter_hint(line: str, header: list[str], used: str) -> str:
    if len(header) > 1:
        return ""
    counts = {d: line.count(d) for d in DELIMITER_NAMES if d != used}
    likely = max(counts, key=lambda d: counts[d])
    if counts[likely] == 0:
        return f"the header is a single column ({header[0][:60]!r})"
    return (
        f"read as {DELIMITER_NAMES[used]}-delimited ({used!r}) the header is one giant column "
        f"({header[0][:60]!r}...): the file looks {DELIMITER_NAMES[likely]}-delimited "
        f"({likely!r})"
    )


# -------------------------------------------------------------------------
# Sources: plain text as the core decoded it, or a zip whose members we decode
# -------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"


def is_zip(source: ImportSource) -> bool:
    if source.name.lower().endswith(".zip"):
        return True
    stream = source.binary()
    head = stream.read(4)
    if stream.seekable():
        stream.seek(0)
    return head == _ZIP_MAGIC


def open_zip(source: ImportSource) -> zipfile.ZipFile:
    stream: IO[bytes] = source.binary()
    try:
        return zipfile.ZipFile(stream)
    except zipfile.BadZipFile as error:
        raise FileRejected(f"{source.name} is not a readable zip file: {error}") from None


def member_names(archive: zipfile.ZipFile) -> list[str]:
    return [
        info.filename
        for info in archive.infolist()
        if not info.is_dir() and not info.filename.startswith("__MACOSX/")
    ]


def open_member(archive: zipfile.ZipFile, name: str) -> TextIO:
    """A zip member as text: UTF-8 (BOM or not) when it all decodes so, else Windows-1252.

    The check streams the member once through an incremental decoder (the core cannot detect
    the encoding of files inside a zip), then reopens it for reading. A member that is not text
    (NUL bytes or control characters in its first block) is rejected as the core rejects a file.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding = "utf-8-sig"
    with archive.open(name) as raw:
        first = True
        try:
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                if first:
                    reason = not_text(chunk)
                    if reason is not None:
                        raise rejection(name, reason)
                    first = False
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "cp1252"
    return io.TextIOWrapper(archive.open(name), encoding=encoding, errors="replace", newline="")
