"""A new version of a framework (the same CFDocument, a new version) keeps element identity and
every rating, goal and piece of evidence made against the old one (issue 13.3), on every database.

Version 2 of the state's standards rewords S1.A, retires S1.B (its code now names a new item),
adds S2.C, and says S1.B is replacedBy the new S1.B: the framework keeps its key and rows, the
old S1.B keeps its ratings, goal and evidence, the crosswalk holds the replacement, and needs read
the old rating on the new element through it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from mypd_graph import models
from tests.factories import ADMIN, TEACHER_A
from tests.needs_helpers import share_widely
from tests.plans_helpers import ADD_GOAL, CREATE_PLAN
from tests.test_case_import import run, upload
from tests.test_framework_swap import ACTIVATE, LEVELS, STATE_DOC, STATE_ITEMS, _ident, case_package

V2_ITEMS = [
    ("S1", "Engaging all students", None),
    ("S1.A", "Students' interests and lives connect to learning", "S1"),  # reworded
    ("S1.B2", "Students pose questions, reason and solve problems", "S1"),  # new, gets S1.B's code
    ("S2", "A productive learning environment", None),
    ("S2.A", "Relationships of respect and trust", "S2"),
    ("S2.B", "Norms that let every student learn", "S2"),
    ("S2.C", "Routines that use time for learning", "S2"),  # added
]
FRAMEWORK = """
query { framework(key: "state") {
  version
  versions { version added retired changed { code before after } }
  standards { elements { code retired identifier crosswalk { relation fromElement { code retired }
                                                      toElement { code retired } } } }
} }
"""


def version_two() -> bytes:
    """Version 2: the item that takes S1.B's code has a new identifier (a new element)."""
    body = json.loads(case_package(V2_ITEMS, version="2026"))
    for item in body["CFItems"]:
        if item["humanCodingScheme"] == "S1.B2":
            item["humanCodingScheme"] = "S1.B"
    body["CFAssociations"].append(
        {
            "identifier": _ident(STATE_DOC, "replaced:S1.B"),
            "associationType": "replacedBy",
            "originNodeURI": {"identifier": _ident(STATE_DOC, "S1.B")},
            "destinationNodeURI": {"identifier": _ident(STATE_DOC, "S1.B2")},
        }
    )
    return json.dumps(body).encode()


async def element(db: Any, identifier: str) -> models.Standard:
    async with db.sessionmaker() as session:
        return await session.scalar(
            select(models.Standard).where(models.Standard.identifier == identifier)
        )


