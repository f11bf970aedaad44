"""Helpers of the csv_scores parser tests: fixture sources decoded like the core, item filters.

Each preset is read from a fixture written to the vendor's layout (tests/fixtures/scores/, see its
README) through a small ImportSource that decodes like the core does: UTF-8 with or without BOM,
else Windows-1252, universal newlines.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from mypd_graph_csv_scores.parse import parse

from mypd_graph.plugins.types import AssessmentResultRecord, FileRejected, RowError, StudentRecord

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scores"


def decode_like_the_core(data: bytes) -> str:
    """As mypd_graph.importers.source decides: a UTF-8 or UTF-16 BOM, else UTF-8 when it all
    decodes, else Windows-1252 (its undefined bytes replaced)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


class FixtureSource:
    """An ImportSource over a file on disk or bytes in memory."""

    def __init__(self, name: str, data: bytes | None = None, path: Path | None = None) -> None:
        self.name = name
        self.path = path
        self._data = data

    @classmethod
    def fixture(cls, name: str) -> FixtureSource:
        return cls(name, path=FIXTURES / name)

    def _bytes(self) -> bytes:
        return self._data if self._data is not None else self.path.read_bytes()  # type: ignore[union-attr]

    def binary(self) -> io.BytesIO:
        return io.BytesIO(self._bytes())

    def text(self) -> io.StringIO:
        return io.StringIO(decode_like_the_core(self._bytes()), newline=None)


def run(name: str, **options: Any) -> list[Any]:
    return list(parse(FixtureSource.fixture(name), options))


def run_text(text: str, name: str = "inline.csv", **options: Any) -> list[Any]:
    return list(parse(FixtureSource(name, text.encode("utf-8")), options))


def results(items: Iterable[Any]) -> list[AssessmentResultRecord]:
    return [item for item in items if isinstance(item, AssessmentResultRecord)]


def errors(items: Iterable[Any]) -> list[RowError]:
    return [item for item in items if isinstance(item, RowError)]


def students(items: Iterable[Any]) -> dict[str, StudentRecord]:
    return {item.local_id: item for item in items if isinstance(item, StudentRecord)}


def rejected(name: str, **options: Any) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        run(name, **options)
    return caught.value


def by_row(items: Iterable[Any]) -> Mapping[int, AssessmentResultRecord]:
    return {item.row: item for item in results(items)}
