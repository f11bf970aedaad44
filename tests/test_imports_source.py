"""The import source: encodings real files come in, newlines, checksums, spooled uploads, folders."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest

from mypd_graph.importers.source import (
    UTF8,
    UTF8_BOM,
    UTF16,
    WINDOWS_1252,
    FileSource,
    open_source,
    open_text,
    spool,
)
from mypd_graph.plugins.types import FileRejected, ImportSource

TEXT = 'id,name,note\r\n1,José Doñate,"two\r\nlines"\r\n2,Zoë,plain\r\n'


def rows_of(source: FileSource) -> list[list[str]]:
    with source.text() as text:
        return list(csv.reader(text))


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), UTF8),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), UTF8_BOM),
        (TEXT.encode("windows-1252"), WINDOWS_1252),
        (TEXT.encode("utf-16"), UTF16),  # Excel's "Unicode text" (with a BOM)
    ],
)
def test_encodings_decode_to_the_same_rows(data: bytes, encoding: str) -> None:
    with open_source(data, "export.csv") as source:
        assert isinstance(source, ImportSource)
        assert source.encoding == encoding
        assert rows_of(source) == [
            ["id", "name", "note"],
            ["1", "José Doñate", "two\nlines"],
            ["2", "Zoë", "plain"],
        ]


def test_newline_styles_read_alike() -> None:
    for newline in ("\n", "\r\n", "\r"):
        data = f"a,b{newline}1,2{newline}{newline}".encode()
        with open_source(data) as source:
            assert rows_of(source) == [["a", "b"], ["1", "2"], []]


def test_bytes_undefined_in_windows_1252_do_not_fail_the_file() -> None:
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8: the row survives with U+FFFD.
    with open_source(b"id,name\n1,caf\xe9\x81\n") as source:
        assert source.encoding == WINDOWS_1252
        assert rows_of(source)[1] == ["1", "caf\u00e9\ufffd"]


def test_a_file_ending_inside_a_utf8_sequence_is_not_utf8() -> None:
    with open_source("id\nJos\u00e9".encode()[:-1]) as source:
        assert source.encoding == WINDOWS_1252


def test_checksum_size_and_progress(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    data = ("student_id,score\n" + "".join(f"s{i},{i}\n" for i in range(5000))).encode()
    path.write_bytes(data)
    with open_source(path) as source:
        assert source.name == "scores.csv"
        assert source.checksum == hashlib.sha256(data).hexdigest()
        assert source.size == len(data)
        assert source.bytes_read == 0
        assert len(rows_of(source)) == 5001
        assert source.bytes_read == len(data)


def test_uploads_are_spooled_and_read_twice() -> None:
    data = b"a,b\n" + b"x,y\n" * 200_000  # larger than what stays in memory
    source = spool(io.BytesIO(data), "big.csv")
    try:
        assert source.checksum == hashlib.sha256(data).hexdigest()
        assert len(rows_of(source)) == 200_001
        with source.binary() as binary:  # a second, independent reader
            assert binary.read(4) == b"a,b\n"
    finally:
        source.close()


def test_folders_have_a_checksum_of_their_files_and_no_single_text(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("y\n2\n")
    first = open_source(tmp_path)
    (tmp_path / "b.csv").write_text("y\n3\n")
    second = open_source(tmp_path)
    assert first.is_folder and first.checksum != second.checksum
    with pytest.raises(FileRejected, match="folder"):
        first.text()


def test_open_text_decodes_a_member_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes("name\nSiobhán\n".encode("windows-1252"))
    with open_text(lambda: path.open("rb")) as text:
        assert text.read() == "name\nSiobhán\n"


def test_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        open_source(tmp_path / "nope.csv")
