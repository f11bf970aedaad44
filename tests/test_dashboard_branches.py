"""The dashboard's branches read in one batch (schema/lookahead.py, services/plans/reads.PlanTree,
schema/feedback/branches.py): a teacher's plans with their goals and the goals' elements, their
observations with ratings, their evidence with elements. The branch answers exactly what the same
objects answer when each is read alone (by node), whether the query asks through fields, named
fragments or inline fragments, and reads only what the query asks for."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from tests.factories import ADMIN, TEACHER_A
from tests.test_query_counts import add_teachers

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient

BRANCHES = """
{ district { teachers(first: 100) { nodes {
  id
  plans { id goals { id title elements { code } } }
  evidence { id elements { code } }
  observations { id ratings { element { id code } level { id key } note } }
} } } }
"""

FRAGMENTS = """
{ district { teachers(first: 100) { nodes {
  id
  ... on Teacher { plans { ...Plan } }
  evidence { ...Ev }
  observations { id ... on Observation { ratings { element { id code } level { id key } note } } }
} } } }
fragment Plan on LearningPlan { id goals { id ...Goal } }
fragment Goal on Goal { title elements { code } }
fragment Ev on Evidence { id elements { code } }
"""


async def alone(client: GraphQLClient, ids: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Each object read by its id, one ``node`` each: the per-field loaders, no branch."""
    fields = {
        "goals": "... on Goal { title elements { code } }",
        "evidence": "... on Evidence { elements { code } }",
        "observations": "... on Observation { ratings { element { id code } "
        "level { id key } note } }",
    }
    found: dict[str, dict[str, Any]] = {}
    for kind, global_ids in ids.items():
        for start in range(0, len(global_ids), 20):
            chunk = global_ids[start : start + 20]
            query = "{ " + " ".join(
                f'n{i}: node(id: "{global_id}") {{ id {fields[kind]} }}'
                for i, global_id in enumerate(chunk)
            )
            data = await client.execute(query + " }", as_=ADMIN)
            found.update({node["id"]: node for node in data.values() if node})
    return found


async def test_a_branch_answers_what_each_object_answers_alone(
    client: GraphQLClient, db, world
) -> None:
    await add_teachers(db, world, 6, start=0)
    data = await client.execute(BRANCHES, as_=ADMIN)
    teachers = data["district"]["teachers"]["nodes"]
    goals = [goal for t in teachers for plan in t["plans"] for goal in plan["goals"]]
    evidence = [item for t in teachers for item in t["evidence"]]
    observations = [item for t in teachers for item in t["observations"]]
    assert len(goals) >= 12 and len(evidence) >= 6 and len(observations) >= 6
    assert any(goal["elements"] for goal in goals)
    assert any(item["elements"] for item in evidence)
    assert any(item["ratings"] for item in observations)

    by_id = await alone(
        client,
        {
            "goals": [goal["id"] for goal in goals],
            "evidence": [item["id"] for item in evidence],
            "observations": [item["id"] for item in observations],
        },
    )
    for item in [*goals, *evidence, *observations]:
        assert by_id[item["id"]] == item

    # The same branches asked through named and inline fragments.
    assert await client.execute(FRAGMENTS, as_=ADMIN) == data


async def test_a_branch_keeps_each_viewers_reach(client: GraphQLClient, db, world) -> None:
    await add_teachers(db, world, 3, start=0)
    mine = await client.execute(BRANCHES, as_=TEACHER_A)
    admin = await client.execute(BRANCHES, as_=ADMIN)
    teacher_ids = {t["id"] for t in mine["district"]["teachers"]["nodes"]}
    assert len(teacher_ids) < len(admin["district"]["teachers"]["nodes"])
    seen = {t["id"]: t for t in admin["district"]["teachers"]["nodes"]}
    for teacher in mine["district"]["teachers"]["nodes"]:
        # Whatever the teacher reads of a colleague, the admin reads too (never more).
        for field in ("plans", "evidence", "observations"):
            admin_ids = {item["id"] for item in seen[teacher["id"]][field]}
            assert {item["id"] for item in teacher[field]} <= admin_ids


async def test_a_branch_reads_only_what_the_query_asks_for(
    client: GraphQLClient, db, world
) -> None:
    await add_teachers(db, world, 4, start=0)

    def ask(plans: str, evidence: str, observations: str) -> Awaitable[dict[str, Any]]:
        query = (
            "{ district { teachers(first: 100) { nodes { id "
            f"plans {{ {plans} }} evidence {{ {evidence} }} observations {{ {observations} }} "
            "} } } }"
        )
        return client.execute(query, as_=ADMIN)

    _, shallow = await db.fewest_statements(lambda: ask("id", "id", "id"))
    _, goals = await db.fewest_statements(lambda: ask("id goals { id }", "id", "id"))
    _, deep = await db.fewest_statements(
        lambda: ask(
            "id goals { id elements { code } }",
            "id elements { code }",
            "id ratings { note }",
        )
    )
    assert goals.count == shallow.count + 1  # the goals
    assert deep.count == shallow.count + 4  # goals, their elements, evidence's, ratings
