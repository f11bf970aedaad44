"""Small helpers the built-in CSV importers share: headers, aliases, delimiters, dates."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TextIO

from mypd_graph.plugins.types import FileRejected

DELIMITERS = (",", "\t", ";", "|", "^")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y/%m/%d", "%m-%d-%Y")


def normalize_header(name: str) -> str:
    """``"Completion Date"`` and ``"completion_date"`` are the same column."""
    return _NOT_WORD.sub("_", name.strip().lower()).strip("_")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header line most (comma on a tie or a one-column file)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_header(text: TextIO, file: str = "") -> tuple[list[str], Iterator[list[str]]]:
    """The header row and a reader over the remaining rows; rejects a file with no header."""
    first = text.readline()
    if not first.strip():
        where = f"{file}: " if file else ""
        raise FileRejected(f"{where}the file is empty: there is no header row")
    delimiter = sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    return [cell.strip() for cell in header], csv.reader(text, delimiter=delimiter)


def resolve_columns(
    header: Sequence[str],
    aliases: Mapping[str, Iterable[str]],
    required: Iterable[str],
    mapping: Mapping[str, str] | None = None,
    one_of: Iterable[tuple[str, ...]] = (),
    file: str = "",
) -> dict[str, int]:
    """Map each field to its column index, through an explicit ``mapping`` (field → header) first,
    then aliases. Rejects the file naming the missing fields and the columns nobody recognised."""
    positions = {normalize_header(name): index for index, name in enumerate(header)}
    found: dict[str, int] = {}
    for name, wanted in (mapping or {}).items():
        index = positions.get(normalize_header(wanted))
        if index is not None:
            found[name] = index
    for name, names in aliases.items():
        if name in found:
            continue
        for alias in (name, *names):
            index = positions.get(normalize_header(alias))
            if index is not None:
                found[name] = index
                break
    missing = [name for name in required if name not in found]
    for group in one_of:
        if not any(name in found for name in group):
            missing.append(" or ".join(group))
    if missing:
        used = set(found.values())
        unknown = [name for index, name in enumerate(header) if index not in used and name]
        where = f"{file}: " if file else ""
        message = f"{where}missing columns: {', '.join(missing)}"
        if unknown:
            message += f"; unknown columns: {', '.join(unknown)}"
        raise FileRejected(message, missing=tuple(missing), unknown=tuple(unknown))
    return found


def parse_date(value: str) -> date | None:
    value = value.strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    if "T" in value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def school_year_of(day: date) -> str:
    """The school year a day falls in (July starts a new one): 2025-09-15 → ``2025-26``."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"
