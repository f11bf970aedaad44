"""Who sees what of a teacher's growth record: one table, checked against the code and the docs.

:data:`MATRIX` is the rule of docs/privacy.md ("Who sees what") as data: for each kind of record
(with its audience, or what decides it), the roles that see it. One test per role builds every
kind of record through GraphQL, as the people who make them, and asks for each over HTTP, as that
role (``node(id:)``, and the teacher's lists where the role reaches the teacher). Another test
reads the table in docs/privacy.md and requires it to say exactly what :data:`MATRIX` says, so the
words a union rep reads and the code cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    World,
)

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase

OTHER_COACH = "other.coach@test.mypd"  # a coach of the district who does not coach the teacher

# The roles, as docs/privacy.md names them, and who plays each here (TEACHER_A owns the record).
ROLES = {
    "The teacher": TEACHER_A,
    "Another teacher": TEACHER_B,
    "Their coach": COACH,
    "Another coach": OTHER_COACH,
    "Their principal": PRINCIPAL_NORTH,
    "Another principal": PRINCIPAL_SOUTH,
    "A district admin": ADMIN,
    "Another district's admin": OUTSIDER,
    "The importer": IMPORTER,
}
OWNER = {"The teacher"}
COACHES = OWNER | {"Their coach"}
SUPERVISORS = COACHES | {"Their principal", "A district admin"}
EVALUATORS = OWNER | {"Their principal", "A district admin"}

# What (as the docs say it) -> the roles that see it, with the district's default settings.
MATRIX: dict[str, set[str]] = {
    "Evidence shared PRIVATE": OWNER,
    "Evidence shared COACH": COACHES,
    "Evidence shared SUPERVISORS": SUPERVISORS,
    "Self-assessment shared PRIVATE": OWNER,
    "Self-assessment shared COACH": COACHES,
    "Self-assessment shared SUPERVISORS": SUPERVISORS,
    "Action-step reflection shared PRIVATE": OWNER,
    "Action-step reflection shared COACH": COACHES,
    "Action-step reflection shared SUPERVISORS": SUPERVISORS,
    "Growth profile (needs, growth) shared PRIVATE": OWNER,
    "Growth profile (needs, growth) shared COACH": COACHES,
    "Growth profile (needs, growth) shared SUPERVISORS": SUPERVISORS,
    "Learning plan never submitted": OWNER,
    "Learning plan once submitted": SUPERVISORS,
    "Formal, informal or walkthrough observation": EVALUATORS,
    "Coaching observation": COACHES,
    "A coach's comment": COACHES,
    "A principal's or admin's comment": EVALUATORS,
    "The teacher's comment on their evidence shared COACH": COACHES,
    "Any comment on evidence shared PRIVATE": OWNER,
}

DOCS = Path(__file__).resolve().parents[1] / "docs" / "privacy.md"
REFLECTION = "I rushed the closing."


# --- the records --------------------------------------------------------------------------------


@dataclass
class Records:
    """Global IDs of one record per row of the matrix (growth rows use the teacher's ID)."""

    ids: dict[str, str]
    teacher: str


async def _mutate(
    client: GraphQLClient, name: str, input_type: str, input: dict[str, Any], result: str, as_: str
) -> str:
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {result} {{ id }} "
        "userErrors { field message code } } }"
    )
    payload = (await client.execute(query, {"input": input}, as_=as_))[name]
    assert payload["userErrors"] == [], (name, payload)
    return str(payload[result]["id"])


async def _add_other_coach(db: TestDatabase, world: World) -> None:
    async with db.sessionmaker.begin() as session:
        coach = models.User(
            district_id=world.district_id,
            school_id=world.school_ids["N"],
            email=OTHER_COACH,
            name="Otto Othercoach",
            role=models.Role.COACH.value,
        )
        session.add(coach)
        await session.flush()
        session.add(models.CoachAssignment(coach_id=coach.id, teacher_id=world.id(TEACHER_B)))
        world.user_ids[OTHER_COACH] = coach.id


