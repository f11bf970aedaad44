"""A framework a plugin ships as a CASE package belongs to that plugin, on both databases: an
admin's re-import over it (`frameworks import-case`, `importCaseFramework`) is refused with one
message and changes nothing, while the plugin's own sync still updates it and another key takes a
copy; `frameworks list` names the plugin."""

from __future__ import annotations

from typing import Any

import mypd_graph_intasc

from mypd_graph.services.frameworks.registry import sync_frameworks
from tests.test_case_import import run, upload
from tests.test_plugin_case_packages import CASE, KEY, framework_state, installed

REFUSED = (
    f"framework {KEY} is shipped by the plugin intasc as a CASE package, which it imports again "
    "at every start-up: import this package under another --key"
)


async def start(db: Any) -> dict[str, Any]:
    """The start-up's sync of the installed plugins; what it wrote for InTASC."""
    async with db.sessionmaker.begin() as session:
        await sync_frameworks(session, installed(), CASE)
    return await framework_state(db)


async def test_the_command_refuses_a_reimport_over_the_plugins_framework(db) -> None:
    before = await start(db)
    package = str(mypd_graph_intasc.PACKAGE)
    for args in ((), ("--key", KEY)):  # the same CFDocument finds the key; or named outright
        refused = await run("frameworks", "import-case", package, *args, url=db.url, check=False)
        assert refused.returncode != 0
        assert refused.stderr.strip() == f"Error: {REFUSED}", refused.stderr
    assert await framework_state(db) == before

    copy = await run("frameworks", "import-case", package, "--key", "intasc-copy", url=db.url)
    assert "imported framework intasc-copy" in copy.stdout
    async with db.sessionmaker.begin() as session:  # the plugin still syncs its own
        assert (await sync_frameworks(session, installed(), CASE))[KEY] is False
    assert await framework_state(db) == before


async def test_the_mutation_refuses_a_reimport_over_the_plugins_framework(db, client) -> None:
    before = await start(db)
    content = mypd_graph_intasc.PACKAGE.read_bytes()
    for variables in ({}, {"key": KEY}):
        done = await upload(client, content, **variables)
        assert done["userErrors"] == [
            {"field": ["input", "file"], "message": REFUSED, "code": "CASE_REJECTED"}
        ], done
    assert await framework_state(db) == before


async def test_list_names_the_plugin_of_a_case_framework(db) -> None:
    await start(db)
    listed = (await run("frameworks", "list", url=db.url)).stdout.splitlines()
    origins = {line.split("\t")[0]: line.split("\t")[1] for line in listed}
    assert origins[KEY] == "case (plugin intasc)"
    assert origins["cstp-2009"] == "plugin cstp"
