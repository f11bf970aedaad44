"""Recommendations and goal suggestions: ranked for needs and focus, with reasons; completed
resources, other subjects and other grades left out; paging; accepting a suggestion into a plan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.manager import load_plugins
from mypd_graph.plugins.types import ResourceRecord
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.personalization.recommendations import grade_span
from mypd_graph.services.resources.library import sync_resources
from tests.factories import ADMIN, COACH, TEACHER_A, TEACHER_B, TEACHER_C, World
from tests.needs_helpers import widely_shared as widely_shared  # the fixture, by name
from tests.test_needs import gid, self_rate, train

# Figures, not who sees them: the district shares widely (needs_helpers.share_widely).
pytestmark = pytest.mark.usefixtures("widely_shared")


if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase


def record(external_id: str, codes: tuple[str, ...], subjects=(), band="K-12") -> ResourceRecord:  # type: ignore[no-untyped-def]
    return ResourceRecord(
        external_id=external_id,
        title=f"Resource {external_id}",
        framework_key="cstp-2009",
        element_codes=codes,
        format="video",
        subjects=subjects,
        grade_band=band,
        duration_minutes=30,
    )


CATALOG = (
    record("math-k5", ("1.6",), ("Math",), "K-5"),
    record("any", ("1.6", "5.2")),
    record("ela-k5", ("1.6",), ("ELA",), "K-5"),
    record("math-hs", ("1.6",), ("Math",), "9-12"),
    record("done-step", ("1.6",), ("Math",), "3-5"),
    record("done-training", ("1.6",)),
    record("unneeded", ("6.7",)),
    record("focus", ("2.1",)),
)


class Catalog:
    name = "test-catalog"
    title = "Test catalog"

    def resources(self) -> Any:
        return iter(CATALOG)


class CatalogPlugin:
    @hookimpl
    def mypd_graph_register_resource_providers(self, register: Any) -> None:
        register(Catalog())


async def resource_ids(db: TestDatabase) -> dict[str, int]:
    async with db.sessionmaker() as session:
        rows = await session.execute(select(models.Resource.external_id, models.Resource.id))
        return dict(rows.all())


@pytest.fixture
async def catalog(db: TestDatabase, world: World) -> dict[str, int]:
    """The test catalog, A's needs (1.6 emerging, 5.2 applying, focus 2.1) and A's completions."""
    import mypd_graph_cstp

    plugins = load_plugins(
        extra=[("cstp", mypd_graph_cstp), ("test_catalog", CatalogPlugin())],
        entry_points=False,
        builtins=False,
    )
    async with db.sessionmaker.begin() as session:
        await sync_resources(session, plugins)
    ids = await resource_ids(db)
    await self_rate(db, world, TEACHER_A, {"1.6": "emerging", "5.2": "applying"})
    await train(db, world, TEACHER_A, 2.0, (), resource_id=ids["done-training"])
    async with db.sessionmaker.begin() as session:
        session.add(
            models.FocusElement(teacher_id=world.id(TEACHER_A), element_id=world.element_ids["2.1"])
        )
        plan = models.LearningPlan(teacher_id=world.id(TEACHER_A), cycle="2025-26", title="Plan")
        session.add(plan)
        await session.flush()
        goal = models.Goal(plan_id=plan.id, title="Use data", progress=0)
        session.add(goal)
        await session.flush()
        session.add(models.GoalElement(goal_id=goal.id, element_id=world.element_ids["5.2"]))
        session.add(
            models.ActionStep(
                goal_id=goal.id,
                description="Watch it",
                resource_id=ids["done-step"],
                status="done",
                completed_at=datetime(2025, 11, 3, 20, tzinfo=UTC),
            )
        )
    return ids


RECOMMENDATIONS = """
query($id: ID!, $first: Int!, $after: String) {
  teacher(id: $id) {
    recommendations(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        score resource { title }
        reasons { element { code } needScore isFocus signal explanation }
      } }
    }
  }
}
"""


async def recommendations(
    client: GraphQLClient,
    world: World,
    email: str = TEACHER_A,
    viewer: str = TEACHER_A,
    **args: Any,
) -> dict[str, Any]:
    variables = {"id": gid(world, email), "first": 10, **args}
    data = await client.execute(RECOMMENDATIONS, variables, as_=viewer)
    return data["teacher"]["recommendations"]


def titles(connection: dict[str, Any]) -> list[str]:
    return [
        edge["node"]["resource"]["title"].removeprefix("Resource ") for edge in connection["edges"]
    ]


async def test_ranked_for_needs_and_focus_with_reasons(
    client: GraphQLClient, world: World, catalog: dict[str, int]
) -> None:
    found = await recommendations(client, world)
    # left out: ela-k5 (subject), math-hs (grades), done-step and done-training (completed),
    # unneeded (no need or focus on 6.7)
    assert titles(found) == ["any", "math-k5", "focus"]
    assert found["totalCount"] == 3
    best = found["edges"][0]["node"]
    need_16 = (0.15 * 1.0 + 0.2 * 1.0) / 0.35  # no aligned training, self-rated emerging
    need_52 = (0.15 * 1.0 + 0.2 * 0.5) / 0.35
    assert best["score"] == pytest.approx(need_16 + 0.2 * need_52, abs=1e-3)
    assert [reason["element"]["code"] for reason in best["reasons"]] == ["1.6", "5.2"]
    first_reason = best["reasons"][0]
    assert first_reason["signal"] == "SELF_ASSESSMENT"
    assert first_reason["explanation"] == (
        "need 1.00 in 1.6; self-rated Emerging (1 of 5) in the 2025-26 self-assessment"
    )
    focus = found["edges"][2]["node"]
    assert focus["score"] == 0.25
    assert focus["reasons"] == [
        {
            "element": {"code": "2.1"},
            "needScore": None,
            "isFocus": True,
            "signal": None,
            "explanation": "2.1 is a focus element",
        }
    ]


async def test_completed_resources_are_left_out(
    client: GraphQLClient, world: World, db: TestDatabase, catalog: dict[str, int]
) -> None:
    """done-step and done-training are completed by A only: B (Math, grade 4) gets them."""
    await self_rate(db, world, TEACHER_B, {"1.6": "emerging"})
    assert set(titles(await recommendations(client, world, TEACHER_B, TEACHER_B))) == {
        "any",
        "math-k5",
        "done-step",
        "done-training",
    }
    assert not {"done-step", "done-training"} & set(titles(await recommendations(client, world)))


async def test_subject_and_grade_band_are_respected(
    client: GraphQLClient, world: World, db: TestDatabase, catalog: dict[str, int]
) -> None:
    await self_rate(db, world, TEACHER_C, {"1.6": "emerging"})  # ELA, grade 4
    assert set(titles(await recommendations(client, world, TEACHER_C, TEACHER_C))) == {
        "any",
        "ela-k5",
        "done-training",
    }
    async with db.sessionmaker.begin() as session:
        profile = await session.get_one(models.TeacherProfile, world.id(TEACHER_C))
        profile.subjects, profile.grade_levels = ["Math"], ["10"]
    assert set(titles(await recommendations(client, world, TEACHER_C, TEACHER_C))) == {
        "any",
        "math-hs",
        "done-training",
    }


def test_grade_bands() -> None:
    assert grade_span("K-5") == frozenset(range(1, 7))
    assert grade_span("9-12") == frozenset(range(10, 14))
    assert grade_span("7") == frozenset({8})
    assert grade_span("adults") is None and grade_span("5-3") is None


async def test_recommendations_page(
    client: GraphQLClient, world: World, catalog: dict[str, int]
) -> None:
    first = await recommendations(client, world, first=2)
    assert titles(first) == ["any", "math-k5"] and first["pageInfo"]["hasNextPage"] is True
    rest = await recommendations(client, world, first=2, after=first["pageInfo"]["endCursor"])
    assert titles(rest) == ["focus"] and rest["pageInfo"]["hasNextPage"] is False
    assert rest["totalCount"] == 3
    bad = await client.raw(
        RECOMMENDATIONS, {"id": gid(world, TEACHER_A), "first": 101}, as_=TEACHER_A
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_PAGE"


async def test_recommendations_are_scoped_like_their_teacher(
    client: GraphQLClient, world: World, catalog: dict[str, int]
) -> None:
    coach = await recommendations(client, world, TEACHER_A, COACH)
    assert titles(coach) == ["any", "math-k5", "focus"]
    assert coach["edges"][2]["node"]["reasons"][0]["explanation"] == "2.1 is a focus element"
    data = await client.execute(
        RECOMMENDATIONS, {"id": gid(world, TEACHER_A), "first": 5}, as_=TEACHER_B
    )
    assert data["teacher"] is None


# --- goal suggestions ----------------------------------------------------------------------------

SUGGESTIONS = """
query($id: ID!) {
  teacher(id: $id) {
    goalSuggestions(first: 3) {
      id title rationale needScore isFocus baselineSource
      element { code } baselineLevel { key } targetLevel { key }
      steps { description resource { title } }
    }
  }
}
"""

ACCEPT = """
mutation($input: AcceptGoalSuggestionInput!) {
  acceptGoalSuggestion(input: $input) {
    goal { title description elements { code } baselineLevel { key } targetLevel { key }
           actionSteps { description resource { title } } }
    userErrors { field message code }
  }
}
"""


async def plan_id(db: TestDatabase, world: World, email: str) -> str:
    async with db.sessionmaker() as session:
        plan = await session.scalar(
            select(models.LearningPlan.id).where(models.LearningPlan.teacher_id == world.id(email))
        )
    assert plan is not None
    return to_global_id("LearningPlan", plan)


async def test_goal_suggestions_from_top_needs(
    client: GraphQLClient, world: World, db: TestDatabase, catalog: dict[str, int]
) -> None:
    await self_rate(db, world, TEACHER_A, {"4.4": "innovating"}, cycle="2026-27")
    data = await client.execute(SUGGESTIONS, {"id": gid(world, TEACHER_A)}, as_=TEACHER_A)
    # 5.2 is already in an open plan's goal, 4.4 is rated at the top of the scale; 2.1 has no score
    [suggestion] = data["teacher"]["goalSuggestions"]
    assert suggestion["element"] == {"code": "1.6"}
    assert suggestion["baselineLevel"] == {"key": "emerging"}
    assert suggestion["targetLevel"] == {"key": "exploring"}
    assert suggestion["baselineSource"] == "2025-26 self-assessment"
    assert suggestion["title"] == (
        "Grow from Emerging to Exploring in 1.6: Monitoring student learning and adjusting "
        "instruction while teaching"
    )
    assert suggestion["rationale"].startswith("1.6 need 1.00: self-rated Emerging")
    assert [step["resource"] and step["resource"]["title"] for step in suggestion["steps"]] == [
        "Resource any",
        "Resource math-k5",
        None,
    ]
    assert (
        suggestion["steps"][0]["description"]
        == "Complete \u201cResource any\u201d (video, 30 minutes)"
    )


async def test_accepting_a_suggestion_writes_it_through_the_plan_rules(
    client: GraphQLClient, world: World, db: TestDatabase, catalog: dict[str, int]
) -> None:
    [suggestion] = (
        await client.execute(SUGGESTIONS, {"id": gid(world, TEACHER_A)}, as_=TEACHER_A)
    )["teacher"]["goalSuggestions"]
    plan = await plan_id(db, world, TEACHER_A)
    variables = {"input": {"suggestionId": suggestion["id"], "planId": plan}}

    # Neither the coach (the draft was never submitted: docs/privacy.md) nor another teacher can
    # see the plan: NOT_FOUND, as for a plan that does not exist.
    for viewer, code in ((COACH, "NOT_FOUND"), (TEACHER_B, "NOT_FOUND")):
        refused = (await client.execute(ACCEPT, variables, as_=viewer))["acceptGoalSuggestion"]
        assert refused["goal"] is None and refused["userErrors"][0]["code"] == code

    done = (await client.execute(ACCEPT, variables, as_=TEACHER_A))["acceptGoalSuggestion"]
    assert done["userErrors"] == []
    goal = done["goal"]
    assert goal["title"] == suggestion["title"] and goal["description"] == suggestion["rationale"]
    assert goal["elements"] == [{"code": "1.6"}]
    assert (goal["baselineLevel"], goal["targetLevel"]) == (
        {"key": "emerging"},
        {"key": "exploring"},
    )
    assert [step["description"] for step in goal["actionSteps"]] == [
        step["description"] for step in suggestion["steps"]
    ]
    assert goal["actionSteps"][0]["resource"] == {"title": "Resource any"}

    # Accepting again is idempotent: the same goal, nothing added.
    goals = select(func.count(models.Goal.id))
    async with db.sessionmaker() as session:
        before = await session.scalar(goals)
    again = (await client.execute(ACCEPT, variables, as_=TEACHER_A))["acceptGoalSuggestion"]
    assert again == done
    async with db.sessionmaker() as session:
        assert await session.scalar(goals) == before
    assert (await client.execute(SUGGESTIONS, {"id": gid(world, TEACHER_A)}, as_=TEACHER_A))[
        "teacher"
    ]["goalSuggestions"] == []


async def test_accepting_into_a_submitted_plan_is_refused(
    client: GraphQLClient, world: World, db: TestDatabase, catalog: dict[str, int]
) -> None:
    async with db.sessionmaker.begin() as session:
        plan = await session.scalar(
            select(models.LearningPlan).where(models.LearningPlan.teacher_id == world.id(TEACHER_A))
        )
        assert plan is not None
        plan.status = "submitted"
    element = to_global_id("GoalSuggestion", world.element_ids["1.6"])
    variables = {"input": {"suggestionId": element, "planId": await plan_id(db, world, TEACHER_A)}}
    refused = (await client.execute(ACCEPT, variables, as_=TEACHER_A))["acceptGoalSuggestion"]
    assert refused["userErrors"][0]["code"] == "PLAN_LOCKED"
    bad = {"input": {"suggestionId": "nonsense", "planId": variables["input"]["planId"]}}
    refused = (await client.execute(ACCEPT, bad, as_=TEACHER_A))["acceptGoalSuggestion"]
    assert refused["userErrors"][0]["code"] == "BAD_ID"
    async with db.sessionmaker() as session:
        goals = await session.scalars(select(models.Goal.title))
        assert list(goals) == ["Use data"]  # nothing was written


async def test_admin_reads_suggestions_without_any_plan(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    await self_rate(db, world, TEACHER_B, {"2.2": "exploring"})
    data = await client.execute(SUGGESTIONS, {"id": gid(world, TEACHER_B)}, as_=ADMIN)
    [suggestion] = data["teacher"]["goalSuggestions"]
    assert suggestion["steps"] == [
        {
            "description": "Ask your coach or principal to observe a lesson focused on 2.2 and "
            "debrief it together",
            "resource": None,
        }
    ]
