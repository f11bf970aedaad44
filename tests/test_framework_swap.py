"""A district switches to its state's framework and keeps every teacher's history (issue 13.3).

Over HTTP (activateFramework, frameworkSwap, needs, growth, submitSelfAssessment) on every
database: the preview's numbers are what the switch then does; focus elements and open goals move
through the crosswalk; what does not map is listed for the teacher; ratings, training and evidence
stay where they were and needs read them through the crosswalk, saying so; a self-assessment cycle
belongs to one framework; without a crosswalk the needs say what is missing.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.services.frameworks import crosswalks
from tests.factories import ADMIN, TEACHER_A, TEACHER_B
from tests.needs_helpers import observe, self_rate, share_widely, train
from tests.plans_helpers import ADD_GOAL, CREATE_PLAN
from tests.test_case_import import upload

STATE_DOC = "5ea7e000-0000-4000-8000-000000000000"
LEVELS = ["Beginning", "Developing", "Proficient", "Distinguished"]
# The state's tree: two standards, four elements (codes unlike CSTP's).
STATE_ITEMS = [
    ("S1", "Engaging all students", None),
    ("S1.A", "Students' interests connect to learning", "S1"),
    ("S1.B", "Students pose questions and solve problems", "S1"),
    ("S2", "A productive learning environment", None),
    ("S2.A", "Relationships of respect and trust", "S2"),
    ("S2.B", "Norms that let every student learn", "S2"),
]
# CSTP 1.1, 1.2 and 2.1 map; 1.3 (and every other) does not.
CROSSWALK = [
    ("cstp-2009", "1.1", "state", "S1.A", "exactMatchOf"),
    ("cstp-2009", "1.2", "state", "S1.B", "isRelatedTo"),
    ("cstp-2009", "2.1", "state", "S2.A", "exactMatchOf"),
]


def case_package(
    items: list[tuple[str, str, str | None]],
    *,
    version: str = "2025",
    doc: str = STATE_DOC,
    extra: list[dict[str, Any]] | None = None,
) -> bytes:
    """A CFPackage: items (code, statement, parent code), identifiers derived from the codes."""

    def ident(code: str) -> str:
        return _ident(doc, code)

    body = {
        "CFDocument": {
            "identifier": doc,
            "uri": f"https://standards.state.test/{doc}",
            "title": "State Teaching Standards",
            "version": version,
        },
        "CFItems": [
            {"identifier": ident(code), "humanCodingScheme": code, "fullStatement": text}
            for code, text, _ in items
        ],
        "CFAssociations": [
            {
                "identifier": _ident(doc, f"link:{code}"),
                "associationType": "isChildOf",
                "originNodeURI": {"identifier": ident(code)},
                "destinationNodeURI": {"identifier": ident(parent) if parent else doc},
            }
            for code, _, parent in items
        ]
        + (extra or []),
    }
    return json.dumps(body).encode()


def _ident(doc: str, name: str) -> str:
    return str(uuid.uuid5(uuid.UUID(doc), name))


async def load_state(client: Any, db: Any, *, with_crosswalk: bool = True) -> None:
    done = await upload(client, case_package(STATE_ITEMS), key="state", levels=LEVELS)
    assert done["userErrors"] == [], done
    if with_crosswalk:
        async with db.sessionmaker.begin() as session:
            result = await crosswalks.load_rows(
                session, [crosswalks.CrosswalkRow(*row) for row in CROSSWALK]
            )
        assert result.errors == [] and result.added == 3


async def history(client: Any, db: Any, world: Any) -> str:
    """Two teachers' records on CSTP: focus, an open goal, ratings, training. Returns A's goal id."""
    await share_widely(db, world)
    focus = "mutation($c: [String!]!) { setFocusElements(input: {elementCodes: $c}) { userErrors { code } } }"
    assert (await client.execute(focus, {"c": ["1.1", "1.3"]}, as_=TEACHER_A))["setFocusElements"][
        "userErrors"
    ] == []
    await client.execute(focus, {"c": ["2.1"]}, as_=TEACHER_B)
    plan = await client.execute(CREATE_PLAN, {"input": {"cycle": "2025-26"}}, as_=TEACHER_A)
    goal = await client.execute(
        ADD_GOAL,
        {
            "input": {
                "planId": plan["createLearningPlan"]["plan"]["id"],
                "title": "Engage every student",
                "elementCodes": ["1.1", "1.3"],
                "baselineLevel": "exploring",
                "targetLevel": "integrating",
            }
        },
        as_=TEACHER_A,
    )
    await self_rate(db, world, TEACHER_A, {"1.1": "exploring", "1.3": "applying"})
    await observe(db, world, TEACHER_A, {"1.2": "emerging"})
    await train(db, world, TEACHER_A, 6.0, ("1.1",))
    await self_rate(db, world, TEACHER_B, {"2.1": "emerging", "4.1": "applying"})
    return goal["addGoal"]["goal"]["id"]


COUNTS = (
    "focusMapped focusUnmapped goalElementsMapped goalElementsUnmapped selfRatingsMapped "
    "selfRatingsUnmapped observedRatingsMapped observedRatingsUnmapped"
)
ACTIVATE = (
    "mutation($input: ActivateFrameworkInput!) { activateFramework(input: $input) { "
    "district { activeFramework { key } } "
    f"swap {{ preview from {{ key }} to {{ key }} totals {{ {COUNTS} }} "
    f"teachers(first: 10) {{ totalCount nodes {{ teacher {{ name }} counts {{ {COUNTS} }} "
    "items { kind } } } } userErrors { field message code } } }"
)
MY_SWAP = (
    "{ frameworkSwap { to { key } totals { focusMapped } teachers { nodes { teacher { name } "
    "unmapped { kind element { code framework { key } } goal { title } } "
    "items { kind mapped relation element { code } mappedTo { code } } } } } }"
)
NEEDS = (
    "{ viewer { teacher { focusElements { code } needs(first: 20, includeUnscored: true) { score element { code } "
    "signals { kind evidence missingReason } } } } }"
)


async def state_of(db: Any) -> dict[str, Any]:
    """What the database holds of the teachers' records, by code and framework key."""
    async with db.sessionmaker() as session:

        async def pairs(model: Any, owner: Any) -> list[tuple[int, str, str]]:
            rows = await session.execute(
                select(owner, models.Standard.code, models.Framework.key)
                .join(models.Standard, models.Standard.id == model.element_id)
                .join(models.Framework, models.Framework.id == models.Standard.framework_id)
                .order_by(owner, models.Standard.code)
            )
            return [tuple(row) for row in rows]

        ratings = await session.scalar(
            select(func.count()).select_from(models.SelfAssessmentRating)
        )
        return {
            "focus": await pairs(models.FocusElement, models.FocusElement.teacher_id),
            "goal": await pairs(models.GoalElement, models.GoalElement.goal_id),
            "self_ratings": ratings,
            "self": await pairs(models.SelfAssessmentRating, models.SelfAssessmentRating.level_id),
        }


