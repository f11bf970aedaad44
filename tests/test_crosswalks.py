"""Crosswalk CSVs through the command line, the plain function plugins call, and GraphQL (issue
13.3), on every database: bad rows are named by line and load nothing; the same file twice
changes nothing; rows are read on Element.crosswalk and Framework.crosswalks."""

from __future__ import annotations

from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.services.frameworks import crosswalks
from tests.factories import ADMIN, TEACHER_A
from tests.test_case_import import run, upload
from tests.test_framework_swap import LEVELS, STATE_ITEMS, case_package

HEADER = "from_framework,from_code,to_framework,to_code,relation\n"
GOOD = HEADER + (
    "cstp-2009,1.1,state,S1.A,exactMatchOf\n"
    "cstp-2009,1.2,state,S1.B,isrelatedto\n"  # relations in any letter case
    "\n"  # blank lines are skipped
    "cstp-2009,2.1,state,S2.A,exactMatchOf\n"
)


async def rows(db) -> int:
    async with db.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(models.Crosswalk))


async def test_a_crosswalk_csv_loads_once_and_bad_rows_load_nothing(db, world, client, tmp_path):
    assert (await upload(client, case_package(STATE_ITEMS), key="state", levels=LEVELS))[
        "userErrors"
    ] == []
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "cstp-2009,1.1,state,S1.A,exactMatchOf\n"
        "cstp-2009,9.9,state,S1.A,exactMatchOf\n"
        "cstp-2009,1.1,nowhere,S1.A,exactMatchOf\n"
        "cstp-2009,1.2,state,S1,exactMatchOf\n"
        "cstp-2009,1.3,state,S1.B,sameAs\n"
        "cstp-2009,1.3,,S1.B,exactMatchOf\n",
        encoding="utf-8",
    )
    refused = await run("frameworks", "crosswalk", str(bad), url=db.url, check=False)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "bad.csv: line 7: to_framework is empty",
        "Error: bad.csv: 1 bad row(s); nothing was loaded",
    ]  # rows that cannot be read are reported before anything is looked up
    bad.write_text(bad.read_text().rsplit("\n", 2)[0] + "\n", encoding="utf-8")
    refused = await run("frameworks", "crosswalk", str(bad), url=db.url, check=False)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "bad.csv: line 3: cstp-2009 has no element '9.9' (from_code)",
        "bad.csv: line 4: no framework with key 'nowhere' (to_framework)",
        "bad.csv: line 5: state S1 is a standard, not an element (to_code)",
        "bad.csv: line 6: relation 'sameAs' is not one of exactMatchOf, isRelatedTo, replacedBy",
        "Error: bad.csv: 4 bad row(s); nothing was loaded",
    ]
    no_header = tmp_path / "no-header.csv"
    no_header.write_text("from,to\ncstp-2009,state\n", encoding="utf-8")
    refused = await run("frameworks", "crosswalk", str(no_header), url=db.url, check=False)
    assert "line 1: the header lacks the column(s) from_framework, from_code" in refused.stderr
    assert await rows(db) == 0

    good = tmp_path / "cstp-to-state.csv"
    good.write_text(GOOD, encoding="utf-8")
    loaded = await run("frameworks", "crosswalk", str(good), url=db.url)
    assert loaded.stdout == "crosswalk cstp-to-state.csv: 3 row(s) added, 0 already there\n"
    again = await run("frameworks", "crosswalk", str(good), url=db.url)
    assert again.stdout == "crosswalk cstp-to-state.csv: 0 row(s) added, 3 already there\n"
    assert await rows(db) == 3

    # what a plugin shipping such a file does: parse it, then load the rows
    parsed, errors = crosswalks.parse_csv(GOOD + "cstp-2009,1.3,state,S1.B,isRelatedTo\n")
    assert errors == [] and [row.line for row in parsed] == [2, 3, 5, 6]
    async with db.sessionmaker.begin() as session:
        result = await crosswalks.load_rows(session, parsed, source="plugin:example")
    assert (result.added, result.unchanged, result.errors) == (1, 3, [])

    element = await client.execute(
        '{ framework(key: "cstp-2009") { standards { elements { code crosswalk { relation source '
        "fromElement { code } toElement { code framework { key } } } } } } }",
        as_=TEACHER_A,
    )
    by_code = {
        e["code"]: e["crosswalk"] for s in element["framework"]["standards"] for e in s["elements"]
    }
    assert by_code["1.2"] == [
        {
            "relation": "isRelatedTo",
            "source": "csv",
            "fromElement": {"code": "1.2"},
            "toElement": {"code": "S1.B", "framework": {"key": "state"}},
        }
    ]
    assert [link["source"] for link in by_code["1.3"]] == ["plugin:example"]
    page = await client.execute(
        '{ framework(key: "state") { crosswalks(first: 2) { totalCount pageInfo { hasNextPage } '
        "nodes { fromElement { code } toElement { code } } } } }",
        as_=ADMIN,
    )
    walk = page["framework"]["crosswalks"]
    assert walk["totalCount"] == 4 and walk["pageInfo"]["hasNextPage"] is True
    assert walk["nodes"] == [
        {"fromElement": {"code": "1.1"}, "toElement": {"code": "S1.A"}},
        {"fromElement": {"code": "1.2"}, "toElement": {"code": "S1.B"}},
    ]
