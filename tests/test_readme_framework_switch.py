"""README's "Switch to your state's framework" runs as written against the demo district, on every
database: its shell block, command by command, in a folder holding a state's CASE package (the
CSTP export retitled as the state's) and a crosswalk that maps every CSTP element but those of
standard 6. Then every teacher's focus elements and open goals are on the state's framework or
listed as unmapped, the preview's numbers are the switch's, and Elena's needs (over HTTP) are
scored from her CSTP history through the crosswalk."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.app import create_app
from mypd_graph.auth import mint_token
from mypd_graph.demo import load_demo
from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[1]
SECTION = re.compile(r"## Switch to your state's framework\n.*?```sh\n(.*?)```", re.DOTALL)
ELENA = "elena.ramirez@demo.mypd.test"


def commands() -> list[list[str]]:
    match = SECTION.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README lost its Switch to your state's framework block"
    lines = [line.strip() for line in match[1].splitlines()]
    return [shlex.split(line) for line in lines if line and not line.startswith("#")]


def run(folder: Path, command: list[str], url: str) -> str:
    assert command[0] == "mypd-graph", command
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPD_")}
    env["MYPD_DATABASE_URL"] = url
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


def state_files(folder: Path, url: str) -> None:
    """The state's package (CSTP's export under the state's title) and the reviewed crosswalk."""
    run(folder, ["mypd-graph", "frameworks", "export-case", "cstp-2009", "-o", "cstp.json"], url)
    package = json.loads((folder / "cstp.json").read_text(encoding="utf-8"))
    package["CFDocument"]["title"] = "State Teaching Standards"
    (folder / "state-standards.json").write_text(json.dumps(package), encoding="utf-8")
    codes = [
        item["humanCodingScheme"]
        for item in package["CFItems"]
        if item["humanCodingScheme"].count(".") == 1
    ]
    with (folder / "cstp-to-state.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["from_framework", "from_code", "to_framework", "to_code", "relation"])
        for code in codes:
            if not code.startswith("6."):
                writer.writerow(["cstp-2009", code, "state-teaching", code, "exactMatchOf"])


async def test_switch_to_your_states_framework_runs_as_written(db, settings, plugins, tmp_path):
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
        elena = await session.scalar(select(models.User.id).where(models.User.email == ELENA))
        focus_before = await session.scalar(select(func.count()).select_from(models.FocusElement))
        ratings_before = await session.scalar(
            select(func.count()).select_from(models.SelfAssessmentRating)
        )
    await asyncio.to_thread(state_files, tmp_path, db.url)

    outputs = []
    for command in commands():
        outputs.append(await asyncio.to_thread(run, tmp_path, command, db.url))
    imported, crosswalk, preview, switched = outputs
    assert "imported framework state-teaching" in imported
    assert re.match(r"crosswalk cstp-to-state\.csv: \d+ row\(s\) added, 0 already there", crosswalk)
    assert preview.startswith("would switch from cstp-2009 to state-teaching")
    assert switched.startswith("switched from cstp-2009 to state-teaching")
    # what the preview said is what the switch did
    assert preview.splitlines()[1:] == switched.splitlines()[1:]
    focus = dict(re.findall(r"focus elements: (\d+) map, (\d+) do not", switched))
    (mapped, unmapped), = focus.items()  # fmt: skip

    async with db.sessionmaker() as session:
        keys = (
            await session.execute(
                select(models.Framework.key, func.count())
                .join(models.Standard, models.Standard.framework_id == models.Framework.id)
                .join(models.FocusElement, models.FocusElement.element_id == models.Standard.id)
                .group_by(models.Framework.key)
            )
        ).all()
        listed = await session.scalar(
            select(func.count())
            .select_from(models.FrameworkSwapItem)
            .where(
                models.FrameworkSwapItem.kind == "focus",
                models.FrameworkSwapItem.to_element_id.is_(None),
            )
        )
        ratings_after = await session.scalar(
            select(func.count()).select_from(models.SelfAssessmentRating)
        )
    # every focus element is on the state's framework, or listed as unmapped: none lost
    assert dict(keys) == {"state-teaching": int(mapped)}
    assert listed == int(unmapped) and int(mapped) + int(unmapped) == focus_before
    assert ratings_after == ratings_before

    app = create_app(settings, plugins=plugins, engine=db.engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": "{ viewer { teacher { needs(first: 5) { score element { code framework "
                "{ key } } signals { evidence } } } } }"
            },
            headers={"Authorization": f"Bearer {mint_token(SECRET, elena, ELENA)}"},
        )
    needs = response.json()["data"]["viewer"]["teacher"]["needs"]
    assert needs and all(n["element"]["framework"]["key"] == "state-teaching" for n in needs)
    assert all(n["score"] is not None for n in needs)
    words = [e for n in needs for s in n["signals"] for e in s["evidence"]]
    assert any("through the crosswalk from cstp-2009" in w for w in words), words
