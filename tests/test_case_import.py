"""CASE in: the command line and the importCaseFramework mutation, on every database.

The CSTP round trip (export, import under a new key: same tree, codes, texts, order and levels),
real publishers' packages (OpenSALT exports, tests/fixtures/case/README.md), packages refused
whole with one clear message, re-imports that change nothing, and an imported framework that a
restart's plugin sync leaves alone.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mypd_graph.app import prepare_database
from mypd_graph.models import Framework, RatingLevel, Standard
from tests.factories import ADMIN, OUTSIDER, TEACHER_A
from tests.test_cli import cli
from tests.test_imports_api import multipart

FIXTURES = Path(__file__).parent / "fixtures" / "case"
CCSS = FIXTURES / "opensalt-ccss-ratios-sample.json"
ACT = FIXTURES / "opensalt-act-holistic-math.json"

IMPORT = """
mutation($file: Upload!, $key: String, $rated: String, $levels: [String!]) {
  importCaseFramework(input: {file: $file, key: $key, ratedLevel: $rated, levels: $levels}) {
    framework { key source identifier name levels { key label } }
    changed notes
    userErrors { field message code }
  }
}
"""

TREE = """
query($key: String!) {
  framework(key: $key) {
    source
    standards {
      code title standards { code elements { code text } }
      elements { code text indicators { code text } }
    }
  }
}
"""


async def run(*args: str, url: str, check: bool = True) -> Any:
    return await asyncio.to_thread(cli, *args, env={"MYPD_DATABASE_URL": url}, check=check)


async def snapshot(db: Any, key: str) -> dict[str, Any]:
    """What a framework is, as a teacher meets it: the tree (codes, texts, order, which are
    rated) and the scale."""
    async with db.sessionmaker() as session:
        framework = await session.scalar(select(Framework).where(Framework.key == key))
        rows = list(
            await session.scalars(
                select(Standard)
                .where(Standard.framework_id == framework.id, Standard.retired.is_(False))
                .order_by(Standard.position)
            )
        )
        levels = await session.scalars(
            select(RatingLevel)
            .where(RatingLevel.framework_id == framework.id)
            .order_by(RatingLevel.position)
        )
        codes = {row.id: row.code for row in rows}
        children: dict[str | None, list[tuple[str, str, bool]]] = {}
        for row in rows:
            parent = codes.get(row.parent_id) if row.parent_id else None
            children.setdefault(parent, []).append((row.code, row.text, row.is_element))
        return {
            "tree": children,
            "levels": [(lv.key, lv.label, lv.description, lv.position) for lv in levels],
            "checksum": framework.checksum,
            "synced_at": framework.synced_at,
        }


async def upload(client: Any, content: bytes, as_: str = ADMIN, **variables: Any) -> Any:
    body, content_type = multipart(IMPORT, variables, "package.json", content, "application/json")
    response = await client.http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {client.token_for(as_)}", "content-type": content_type},
    )
    data = response.json()
    assert response.status_code == 200 and "errors" not in data, data
    return data["data"]["importCaseFramework"]


async def test_cstp_round_trip_is_exact_and_a_reimport_changes_nothing(db, tmp_path: Path) -> None:
    exported = tmp_path / "cstp.json"
    await run("frameworks", "export-case", "cstp-2009", "--output", str(exported), url=db.url)
    first = await run("frameworks", "import-case", str(exported), "--key", "cstp-copy", url=db.url)
    assert "imported framework cstp-copy: 44 items, 38 rated" in first.stdout

    original, copied = await snapshot(db, "cstp-2009"), await snapshot(db, "cstp-copy")
    assert copied["tree"] == original["tree"]
    assert list(copied["tree"])[:3] == [None, "1", "2"]
    assert [code for code, _, _ in copied["tree"]["1"]] == [f"1.{n}" for n in range(1, 7)]
    assert copied["levels"] == original["levels"]
    assert [key for key, *_ in copied["levels"]] == [
        "emerging", "exploring", "applying", "integrating", "innovating",
    ]  # fmt: skip

    again = await run("frameworks", "import-case", str(exported), "--key", "cstp-copy", url=db.url)
    assert "framework cstp-copy is up to date: nothing changed" in again.stdout
    unchanged = await snapshot(db, "cstp-copy")
    assert (unchanged["checksum"], unchanged["synced_at"]) == (
        copied["checksum"],
        copied["synced_at"],
    )

    # The copy exports as the same package, but with identifiers of its own.
    second = tmp_path / "copy.json"
    await run("frameworks", "export-case", "cstp-copy", "-o", str(second), url=db.url)
    a, b = json.loads(exported.read_text()), json.loads(second.read_text())

    def shape(package: dict[str, Any]) -> list[Any]:
        return [(i["humanCodingScheme"], i["fullStatement"], i["CFItemType"]) for i in package["CFItems"]]  # fmt: skip

    assert shape(a) == shape(b)
    assert not {i["identifier"] for i in a["CFItems"]} & {i["identifier"] for i in b["CFItems"]}


async def test_a_real_publishers_package_with_an_uneven_tree(db, client) -> None:
    content = CCSS.read_bytes()
    refused = await upload(client, content, levels=["Beginning", "Developing", "Proficient"])
    assert refused["framework"] is None
    assert refused["userErrors"][0]["message"] == (
        "the tree's leaves are at levels 2, 3: choose the rated level with --rated-level (a level "
        "number, 1 = the top, or an item type: Cluster, Component, Standard)"
    )

    done = await upload(
        client, content, rated="Standard", levels=["Beginning", "Developing", "Proficient"]
    )
    assert done["userErrors"] == [] and done["changed"] is True
    framework = done["framework"]
    assert framework["key"] == "what-standards-could-be" and framework["source"] == "case"
    assert framework["identifier"] == "20c5134f-423d-4097-a971-3dd5152bf507"
    assert [lv["key"] for lv in framework["levels"]] == ["beginning", "developing", "proficient"]
    assert done["notes"] == [
        "23 association(s) other than isChildOf left out (crosswalks are loaded apart)"
    ]

    data = await client.execute(TREE, {"key": "what-standards-could-be"}, as_=TEACHER_A)
    standards = data["framework"]["standards"]
    assert [s["code"] for s in standards] == [
        "CCSS.Math.Content.6.RP.A",
        "CCSS.Math.Content.7.RP.A",
    ]  # sequenceNumber 1, 2
    assert [e["code"] for e in standards[0]["elements"]] == [
        "CCSS.Math.Content.6.RP.A.1",
        "CCSS.Math.Content.6.RP.A.2",
        "CCSS.Math.Content.6.RP.A.3",
    ]
    assert standards[0]["elements"][0]["text"].startswith("Understand the concept of a ratio")
    assert standards[0]["elements"][0]["indicators"] == []
    assert [i["code"] for i in standards[0]["elements"][2]["indicators"]] == [
        f"CCSS.Math.Content.6.RP.A.3{letter}" for letter in "abcd"
    ]

    async with db.sessionmaker() as session:  # components stay under their standard, unrated
        rows = list(
            await session.scalars(
                select(Standard)
                .where(Standard.code.like("CCSS.Math.Content.6.RP.A.3%"))
                .order_by(Standard.position)
            )
        )
    assert [(r.code, r.is_element) for r in rows] == [
        ("CCSS.Math.Content.6.RP.A.3", True),
        ("CCSS.Math.Content.6.RP.A.3a", False),
        ("CCSS.Math.Content.6.RP.A.3b", False),
        ("CCSS.Math.Content.6.RP.A.3c", False),
        ("CCSS.Math.Content.6.RP.A.3d", False),
    ]
    assert len({r.parent_id for r in rows[1:]}) == 1 and rows[1].parent_id == rows[0].id

    same = await upload(
        client, content, rated="Standard", levels=["Beginning", "Developing", "Proficient"]
    )
    assert same["changed"] is False and same["userErrors"] == []


DEEP = """
query($key: String!) {
  framework(key: $key) {
    standards { code standards { code standards { code standards { code elements { code } } } } }
  }
}
"""


async def test_a_five_level_package_without_sequence_numbers(db, client) -> None:
    result = await run("frameworks", "import-case", str(ACT), "--levels", "Low,High", url=db.url)
    assert "imported framework act-holistic-framework-math: 28 items, 24 rated" in result.stdout
    tree = (await snapshot(db, "act-holistic-framework-math"))["tree"]
    assert [code for code, *_ in tree[None]] == ["H.A.MATH.GM"]
    leaves = [code.rsplit(".", 1)[1] for code, _, rated in tree["H.A.MATH.GM.PF.2DFP.L1"]]
    assert leaves == [str(n) for n in range(1, 25)]  # 1, 2, ... 10, not 1, 10, 11

    data = await client.execute(DEEP, {"key": "act-holistic-framework-math"}, as_=TEACHER_A)
    [domain] = data["framework"]["standards"]
    [area] = domain["standards"]
    [topic] = area["standards"]
    [level] = topic["standards"]
    assert level["code"] == "H.A.MATH.GM.PF.2DFP.L1"
    assert [e["code"] for e in level["elements"]][:3] == [
        "H.A.MATH.GM.PF.2DFP.L1.1",
        "H.A.MATH.GM.PF.2DFP.L1.2",
        "H.A.MATH.GM.PF.2DFP.L1.3",
    ]


def package(*items: tuple[str, str | None], links: list[tuple[str, str]] | None = None) -> bytes:
    """A small package: items (identifier, statement) and isChildOf links (child, parent)."""
    doc = "d0000000-0000-0000-0000-000000000000"
    body: dict[str, Any] = {
        "CFDocument": {"identifier": doc, "title": "Tiny", "uri": f"https://x.test/{doc}"},
        "CFItems": [
            {"identifier": ident, "fullStatement": text, "humanCodingScheme": ident.upper()}
            for ident, text in items
        ],
        "CFAssociations": [
            {
                "identifier": f"a-{child}",
                "associationType": "isChildOf",
                "originNodeURI": {"title": child, "identifier": child, "uri": f"u:{child}"},
                "destinationNodeURI": parent if parent == "doc-uri" else {"identifier": parent},
            }
            for child, parent in (links or [])
        ],
    }
    text = json.dumps(body).replace('"doc-uri"', json.dumps(f"https://x.test/{doc}"))
    return text.encode()


GOOD_ITEMS = (("s1", "Standard one"), ("e1", "Element one"))
GOOD_LINKS = [("s1", "doc-uri"), ("e1", "s1")]


async def test_packages_that_cannot_be_a_framework_are_refused_whole(db, client) -> None:
    levels = ["Low", "High"]
    ok = await upload(client, package(*GOOD_ITEMS, links=GOOD_LINKS), key="tiny", levels=levels)
    assert ok["userErrors"] == [] and ok["framework"]["key"] == "tiny"

    deep = b"[" * 100_000 + b"]" * 100_000
    wrong_types = json.loads(package(*GOOD_ITEMS, links=GOOD_LINKS))
    wrong_types["CFItems"][1]["fullStatement"] = {"text": "no"}
    cases = {
        "dangling": package(*GOOD_ITEMS, ("e2", "Two"), links=[*GOOD_LINKS, ("e2", "ghost")]),
        "cycle": package(
            *GOOD_ITEMS, ("e2", "Two"), links=[("s1", "doc-uri"), ("e1", "e2"), ("e2", "e1")]
        ),
        "duplicate": package(*GOOD_ITEMS, ("e1", "Again"), links=GOOD_LINKS),
        "no statement": package(("s1", "Standard one"), ("e1", None), links=GOOD_LINKS),
        "empty tree": package(*GOOD_ITEMS, links=[]),
        "not json": b"\xff\xfe not json",
        "deep": deep,
        "wrong types": json.dumps(wrong_types).encode(),
        "not a package": b'{"hello": "world"}',
        "too deep": package(
            *[(f"n{i}", f"Node {i}") for i in range(13)],
            links=[("n0", "doc-uri")] + [(f"n{i}", f"n{i - 1}") for i in range(1, 13)],
        ),
    }
    expected = {
        "dangling": "association a-e2 (isChildOf) points at ghost, which the package does not "
        "contain",
        "cycle": "the isChildOf associations make a cycle: E1 → E2 → E1",
        "duplicate": "identifier e1 is used twice in the package",
        "no statement": "CFItem e1 has no fullStatement: every item needs a statement",
        "empty tree": "the package's tree is empty: no item is a child of the document",
        "not json": "the file is not valid JSON",
        "deep": "the file nests too deeply to be a CASE package",
        "wrong types": "CFItem e1.fullStatement must be text, not dict",
        "not a package": "the file has no CFDocument: it is not a CASE package (CFPackage JSON)",
        "too deep": "the tree is 13 levels deep; at most 12 are accepted",
    }
    for name, content in cases.items():
        result = await upload(client, content, key=f"bad-{name.replace(' ', '-')}", levels=levels)
        assert result["framework"] is None, name
        [error] = result["userErrors"]
        assert error["code"] == "CASE_REJECTED", name
        assert error["message"].startswith(expected[name]), (name, error["message"])

    forbidden = await upload(client, package(*GOOD_ITEMS, links=GOOD_LINKS), as_=TEACHER_A)
    assert forbidden["userErrors"][0]["code"] == "FORBIDDEN"
    no_levels = await upload(client, package(*GOOD_ITEMS, links=GOOD_LINKS), key="tiny-2")
    assert no_levels["userErrors"][0]["message"].startswith("the package has no rubric")

    async with db.sessionmaker() as session:
        keys = set(await session.scalars(select(Framework.key)))
    assert "tiny" in keys and not [key for key in keys if key.startswith("bad-")]


async def test_an_imported_framework_survives_a_restart(db, settings, plugins, tmp_path) -> None:
    exported = tmp_path / "cstp.json"
    await run("frameworks", "export-case", "cstp-2009", "-o", str(exported), url=db.url)
    # An admin imports a package under a key; a plugin later offers the same key: the import stays.
    await run("frameworks", "import-case", str(exported), "--key", "cstp-2009-state", url=db.url)
    before = await snapshot(db, "cstp-2009-state")
    await prepare_database(db.engine, settings, plugins)  # what every start-up runs

    from mypd_graph.plugins.types import Element, FrameworkDefinition, RatingLevel
    from mypd_graph.plugins.types import Standard as StandardDef
    from mypd_graph.services.frameworks.registry import sync_framework

    impostor = FrameworkDefinition(
        key="cstp-2009-state",
        name="Not it",
        version="1",
        jurisdiction="",
        levels=(RatingLevel("a", "A"), RatingLevel("b", "B")),
        standards=(StandardDef("9", "Nine", (Element("9.1", "Nine one"),)),),
    )
    async with db.sessionmaker.begin() as session:
        _, changed = await sync_framework(session, impostor, "impostor")
    assert changed is False
    after = await snapshot(db, "cstp-2009-state")
    assert after == before
    listed = await run("frameworks", "list", url=db.url)
    assert "cstp-2009-state\tcase\t2009\tCalifornia Standards for the Teaching Profession" in (
        listed.stdout
    )


async def test_import_from_a_url_and_the_limits_of_a_file(db, tmp_path: Path) -> None:
    import http.server
    import threading

    from tests.helpers import free_port

    body = package(*GOOD_ITEMS, links=GOOD_LINKS)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/slow.json":  # a byte a while: never done within the timeout
                self.send_response(200)
                self.end_headers()
                for _ in range(40):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            status, payload = (200, body) if self.path == "/tiny.json" else (404, b"{}")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        done = await run(
            "frameworks", "import-case", f"{base}/tiny.json", "--key", "tiny", "--levels", "A,B",
            url=db.url,
        )  # fmt: skip
        assert "imported framework tiny: 2 items, 1 rated" in done.stdout
        missing = await run(
            "frameworks", "import-case", f"{base}/nope.json", "--levels", "A,B", url=db.url,
            check=False,
        )  # fmt: skip
        assert missing.returncode == 1 and f"{base}/nope.json answered HTTP 404" in missing.stderr
        slow = await run(
            "frameworks", "import-case", f"{base}/slow.json", "--timeout", "1", url=db.url,
            check=False,
        )  # fmt: skip
        assert slow.returncode == 1 and "took longer than the time allowed" in slow.stderr
    finally:
        server.shutdown()
    async with db.sessionmaker() as session:
        tiny = await session.scalar(select(Framework).where(Framework.key == "tiny"))
    assert tiny.source_url == f"{base}/tiny.json"
    local = tmp_path / "tiny.json"
    local.write_bytes(body)  # the same package read from elsewhere is the same package
    same = await run("frameworks", "import-case", str(local), "--key", "tiny", "--levels", "A,B",
                     url=db.url)  # fmt: skip
    assert "framework tiny is up to date: nothing changed" in same.stdout

    huge = tmp_path / "huge.json"
    with huge.open("wb") as out:
        out.write(b'{"CFDocument": {"description": "')
        out.write(b"x" * (21 * 1024 * 1024))
        out.write(b'"}}')
    refused = await run("frameworks", "import-case", str(huge), url=db.url, check=False)
    assert refused.returncode == 1 and "is larger than 20 MB" in refused.stderr


ACTIVATE = """
mutation($key: String!) { activateFramework(key: $key) { userErrors { message } } }
"""


async def test_a_district_admin_cannot_rewrite_another_districts_active_framework(client) -> None:
    first = package(*GOOD_ITEMS, links=GOOD_LINKS)
    done = await upload(client, first, key="tiny", levels=["Low", "High"])
    assert done["userErrors"] == []
    active = await client.execute(ACTIVATE, {"key": "tiny"}, as_=ADMIN)
    assert active["activateFramework"]["userErrors"] == []

    changed = first.replace(b"Element one", b"Element one, reworded")
    refused = await upload(client, changed, as_=OUTSIDER, key="tiny", levels=["Low", "High"])
    assert refused["userErrors"][0]["message"].startswith(
        "framework tiny is another district's active framework"
    )
    same = await upload(client, first, as_=OUTSIDER, key="tiny", levels=["Low", "High"])
    assert same["userErrors"] == [] and same["changed"] is False  # nothing to change: fine
    own = await upload(client, changed, as_=ADMIN, key="tiny", levels=["Low", "High"])
    assert own["userErrors"] == [] and own["changed"] is True  # its own district's framework


async def test_items_of_other_documents_are_skipped_with_a_note(client) -> None:
    body = json.loads(package(*GOOD_ITEMS, links=GOOD_LINKS))
    other = {"title": "Other", "identifier": "o0000000", "uri": "https://x.test/o0000000"}
    body["CFItems"].append(
        {"identifier": "x1", "fullStatement": "Elsewhere", "CFDocumentURI": other}
    )
    body["CFAssociations"].append(
        {
            "identifier": "a-x1",
            "associationType": "isChildOf",
            "originNodeURI": "x1",  # plain strings, as some publishers write them
            "destinationNodeURI": "https://x.test/o0000000",
        }
    )
    body["CFAssociations"].append(
        {
            "identifier": "a-match",
            "associationType": "exactMatchOf",
            "originNodeURI": {"identifier": "e1"},
            "destinationNodeURI": {"identifier": "somewhere-else"},
        }
    )
    done = await upload(client, json.dumps(body).encode(), key="tiny", levels=["Low", "High"])
    assert done["userErrors"] == []
    assert done["notes"] == [
        "1 item(s) of other documents skipped",
        "1 association(s) other than isChildOf left out (crosswalks are loaded apart)",
    ]
