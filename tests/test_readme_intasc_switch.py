"""README's "Switch to your state's framework": the block that tries the switch on the demo with
the InTASC plugin runs as written, command by command, on every database: the preview changes
nothing, the switch moves the demo district to InTASC, and the last command brings it back."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.app import prepare_database
from mypd_graph.demo import load_demo
from tests.test_cli import cli
from tests.test_plugin_case_packages import installed

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(
    r"## Switch to your state's framework\n.*?Try it on the demo with the InTASC plugin.*?"
    r"```sh\n(.*?)```",
    re.DOTALL,
)


def commands() -> list[list[str]]:
    match = BLOCK.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README lost its InTASC block under Switch to your state's framework"
    return [shlex.split(line) for line in match[1].splitlines() if line.strip()]


async def active_key(db) -> str | None:  # type: ignore[no-untyped-def]
    async with db.sessionmaker() as session:
        return await session.scalar(
            select(models.Framework.key).join(
                models.District, models.District.active_framework_id == models.Framework.id
            )
        )


async def test_the_readme_intasc_block_runs_as_written(db, settings) -> None:
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
    await prepare_database(db.engine, settings, installed())
    steps = commands()
    assert [command[:3] for command in steps] == [["mypd-graph", "frameworks", "activate"]] * 3
    outputs = []
    for command in steps:
        done = await asyncio.to_thread(cli, *command[1:], env={"MYPD_DATABASE_URL": db.url})
        outputs.append(done.stdout)
        if "--preview" in command:
            assert await active_key(db) == "cstp-2009", "a preview changes nothing"
    preview, switched, back = outputs
    assert preview.startswith("would switch from cstp-2009 to intasc-2013"), preview
    assert switched.startswith("switched from cstp-2009 to intasc-2013"), switched
    assert back.startswith("switched from intasc-2013 to cstp-2009"), back
    assert await active_key(db) == "cstp-2009"
