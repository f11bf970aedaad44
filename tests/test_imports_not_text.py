"""Files that are not text, and text that should not reach a terminal (issue 10, section 7): a
binary file is rejected as "not a text file" from its first block, wherever its NUL bytes are,
and no message or row error carries a raw control character, through the pipeline on both
databases and through the CLI."""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mypd_graph.importers.pipeline import run_import
from mypd_graph.importers.printable import printable
from mypd_graph.importers.source import not_text
from mypd_graph.plugins.manager import PluginSet
from tests.factories import ADMIN, World
from tests.import_helpers import ROSTER, actor, import_roster, row_errors, snapshot
from tests.import_plugin import import_plugins
from tests.test_imports_api import cli

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def binary_file(path: Path) -> Path:
    """A first line of high bytes with no NUL (read as Windows-1252 it is "èºhòø..."), then
    compressed-looking bytes: NULs, escapes, bells."""
    noise = random.Random(7).randbytes(20_000)
    path.write_bytes(b"\xe8\xba\x68\xf2\xf8\x9d\xa7\x1b[2J\x07\xe9\n" + noise)
    return path


def escapes_in_header(path: Path) -> Path:
    """Text whose header carries terminal escapes (clear the screen, set the window title)."""
    path.write_text(
        "TermName,StudentID\x1b[2J,Course,Score\x1b]0;owned\x07\r\nFall 2025-2026,1,Math,200\r\n",
        encoding="utf-8",
    )
    return path


# -------------------------------------------------------------------------
# What counts as text
# -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"id,name\n1,Jos\xe9\n", None),  # Windows-1252 is text
        ("id,name\n1,José\f\n".encode(), None),  # so are form feeds, tabs, a DOS end mark
        (b"\xff\xfei\x00d\x00\n\x00", None),  # UTF-16 with its byte order mark
        (b"id,name\n1,a\x00b\n", "NUL bytes, the first at byte 11 (line 2)"),
        ("id,name\n".encode("utf-16-le"), "UTF-16 text saved without its byte order mark"),
        (bytes(range(1, 32)) * 10, "control characters"),
    ],
)
def test_the_first_block_tells_text_from_binary(head: bytes, reason: str | None) -> None:
    found = not_text(head)
    assert (found is None) if reason is None else (found is not None and reason in found)


def test_printable_escapes_controls_and_keeps_every_script() -> None:
    assert printable("Peña Nguyễn 東京 ok") == "Peña Nguyễn 東京 ok"
    assert printable("a\x00b\x1b[2Jc\x07\u202etxt.exe\ud800") == (
        "a\\x00b\\x1b[2Jc\\x07\\u202etxt.exe\\ud800"
    )


# -------------------------------------------------------------------------
# Through the pipeline
# -------------------------------------------------------------------------


async def test_a_binary_file_is_rejected_as_not_text_whatever_its_first_line(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    admin = await actor(db, world, ADMIN)
    before = await snapshot(db)
    for options in ({}, {"format": "nwea-map"}):
        run = await run_import(
            db.sessionmaker, admin, "csv-scores", binary_file(tmp_path / "scores.csv"), options,
            plugins=plugins,
        )  # fmt: skip
        assert run.status == "rejected"
        assert run.message.startswith("scores.csv is not a text file: it holds NUL bytes")
        assert "unknown columns" not in run.message and not RAW_CONTROL.search(run.message)
    assert await snapshot(db) == before


async def test_a_binary_member_of_a_roster_or_a_zip_is_rejected_by_name(
    db: TestDatabase, world: World, plugins: PluginSet, import_plugins: PluginSet, tmp_path: Path
) -> None:
    admin = await actor(db, world, ADMIN)
    folder = tmp_path / "roster"
    shutil.copytree(ROSTER, folder)
    binary_file(folder / "users.csv")
    roster = await import_roster(db, world, import_plugins, folder)
    assert roster.status == "rejected"
    assert roster.message.startswith("users.csv is not a text file"), roster.message

    archive = tmp_path / "AssessmentResults.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(binary_file(tmp_path / "member.csv"), "results.csv")
    scores = await run_import(db.sessionmaker, admin, "csv-scores", archive, plugins=plugins)
    assert scores.status == "rejected"
    assert scores.message.startswith("results.csv is not a text file"), scores.message


async def test_row_errors_and_messages_are_stored_with_their_controls_escaped(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    """A NUL in a cell cannot even be stored on PostgreSQL: escaped, it is shown as it was."""
    path = tmp_path / "scores.csv"
    note = "x" * 60_000  # 20 rows of notes: the NUL comes after the first megabyte
    good = [
        f"{term} 2025-2026,s{n},{course},{200 + n},{note}\n"
        for term in ("Fall", "Winter")
        for course in ("Math", "Reading")
        for n in range(1, 6)
    ]
    path.write_text(
        "TermName,StudentID,Course,TestRITScore,Notes\n"
        + "".join(good)
        + "Spring 2025-2026,s1,Ceramics\x1b[2J,200,\n"
        + "Spring 2025-2026,s2,Reading,20\x00x,\n",
        encoding="utf-8",
    )  # 2 bad rows of 22, a NUL late in a text file: row errors, not a rejection
    admin = await actor(db, world, ADMIN)
    run = await run_import(
        db.sessionmaker, admin, "csv-scores", path, {"max_error_share": 0.5}, plugins=plugins
    )
    assert run.status == "completed", run.message
    values = {error.row: error.value for error in await row_errors(db, run.id)}
    assert values == {22: "Ceramics\\x1b[2J", 23: "20\\x00x"}

    rejected = await run_import(
        db.sessionmaker, admin, "csv-scores", escapes_in_header(tmp_path / "escapes.csv"),
        {"format": "nwea-map"}, plugins=plugins,
    )  # fmt: skip
    assert rejected.status == "rejected"
    assert "StudentID\\x1b[2J" in rejected.message and not RAW_CONTROL.search(rejected.message)


# -------------------------------------------------------------------------
# Through the command line
# -------------------------------------------------------------------------


async def test_the_command_line_never_prints_a_raw_control_character(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    binary = binary_file(tmp_path / "scores.csv")
    escapes = escapes_in_header(tmp_path / "escapes.csv")

    def exercise() -> None:
        for args in (
            [str(binary)],
            [str(escapes), "--format", "nwea-map"],
            [str(escapes), "--format", "nwea-map\x1b[2J"],  # refused before it runs
        ):
            done = cli(db.url, "import", "scores", *args, "--as", ADMIN)
            assert done.returncode in (1, 3), done.stdout + done.stderr
            printed = done.stdout + done.stderr
            assert not RAW_CONTROL.search(printed), repr(printed)
            assert "not a text file" in printed or "\\x1b[2J" in printed, printed

    await asyncio.to_thread(exercise)