async def test_preview_then_switch_keeps_every_teachers_history(db, world, client) -> None:
    await load_state(client, db)
    await history(client, db, world)
    before = await state_of(db)

    preview = (
        await client.execute(ACTIVATE, {"input": {"key": "state", "preview": True}}, as_=ADMIN)
    )["activateFramework"]
    assert preview["userErrors"] == [] and preview["swap"]["preview"] is True
    assert preview["district"]["activeFramework"]["key"] == "cstp-2009"  # nothing changed
    assert await state_of(db) == before
    totals = preview["swap"]["totals"]
    assert totals == {
        "focusMapped": 2,  # A's 1.1, B's 2.1
        "focusUnmapped": 1,  # A's 1.3
        "goalElementsMapped": 1,  # 1.1 of A's goal
        "goalElementsUnmapped": 1,  # 1.3
        "selfRatingsMapped": 2,  # A's 1.1, B's 2.1
        "selfRatingsUnmapped": 2,  # A's 1.3, B's 4.1
        "observedRatingsMapped": 1,  # A's 1.2
        "observedRatingsUnmapped": 0,
    }
    per_teacher = {n["teacher"]["name"]: n["counts"] for n in preview["swap"]["teachers"]["nodes"]}
    assert sum(c["focusMapped"] for c in per_teacher.values()) == totals["focusMapped"]
    # the admin sees each teacher's counts, never their items (a draft goal is the teacher's)
    assert all(n["items"] is None for n in preview["swap"]["teachers"]["nodes"])

    done = (await client.execute(ACTIVATE, {"input": {"key": "state"}}, as_=ADMIN))[
        "activateFramework"
    ]
    assert done["userErrors"] == [] and done["swap"]["preview"] is False
    assert done["district"]["activeFramework"]["key"] == "state"
    assert done["swap"]["totals"] == totals  # what the preview said is what happened
    after = await state_of(db)
    a, b = world.id(TEACHER_A), world.id(TEACHER_B)
    # focus moved where it maps (exactly as many as the preview counted); 1.3 left the focus set
    assert after["focus"] == [(a, "S1.A", "state"), (b, "S2.A", "state")]
    assert len(after["focus"]) == totals["focusMapped"]
    # the open goal: 1.1 became S1.A, 1.3 stays (a goal never loses its subject)
    assert [(code, key) for _, code, key in after["goal"]] == [
        ("1.3", "cstp-2009"),
        ("S1.A", "state"),
    ]
    async with db.sessionmaker() as session:  # its levels at the same height of the new scale
        goal = await session.scalar(select(models.Goal))
        levels = [
            (await session.get(models.RatingLevel, level_id)).key
            for level_id in (goal.baseline_level_id, goal.target_level_id)
        ]
    assert levels == ["developing", "proficient"]  # exploring (2 of 5), integrating (4 of 5)
    # ratings are history: not one changed
    assert after["self_ratings"] == before["self_ratings"] and after["self"] == before["self"]

    # Elena's own view lists what did not map
    mine = (await client.execute(MY_SWAP, as_=TEACHER_A))["frameworkSwap"]
    assert mine["to"]["key"] == "state" and mine["totals"]["focusMapped"] == 2
    (own,) = mine["teachers"]["nodes"]
    unmapped = {
        (u["kind"], u["element"]["code"], u["element"]["framework"]["key"]) for u in own["unmapped"]
    }
    assert unmapped == {
        ("FOCUS", "1.3", "cstp-2009"),
        ("GOAL", "1.3", "cstp-2009"),
        ("SELF_RATING", "1.3", "cstp-2009"),
    }
    assert {"kind": "FOCUS", "mapped": True, "relation": "exactMatchOf", "element": {"code": "1.1"},
            "mappedTo": [{"code": "S1.A"}]} in own["items"]  # fmt: skip

    # needs on the new framework, from the old ratings and training, saying so
    teacher = (await client.execute(NEEDS, as_=TEACHER_A))["viewer"]["teacher"]
    assert [e["code"] for e in teacher["focusElements"]] == ["S1.A"]
    needs = {n["element"]["code"]: n for n in teacher["needs"]}
    assert set(needs) == {"S1.A", "S1.B", "S2.A", "S2.B"}
    assert needs["S1.A"]["score"] is not None and needs["S1.B"]["score"] is not None
    signals = {s["kind"]: s for s in needs["S1.A"]["signals"]}
    assert signals["SELF_ASSESSMENT"]["evidence"] == [
        "self-rated Developing (2 of 4) in the 2025-26 self-assessment (rated Exploring (2 of 5), "
        "through the crosswalk from cstp-2009 1.1 (exactMatchOf))"
    ]
    assert (
        "6 hours on cstp-2009 1.1, through the crosswalk (exactMatchOf)"
        in (signals["TRAINING"]["evidence"][0])
    )
    observed = {s["kind"]: s for s in needs["S1.B"]["signals"]}["OBSERVATION"]["evidence"][0]
    assert "through the crosswalk from cstp-2009 1.2 (isRelatedTo)" in observed
    # goal suggestions: on the state's elements, baselines from the carried ratings
    suggested = await client.execute(
        "{ viewer { teacher { goalSuggestions(first: 3) { element { code framework { key } } "
        "baselineSource baselineLevel { label } targetLevel { label } } } } }",
        as_=TEACHER_A,
    )
    suggestions = suggested["viewer"]["teacher"]["goalSuggestions"]
    assert suggestions and all(g["element"]["framework"]["key"] == "state" for g in suggestions)
    # (S1.A has an open goal already); S1.B's baseline is the CSTP 1.2 observation, placed
    assert suggestions[0]["element"]["code"] == "S1.B"
    assert suggestions[0]["baselineSource"] == "coaching observation on 2025-10-02"
    assert suggestions[0]["baselineLevel"] == {"label": "Beginning"}

    # a self-assessment cycle belongs to one framework: 2025-26 on the state's starts anew
    submit = (
        "mutation($input: SubmitSelfAssessmentInput!) { submitSelfAssessment(input: $input) { "
        "selfAssessment { id ratings { element { code } } } userErrors { code } } }"
    )
    new = await client.execute(
        submit,
        {
            "input": {
                "cycle": "2025-26",
                "ratings": [{"elementCode": "S1.A", "level": "proficient"}],
            }
        },
        as_=TEACHER_A,
    )
    assert new["submitSelfAssessment"]["userErrors"] == []
    assert new["submitSelfAssessment"]["selfAssessment"]["ratings"] == [
        {"element": {"code": "S1.A"}}
    ]
    async with db.sessionmaker() as session:
        cycles = (
            await session.execute(
                select(models.Framework.key, func.count())
                .join(
                    models.SelfAssessment, models.SelfAssessment.framework_id == models.Framework.id
                )
                .where(
                    models.SelfAssessment.teacher_id == a, models.SelfAssessment.cycle == "2025-26"
                )
                .group_by(models.Framework.key)
            )
        ).all()
        audit = await session.scalar(
            select(models.AuditEvent.detail).where(
                models.AuditEvent.entity == "district",
                models.AuditEvent.detail.like("active framework cstp-2009 -> state%"),
            )
        )
    assert sorted(cycles) == [("cstp-2009", 1), ("state", 1)]
    assert audit is not None and "focus mapped 2" in audit

    # her own rating of the new element now speaks for it, not the carried one
    teacher = (await client.execute(NEEDS, as_=TEACHER_A))["viewer"]["teacher"]
    s1a = {n["element"]["code"]: n for n in teacher["needs"]}["S1.A"]
    self_signal = {s["kind"]: s for s in s1a["signals"]}["SELF_ASSESSMENT"]
    assert self_signal["evidence"] == [
        "self-rated Proficient (3 of 4) in the 2025-26 self-assessment"
    ]

    # growth shows the history across the switch: the CSTP ratings and the state's
    growth = await client.execute(
        "{ viewer { teacher { growth { elements { element { code framework { key } } "
        "selfLevels { level { label } } } } } } }",
        as_=TEACHER_A,
    )
    rows = {
        (e["element"]["framework"]["key"], e["element"]["code"]): [
            s["level"]["label"] for s in e["selfLevels"]
        ]
        for e in growth["viewer"]["teacher"]["growth"]["elements"]
    }
    assert rows[("cstp-2009", "1.1")] == ["Exploring"] and rows[("state", "S1.A")] == ["Proficient"]

    # activating the active one changes nothing and records no second swap
    again = (await client.execute(ACTIVATE, {"input": {"key": "state"}}, as_=ADMIN))[
        "activateFramework"
    ]
    assert again["userErrors"] == [] and again["swap"] is None
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(models.FrameworkSwap)) == 1


