"""README's "Set up your district" runs as written: its shell block, command by command, in a
folder holding a real OneRoster export (``oneroster.zip``) and a real NWEA MAP file
(``map_scores.csv``), against the fresh SQLite database ``mypd.db`` there. Then the district, its
staff, the roster and the scores are in the database."""

from __future__ import annotations

import asyncio
import csv
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.db import create_engine, create_sessionmaker
from tests.import_helpers import FIXTURES, ROSTER

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SECTION = re.compile(r"## Set up your district\n.*?```sh\n(.*?)```", re.DOTALL)
DOMAIN = "lakeview.example"
# The roster fixture's students with their state ids, for the score file.
STUDENTS = {
    "100234": ("s1", "1100000001"),
    "100235": ("s2", "1100000002"),
    "100236": ("s3", "1100000003"),
}


def setup_commands() -> list[list[str]]:
    """The block's commands (comments and blank lines dropped), split as a shell would."""
    match = SECTION.search(README.read_text(encoding="utf-8"))
    assert match, "README lost its Set up your district block"
    lines = [line.strip() for line in match[1].splitlines()]
    return [shlex.split(line) for line in lines if line and not line.startswith("#")]


def district_files(folder: Path) -> None:
    """What a district would have: its OneRoster export zipped (the fixture export, with the
    district's email domain) and its MAP file (the fixture's, with the roster's students)."""
    with zipfile.ZipFile(folder / "oneroster.zip", "w") as archive:
        for path in sorted(ROSTER.iterdir()):
            text = path.read_text(encoding="utf-8").replace("@test.mypd", f"@{DOMAIN}")
            archive.writestr(path.name, text)
    source = FIXTURES / "scores" / "nwea_map_assessment_results.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        row["StudentID"], row["Student_StateID"] = STUDENTS[row["StudentID"]]
    with (folder / "map_scores.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def run(folder: Path, command: list[str]) -> str:
    assert command[0] in ("mypd-graph", ".venv/bin/mypd-graph"), command
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPD_")}
    result = subprocess.run(
        [sys.executable, "-m", "mypd_graph", *command[1:]],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result.stdout


async def district_state(database: Path) -> dict[str, object]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with create_sessionmaker(engine)() as session:
            district = await session.scalar(select(models.District))
            assert district is not None
            users = {
                user.email: (user.role, user.district_id)
                for user in await session.scalars(select(models.User))
            }
            coach = await session.scalar(
                select(models.User.id).where(models.User.email == f"cora.coach@{DOMAIN}")
            )
            served = set(
                await session.scalars(
                    select(models.User.email)
                    .join(
                        models.CoachAssignment, models.CoachAssignment.teacher_id == models.User.id
                    )
                    .where(models.CoachAssignment.coach_id == coach)
                )
            )
            runs = [
                (run.importer, run.status)
                for run in await session.scalars(select(models.ImportRun))
            ]
            return {
                "district": (district.key, district.name, district.active_framework_id is not None),
                "users": users,
                "served": served,
                "runs": runs,
                "students": await session.scalar(select(func.count()).select_from(models.Student)),
                "results": await session.scalar(
                    select(func.count()).select_from(models.AssessmentResult)
                ),
            }
    finally:
        await engine.dispose()


def test_set_up_your_district_runs_as_written(tmp_path: Path) -> None:
    district_files(tmp_path)
    outputs = [run(tmp_path, command) for command in setup_commands()]
    assert any("district lakeview created" in output for output in outputs)

    state = asyncio.run(district_state(tmp_path / "mypd.db"))
    assert state["district"] == ("lakeview", "Lakeview Unified", True)
    users = state["users"]
    assert isinstance(users, dict)
    assert users[f"it@{DOMAIN}"][0] == "district_admin"
    assert users[f"principal.north@{DOMAIN}"][0] == "principal"  # an administrator in the roster
    assert users[f"dana.okafor@{DOMAIN}"][0] == "teacher"
    assert users[f"cora.coach@{DOMAIN}"][0] == "coach"
    assert state["served"] == {f"ana.teacher@{DOMAIN}", f"ben.teacher@{DOMAIN}"}
    assert state["runs"] == [("oneroster", "completed"), ("csv-scores", "completed")]
    assert state["students"] == 7
    assert state["results"]
