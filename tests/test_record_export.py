"""A teacher's record is theirs to take (issue 12.4): ``exportMyRecord`` and ``mypd-graph teacher
export``, on both databases: the whole record as one JSON document of the documented shape
(docs/privacy.md), no student names, only for the teacher, audited."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GraphQLClient, TestDatabase
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    TEACHER_A,
    TEACHER_B,
    World,
)
from tests.students_helpers import teacher_gid
from tests.test_audit_trail import build_plan, trail
from tests.test_audit_trail_export import run_cli
from tests.test_corrections import records

DOCS = Path(__file__).resolve().parent.parent / "docs" / "privacy.md"
EXPORT = "{ exportMyRecord }"


async def export(client: GraphQLClient, as_: str) -> Any:
    return (await client.execute(EXPORT, as_=as_))["exportMyRecord"]


def conforms(actual: Any, documented: Any, path: str = "") -> list[str]:
    """Where ``actual`` departs from the documented example: dicts have exactly its keys, list
    items have the shape of its first item."""
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{path}: not an object"]
        problems = [f"{path}.{k}: not documented" for k in actual.keys() - documented.keys()]
        problems += [f"{path}.{k}: documented, missing" for k in documented.keys() - actual.keys()]
        for key in actual.keys() & documented.keys():
            problems += conforms(actual[key], documented[key], f"{path}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{path}: not a list"]
        return [p for item in actual if documented for p in conforms(item, documented[0], path)]
    return []


def documented_example() -> dict[str, Any]:
    text = DOCS.read_text()
    section = text.split("## A teacher's record", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block, "docs/privacy.md shows the document in a json block"
    return json.loads(block.group(1))


async def test_the_teacher_exports_their_whole_record(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    await records(client, world)
    await build_plan(client)
    document = await export(client, TEACHER_A)
    assert document["format"] == "mypd-teacher-record/1"
    assert (
        document["teacher"]["email"] == TEACHER_A and document["teacher"]["name"] == "Ana Alvarez"
    )
    assert document["teacher"]["school"] == "North Elementary"
    titles = {item["title"] for item in document["evidence"]}
    assert titles == {"Wrong file", "Exit tickets"}
    wrong = next(item for item in document["evidence"] if item["title"] == "Wrong file")
    assert wrong["elements"] == ["1.1"]
    assert [c["author"] for c in wrong["comments"]] == ["Cora Coach"]
    assert [t["title"] for t in document["training"]] == ["Not mine"]
    assert document["self_assessments"][0]["ratings"] == [
        {"element": "1.1", "level": "exploring", "note": ""}
    ]
    assert [o["observer"] for o in document["observations"]] == ["Cora Coach"]
    (plan,) = document["plans"]
    assert plan["status"] == "draft" and [g["title"] for g in plan["goals"]] == ["Checks"]
    assert [e["action"] for e in plan["events"]] == ["submit", "return"]
    terms = document["growth"]["students_results_by_term"]
    assert terms and all(term["suppressed"] for term in terms), "3 students: below the minimum"

    text = json.dumps(document)
    for local_id in world.student_ids:
        assert f"First{local_id}" not in text and f"Last{local_id}" not in text
    assert "Far" not in text and "student_id" not in text

    events = await trail(client, action="export")
    assert [(e["entity"], e["actor"]["email"], e["teachers"]) for e in events] == [
        ("teacher_record", TEACHER_A, [teacher_gid(world, TEACHER_A)])
    ]


async def test_the_document_has_the_documented_shape(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    await records(client, world)
    await build_plan(client)
    document = await export(client, TEACHER_A)
    other = await export(client, TEACHER_B)  # a teacher with an empty record has the same keys
    documented = documented_example()
    assert conforms(document, documented) == []
    assert conforms(other, documented) == []


@pytest.mark.parametrize("viewer", [TEACHER_B, COACH, PRINCIPAL_NORTH, ADMIN, OUTSIDER, IMPORTER])
async def test_only_the_teacher_exports_their_record(
    client: GraphQLClient, db: TestDatabase, world: World, viewer: str
) -> None:
    await records(client, world)
    document = await export(client, viewer)
    if viewer == TEACHER_B:
        assert document["teacher"]["email"] == TEACHER_B, "their own, never Ana's"
        assert document["evidence"] == [] and document["observations"] == []
    else:
        assert document is None


async def test_the_operator_exports_a_teachers_record(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    await records(client, world)
    result, _ = await run_cli(db, "teacher", "export", "--email", TEACHER_A.upper())
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    mine = await export(client, TEACHER_A)
    assert {k: v for k, v in document.items() if k != "exported_at"} == {
        k: v for k, v in mine.items() if k != "exported_at"
    }
    events = await trail(client, action="export")
    assert [(e["actor"]["email"], e["detail"]) for e in events] == [
        (TEACHER_A, "exported by the teacher"),
        (None, "exported by the operator"),
    ]
    for email in ("nobody@test.mypd", COACH):
        result, _ = await run_cli(db, "teacher", "export", "--email", email)
        assert result.exit_code == 1 and "no teacher with email" in result.output