async def test_only_a_district_admin_switches_or_previews(db, world, client) -> None:
    await load_state(client, db)
    for preview in (True, False):
        refused = (
            await client.execute(
                ACTIVATE, {"input": {"key": "state", "preview": preview}}, as_=TEACHER_A
            )
        )["activateFramework"]
        assert refused["swap"] is None and refused["userErrors"][0]["code"] == "FORBIDDEN"
    unknown = (await client.execute(ACTIVATE, {"input": {"key": "nope"}}, as_=ADMIN))[
        "activateFramework"
    ]
    assert unknown["userErrors"] == [
        {"field": ["input", "key"], "message": "no framework with key 'nope'; see the frameworks query",
         "code": "NOT_FOUND"}
    ]  # fmt: skip


async def test_without_a_crosswalk_nothing_is_dropped_unseen(db, world, client) -> None:
    await load_state(client, db, with_crosswalk=False)
    await history(client, db, world)
    done = (await client.execute(ACTIVATE, {"input": {"key": "state"}}, as_=ADMIN))[
        "activateFramework"
    ]
    assert (
        done["swap"]["totals"]["focusMapped"] == 0 and done["swap"]["totals"]["focusUnmapped"] == 3
    )
    mine = (await client.execute(MY_SWAP, as_=TEACHER_A))["frameworkSwap"]
    listed = {(u["kind"], u["element"]["code"]) for u in mine["teachers"]["nodes"][0]["unmapped"]}
    assert {("FOCUS", "1.1"), ("FOCUS", "1.3"), ("GOAL", "1.1"), ("GOAL", "1.3")} <= listed
    teacher = (await client.execute(NEEDS, as_=TEACHER_A))["viewer"]["teacher"]
    assert teacher["focusElements"] == []
    need = {n["element"]["code"]: n for n in teacher["needs"]}["S1.A"]
    missing = {s["kind"]: s["missingReason"] for s in need["signals"]}
    assert missing["SELF_ASSESSMENT"] == (
        "S1.A is not rated in any self-assessment; ratings or training on cstp-2009 do not count "
        "here: no crosswalk maps those elements to this framework (mypd-graph frameworks "
        "crosswalk FILE loads one)"
    )