async def test_a_new_version_keeps_identity_and_history(db, world, client, tmp_path) -> None:
    done = await upload(client, case_package(STATE_ITEMS), key="state", levels=LEVELS)
    assert done["userErrors"] == []
    switched = await client.execute(ACTIVATE, {"input": {"key": "state"}}, as_=ADMIN)
    assert switched["activateFramework"]["userErrors"] == []
    await share_widely(db, world)
    old_a = await element(db, _ident(STATE_DOC, "S1.A"))
    old_b = await element(db, _ident(STATE_DOC, "S1.B"))

    # Elena's history on version 1: a self-rating, a goal and evidence on S1.B
    submit = (
        "mutation($input: SubmitSelfAssessmentInput!) { submitSelfAssessment(input: $input) { "
        "userErrors { code } } }"
    )
    ratings = [{"elementCode": "S1.B", "level": "developing"}]
    await client.execute(submit, {"input": {"cycle": "2025-26", "ratings": ratings}}, as_=TEACHER_A)
    plan = await client.execute(CREATE_PLAN, {"input": {"cycle": "2025-26"}}, as_=TEACHER_A)
    goal_input = {
        "planId": plan["createLearningPlan"]["plan"]["id"],
        "title": "Questions",
        "elementCodes": ["S1.B"],
    }
    goal = await client.execute(ADD_GOAL, {"input": goal_input}, as_=TEACHER_A)
    assert goal["addGoal"]["userErrors"] == []
    evidence = await client.execute(
        "mutation($input: AddEvidenceInput!) { addEvidence(input: $input) { userErrors { code } } }",
        {"input": {"kind": "REFLECTION", "title": "Question stems", "elementCodes": ["S1.B"]}},
        as_=TEACHER_A,
    )
    assert evidence["addEvidence"]["userErrors"] == []

    # version 2, from the command line, without --key: the same document is the same framework
    path = tmp_path / "state-2026.json"
    path.write_bytes(version_two())
    result = await run(
        "frameworks", "import-case", str(path), "--levels", ",".join(LEVELS), url=db.url
    )
    assert "updated framework state" in result.stdout
    assert "1 crosswalk association(s) written" in result.stdout
    again = await run(
        "frameworks", "import-case", str(path), "--levels", ",".join(LEVELS), url=db.url
    )
    assert "framework state is up to date: nothing changed" in again.stdout

    data = (await client.execute(FRAMEWORK, as_=TEACHER_A))["framework"]
    assert data["version"] == "2026"
    assert data["versions"] == [
        {
            "version": "2025",
            "added": ["S1.A", "S1.B", "S2.A", "S2.B"],
            "retired": [],
            "changed": [],
        },
        {
            "version": "2026",
            "added": ["S1.B", "S2.C"],
            "retired": ["S1.B"],  # the code it had; it now reads S1.B~<id>
            "changed": [
                {
                    "code": "S1.A",
                    "before": "Students' interests connect to learning",
                    "after": "Students' interests and lives connect to learning",
                }
            ],
        },
    ]
    codes = [(e["code"], e["retired"]) for s in data["standards"] for e in s["elements"]]
    assert [code for code, retired in codes if not retired] == [
        "S1.A",
        "S1.B",
        "S2.A",
        "S2.B",
        "S2.C",
    ]
    # the old S1.B is kept, under its standard, for what was made against it
    assert [code for code, retired in codes if retired] == [f"S1.B~{old_b.id}"]
    new_b = next(e for s in data["standards"] for e in s["elements"] if e["code"] == "S1.B")
    assert new_b["identifier"] == _ident(STATE_DOC, "S1.B2")
    assert new_b["crosswalk"] == [
        {
            "relation": "replacedBy",
            "fromElement": {"code": f"S1.B~{old_b.id}", "retired": True},
            "toElement": {"code": "S1.B", "retired": False},
        }
    ]

    # identity: S1.A is the same row (reworded); the old S1.B is the same row, retired, with
    # its identifier and every record made against it
    same_a = await element(db, _ident(STATE_DOC, "S1.A"))
    kept_b = await element(db, _ident(STATE_DOC, "S1.B"))
    assert same_a.id == old_a.id and same_a.text.startswith("Students' interests and lives")
    assert kept_b.id == old_b.id and kept_b.retired
    async with db.sessionmaker() as session:
        for model in (models.SelfAssessmentRating, models.GoalElement, models.EvidenceElement):
            held = await session.scalars(select(model.element_id))
            assert list(held) == [old_b.id], model

    # needs: the rating of the retired S1.B speaks for its replacement, and says so
    needs = await client.execute(
        '{ viewer { teacher { needs(first: 10, elementCode: "S1.B") { element { code } '
        "signals { kind evidence } } } } }",
        as_=TEACHER_A,
    )
    (need,) = needs["viewer"]["teacher"]["needs"]
    own = {s["kind"]: s for s in need["signals"]}["SELF_ASSESSMENT"]["evidence"][0]
    assert own == (
        "self-rated Developing (2 of 4) in the 2025-26 self-assessment (rated Developing (2 of 4), "
        f"through the crosswalk from state S1.B~{old_b.id} (replacedBy))"
    )


async def test_the_migration_gives_every_self_assessment_its_framework(db, world) -> None:
    """Migration 20261211_framework_versions: a self-assessment made before it belongs to the
    framework of the elements it rates (else the district's active one); down and up again loses
    no rating."""
    from tests.needs_helpers import self_rate
    from tests.test_case_migration import _move

    await self_rate(db, world, TEACHER_A, {"1.1": "applying"}, cycle="2024-25")
    async with db.sessionmaker.begin() as session:  # one without ratings yet
        session.add(models.SelfAssessment(teacher_id=world.id(TEACHER_A), cycle="2025-26"))
    url = db.engine.url.render_as_string(hide_password=False)
    async with db.engine.begin() as connection:
        await connection.run_sync(_move, url, "20261210_results_rules")
    async with db.engine.begin() as connection:
        await connection.run_sync(_move, url, "head")
    async with db.sessionmaker() as session:
        cstp = await session.scalar(
            select(models.Framework.id).where(models.Framework.key == "cstp-2009")
        )
        rows = await session.execute(
            select(models.SelfAssessment.cycle, models.SelfAssessment.framework_id).order_by(
                models.SelfAssessment.cycle
            )
        )
        assert rows.all() == [("2024-25", cstp), ("2025-26", cstp)]
        assert len(list(await session.scalars(select(models.SelfAssessmentRating)))) == 1