async def build(client: GraphQLClient, db: TestDatabase, world: World) -> Records:
    """Every kind of record of the matrix, made through the API by whoever makes it."""
    await _add_other_coach(db, world)
    ids: dict[str, str] = {}
    evidence: dict[str, str] = {}
    for audience in ("PRIVATE", "COACH", "SUPERVISORS"):
        evidence[audience] = ids[f"Evidence shared {audience}"] = await _mutate(
            client,
            "addEvidence",
            "AddEvidenceInput",
            {"kind": "REFLECTION", "title": f"{audience} evidence", "audience": audience},
            "evidence",
            TEACHER_A,
        )
    for year, audience in enumerate(("PRIVATE", "COACH", "SUPERVISORS")):
        ids[f"Self-assessment shared {audience}"] = await _mutate(
            client,
            "submitSelfAssessment",
            "SubmitSelfAssessmentInput",
            {
                "cycle": f"202{year}-2{year + 1}",
                "ratings": [{"elementCode": "1.1", "level": "emerging"}],
                "audience": audience,
            },
            "selfAssessment",
            TEACHER_A,
        )
    draft = await _mutate(
        client,
        "createLearningPlan",
        "CreateLearningPlanInput",
        {"cycle": "2026-27"},
        "plan",
        TEACHER_A,
    )
    ids["Learning plan never submitted"] = draft
    plan = await _mutate(
        client,
        "createLearningPlan",
        "CreateLearningPlanInput",
        {"cycle": "2025-26"},
        "plan",
        TEACHER_A,
    )
    goal = await _mutate(
        client,
        "addGoal",
        "AddGoalInput",
        {"planId": plan, "title": "Questioning", "elementCodes": ["1.1"]},
        "goal",
        TEACHER_A,
    )
    for audience in ("PRIVATE", "COACH", "SUPERVISORS"):
        step = await _mutate(
            client,
            "addActionStep",
            "AddActionStepInput",
            {"goalId": goal, "description": f"{audience} step"},
            "actionStep",
            TEACHER_A,
        )
        await _mutate(
            client,
            "updateActionStep",
            "UpdateActionStepInput",
            {"actionStepId": step, "reflection": REFLECTION, "reflectionAudience": audience},
            "actionStep",
            TEACHER_A,
        )
        ids[f"Action-step reflection shared {audience}"] = step
    await _mutate(client, "submitPlan", "PlanTransitionInput", {"planId": plan}, "plan", TEACHER_A)
    ids["Learning plan once submitted"] = plan
    teacher = to_global_id("Teacher", world.id(TEACHER_A))
    observation = {"teacherId": teacher, "observedOn": "2025-10-01", "notes": "Seen."}
    ids["Formal, informal or walkthrough observation"] = await _mutate(
        client,
        "recordObservation",
        "RecordObservationInput",
        observation | {"kind": "FORMAL"},
        "observation",
        PRINCIPAL_NORTH,
    )
    ids["Coaching observation"] = await _mutate(
        client,
        "recordObservation",
        "RecordObservationInput",
        observation | {"kind": "COACHING"},
        "observation",
        COACH,
    )
    comments = {
        "A coach's comment": (evidence["SUPERVISORS"], COACH),
        "A principal's or admin's comment": (evidence["SUPERVISORS"], PRINCIPAL_NORTH),
        "The teacher's comment on their evidence shared COACH": (evidence["COACH"], TEACHER_A),
        "Any comment on evidence shared PRIVATE": (evidence["PRIVATE"], TEACHER_A),
    }
    for row, (target, author) in comments.items():
        ids[row] = await _mutate(
            client,
            "addComment",
            "AddCommentInput",
            {"evidenceId": target, "body": row},
            "comment",
            author,
        )
    return Records(ids, teacher)


# --- asking for them ----------------------------------------------------------------------------

