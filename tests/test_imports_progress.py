"""An import's progress tells the truth (issue 10, section 7): bytes read of the file's size, not
100% from the first tick; a bar on a terminal; a plain line every few seconds when standard error
is not a terminal. Through the pipeline and the command line, on both databases."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner

from mypd_graph import cli
from mypd_graph.importers import console
from mypd_graph.importers.job import ImportProgress
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from tests.conftest import SECRET
from tests.factories import ADMIN, World
from tests.import_helpers import actor

if TYPE_CHECKING:
    import pytest

    from tests.conftest import TestDatabase


def map_file(path: Path, rows: int) -> Path:
    """An NWEA MAP file of ``rows`` results (students the district does not have: every row is
    rejected, which is beside the point here)."""
    with path.open("w", encoding="utf-8") as out:
        out.write("TermName,StudentID,Course,TestRITScore,TestPercentile\n")
        for number in range(rows):
            out.write(f"Fall 2025-2026,x{number:06d},Math 6+,{180 + number % 90},{number % 100}\n")
    return path


async def test_progress_is_the_share_of_the_file_read_from_the_first_tick(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    path = map_file(tmp_path / "scores.csv", 12_000)  # about 560 KB, 12 batches of 1,000
    ticks: list[ImportProgress] = []
    admin = await actor(db, world, ADMIN)
    run = await run_import(
        db.sessionmaker, admin, "csv-scores", path, {"max_error_share": 1},
        plugins=plugins, progress=ticks.append, batch_size=1000,
    )  # fmt: skip
    assert run.status == "completed", run.message
    size = path.stat().st_size
    assert all(tick.bytes_total == size for tick in ticks)
    shares = [tick.bytes_read / size for tick in ticks]
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert shares[0] < 0.25, "the first of twelve batches is not the whole file"
    for number, (tick, share) in enumerate(zip(ticks[:12], shares, strict=False), start=1):
        assert tick.rows_read == 1000 * number
        assert abs(share - number / 12) < 0.15, (number, share)  # bytes and rows agree
    assert {tick.layout for tick in ticks} == {"nwea-map"}


def progress(rows: int, read: int, total: int = 1000, layout: str = "nwea-map") -> ImportProgress:
    return ImportProgress(rows, 1, read, total, elapsed=2.0, layout=layout)


def test_off_a_terminal_a_plain_line_every_few_seconds() -> None:
    stream = io.StringIO()  # not a terminal
    now = [0.0]
    report = console.ProgressReport("scores.csv", stream, every=5, clock=lambda: now[0])
    for second, rows, read in ((1, 100, 100), (3, 200, 200), (6, 300, 300), (12, 1000, 1000)):
        now[0] = second
        report(progress(rows, read))
    report.close()
    assert stream.getvalue().splitlines() == [
        "importing scores.csv (nwea-map): 10% (100 bytes of 1,000 bytes), 100 rows, 50 rows/s, "
        "1 rejected",
        "importing scores.csv (nwea-map): 30% (300 bytes of 1,000 bytes), 300 rows, 150 rows/s, "
        "1 rejected",
        "importing scores.csv (nwea-map): 100% (1,000 bytes of 1,000 bytes), 1,000 rows, "
        "500 rows/s, 1 rejected",
    ]


def test_a_folder_has_rows_and_no_share() -> None:
    stream = io.StringIO()
    console.ProgressReport("test_unified", stream)(progress(1, 0, total=0, layout=""))
    assert stream.getvalue() == "importing test_unified: 1 row, 0 rows/s, 1 rejected\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_is_the_bytes_read() -> None:
    stream = Terminal()
    report = console.ProgressReport("scores.csv", stream)
    report(progress(100, 250))
    first = stream.getvalue()
    report(progress(400, 1000))
    report.close()
    assert " 25%" in first and "100%" not in first
    assert "100 rows" in first and "importing scores.csv (nwea-map)" in first
    assert "100%" in stream.getvalue()


async def test_the_command_prints_true_progress_lines_off_a_terminal(
    db: TestDatabase, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = map_file(tmp_path / "scores.csv", 12_000)  # three batches of 5,000 rows
    monkeypatch.setattr(console, "PLAIN_EVERY", 0)
    env = {"MYPD_DATABASE_URL": db.url, "MYPD_SECRET_KEY": SECRET}

    def exercise() -> None:
        done = CliRunner().invoke(
            cli.main,
            ["import", "scores", str(path), "-o", "max_error_share=1", "--as", ADMIN],
            env=env,
        )
        assert done.exit_code == 0, done.output
        lines = [line for line in done.stderr.splitlines() if line.startswith("importing")]
        shares = [int(re.search(r": (\d+)% ", line)[1]) for line in lines]  # type: ignore[index]
        assert len(shares) == 3 and shares == sorted(shares) and shares[-1] == 100
        assert 30 <= shares[0] <= 55, lines  # 5,000 of 12,000 rows
        assert lines[0].startswith("importing scores.csv (nwea-map): ")
        assert "5,000 rows" in lines[0] and "10,000 rows" in lines[1]
        assert "read 12,000 rows: 0 inserted" in done.stdout

    await asyncio.to_thread(exercise)