NODE = """query($id: ID!) { node(id: $id) { id ... on ActionStep { reflection } } }"""
LISTS = """query($id: ID!) { teacher(id: $id) {
  evidence { id comments { id } }
  selfAssessments { id }
  observations { id }
  plans { id goals { actionSteps { id reflection } } }
} }"""
GROWTH = """query($id: ID!) { teacher(id: $id) { needs(first: 5) { element { code } } } }"""
SET_GROWTH = """mutation($input: SetGrowthProfileAudienceInput!) {
  setGrowthProfileAudience(input: $input) { growthProfileAudience { effective }
  userErrors { code } } }"""


def _listed(teacher: dict[str, Any] | None) -> set[str]:
    """Every record ID the teacher's lists show (a reflection counts when its text shows)."""
    if teacher is None:
        return set()
    found = {item["id"] for key in ("selfAssessments", "observations") for item in teacher[key]}
    for item in teacher["evidence"]:
        found |= {item["id"], *(comment["id"] for comment in item["comments"])}
    for plan in teacher["plans"]:
        found.add(plan["id"])
        for goal in plan["goals"]:
            found |= {s["id"] for s in goal["actionSteps"] if s["reflection"] == REFLECTION}
    return found


async def seen(client: GraphQLClient, records: Records, viewer: str) -> dict[str, bool]:
    """For each row, whether ``viewer`` sees it, by ``node(id:)``; the lists must agree."""
    lists = await client.execute(LISTS, {"id": records.teacher}, as_=viewer)
    listed = _listed(lists["teacher"])
    answer: dict[str, bool] = {}
    for row, global_id in records.ids.items():
        found = (await client.execute(NODE, {"id": global_id}, as_=viewer))["node"]
        if row.startswith("Action-step reflection"):
            sees = found is not None and found["reflection"] == REFLECTION
        else:
            sees = found is not None
        assert sees == (global_id in listed), (row, viewer, "node and lists disagree")
        answer[row] = sees
    return answer


async def growth_seen(client: GraphQLClient, records: Records, viewer: str) -> dict[str, bool]:
    """Whether ``viewer`` reads the teacher's needs with each growth-profile audience."""
    answer = {}
    for audience in ("PRIVATE", "COACH", "SUPERVISORS"):
        payload = (
            await client.execute(SET_GROWTH, {"input": {"audience": audience}}, as_=TEACHER_A)
        )["setGrowthProfileAudience"]
        assert payload["growthProfileAudience"] == {"effective": audience}
        teacher = (await client.execute(GROWTH, {"id": records.teacher}, as_=viewer))["teacher"]
        answer[f"Growth profile (needs, growth) shared {audience}"] = bool(
            teacher and teacher["needs"]
        )
    return answer


@pytest.mark.parametrize("role", list(ROLES))
async def test_the_code_follows_the_matrix(
    client: GraphQLClient, db: TestDatabase, world: World, role: str
) -> None:
    records = await build(client, db, world)
    viewer = ROLES[role]
    found = await seen(client, records, viewer) | await growth_seen(client, records, viewer)
    expected = {row: role in roles for row, roles in MATRIX.items()}
    assert found == expected, {row: found[row] for row in MATRIX if found[row] != expected[row]}


# --- the docs say the same ----------------------------------------------------------------------


def docs_matrix() -> tuple[list[str], dict[str, set[str]]]:
    """The table under "## Who sees what": its role columns and, per row, who sees (``yes``)."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Who sees what", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    table: dict[str, set[str]] = {}
    for line in rows[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        what = re.sub(r"[*`]", "", cells[0])
        table[what] = {
            role for role, cell in zip(header[1:], cells[1:], strict=True) if cell == "yes"
        }
        assert all(cell in ("yes", "no") for cell in cells[1:]), line
    return header[1:], table


def test_the_docs_say_what_the_matrix_says() -> None:
    roles, table = docs_matrix()
    assert roles == list(ROLES)
    assert table == MATRIX
