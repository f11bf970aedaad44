"""Several raters of one element in a cycle (issue 14, item 6), over GraphQL on both databases.

Each observer's latest rating in the cycle, their spread, and the reconciled observed rating (the
median of the raters' latest ratings, the lower middle one when even: docs/ratings.md); needs'
observation signal uses that rating, not whichever observation came last; the calibration view
obeys the sharing rules and refuses roles that serve no teacher.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from mypd_graph import models
from tests.conftest import GraphQLClient, TestDatabase
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    World,
)
from tests.feedback_helpers import ok, rating, teacher_id

CALIBRATION = """query($t: ID!, $cycle: String) { calibration(teacherId: $t, cycle: $cycle) {
  cycle rule teacher { name }
  elements { element { code } spread gap selfRating { key }
    reconciled { observedOn kind level { key } observer { name } }
    raters { observedOn kind level { key } observer { name } } } } }"""
NEEDS = """query($t: ID!) { teacher(id: $t) { needs(first: 60) { element { code }
  signals { kind present value evidence } } } }"""


async def _share_evaluations_with_coaches(client: GraphQLClient) -> None:
    query = """mutation($input: UpdatePersonalizationSettingsInput!) {
      updatePersonalizationSettings(input: $input) { userErrors { code } } }"""
    sharing = {"sharing": {"evaluationsSharedWithCoaches": True}}
    done = await client.execute(query, {"input": sharing}, as_=ADMIN)
    assert done["updatePersonalizationSettings"]["userErrors"] == []


async def _observe(
    client: GraphQLClient, world: World, as_: str, kind: str, day: str, **levels: str
) -> None:
    ratings = [rating(code.replace("_", "."), level) for code, level in levels.items()]
    await ok(
        client,
        "recordObservation",
        {
            "teacherId": teacher_id(world, TEACHER_A),
            "kind": kind,
            "observedOn": day,
            "notes": f"{kind} visit",
            "ratings": ratings,
        },
        as_,
    )


async def _three_observers(client: GraphQLClient, world: World) -> None:
    """Teacher A in 2025-26: the coach twice (latest: exploring on 1.5), the principal
    (integrating), the admin (innovating); on 1.1 the coach (applying, the last visit) and the
    principal (innovating). A principal's visit of 2024-25 is another cycle."""
    await _observe(client, world, PRINCIPAL_NORTH, "FORMAL", "2024-11-04", **{"1_5": "emerging"})
    await _observe(client, world, COACH, "INFORMAL", "2025-10-01", **{"1_5": "applying"})
    await _observe(client, world, PRINCIPAL_NORTH, "FORMAL", "2026-01-15", **{"1_5": "integrating"})
    await _observe(client, world, PRINCIPAL_NORTH, "FORMAL", "2026-01-16", **{"1_1": "innovating"})
    await _observe(client, world, ADMIN, "WALKTHROUGH", "2026-02-10", **{"1_5": "innovating"})
    await _observe(
        client, world, COACH, "INFORMAL", "2026-03-01", **{"1_5": "exploring", "1_1": "applying"}
    )


async def _self_assess(client: GraphQLClient, audience: str) -> None:
    await ok(
        client,
        "submitSelfAssessment",
        {
            "cycle": "2025-26",
            "audience": audience,
            "ratings": [rating("1.5", "innovating"), rating("2.1", "applying")],
        },
        TEACHER_A,
    )


async def _calibration(
    client: GraphQLClient, world: World, as_: str, cycle: str | None = None
) -> Any:
    found = await client.execute(
        CALIBRATION, {"t": teacher_id(world, TEACHER_A), "cycle": cycle}, as_=as_
    )
    return found["calibration"]


def _by_code(calibration: Any) -> dict[str, Any]:
    return {element["element"]["code"]: element for element in calibration["elements"]}


async def test_each_rater_their_spread_and_the_reconciled_rating(
    client: GraphQLClient, world: World
) -> None:
    await _share_evaluations_with_coaches(client)
    await _three_observers(client, world)
    await _self_assess(client, "COACH")
    seen = await _calibration(client, world, COACH)
    assert seen["cycle"] == "2025-26"
    assert seen["teacher"]["name"] == "Ana Alvarez"
    assert "median of each observer's latest rating" in seen["rule"]
    elements = _by_code(seen)
    five = elements["1.5"]
    # Each rater once, by their latest rating of the cycle, lowest level first.
    assert [
        (r["observer"]["name"], r["level"]["key"], r["observedOn"]) for r in five["raters"]
    ] == [
        ("Cora Coach", "exploring", "2026-03-01"),
        ("Pat North", "integrating", "2026-01-15"),
        ("Ada Admin", "innovating", "2026-02-10"),
    ]
    assert five["spread"] == 3
    assert five["reconciled"]["level"]["key"] == "integrating"
    assert five["reconciled"]["observer"]["name"] == "Pat North"
    # The self-rating stands beside it, never averaged in: innovating (5) vs integrating (4).
    assert five["selfRating"] == {"key": "innovating"}
    assert five["gap"] == -1
    # Two raters: the lower of the two middle ratings.
    one = elements["1.1"]
    assert [r["level"]["key"] for r in one["raters"]] == ["applying", "innovating"]
    assert (one["spread"], one["reconciled"]["level"]["key"]) == (2, "applying")
    assert one["selfRating"] is None and one["gap"] is None
    # Self-rated only: no raters, no gap.
    assert elements["2.1"]["raters"] == [] and elements["2.1"]["reconciled"] is None
    assert elements["2.1"]["selfRating"] == {"key": "applying"}
    # Last cycle: the principal alone.
    earlier = _by_code(await _calibration(client, world, ADMIN, "2024-25"))
    assert [r["level"]["key"] for r in earlier["1.5"]["raters"]] == ["emerging"]
    assert earlier["1.5"]["spread"] == 0


async def test_needs_observation_signal_uses_the_reconciled_rating(
    client: GraphQLClient, world: World
) -> None:
    """The newest visit (the coach's, exploring) no longer decides: the reconciled rating
    (the principal's integrating) does, and the evidence quotes that observation."""
    await _share_evaluations_with_coaches(client)
    await _three_observers(client, world)
    found = await client.execute(NEEDS, {"t": teacher_id(world, TEACHER_A)}, as_=COACH)
    needs = {need["element"]["code"]: need for need in found["teacher"]["needs"]}
    [observed] = [s for s in needs["1.5"]["signals"] if s["kind"] == "OBSERVATION"]
    assert observed["present"]
    assert "2026-01-15" in observed["evidence"][0], observed
    assert "integrating" in observed["evidence"][0].lower(), observed
    [other] = [s for s in needs["1.1"]["signals"] if s["kind"] == "OBSERVATION"]
    assert "2026-03-01" in other["evidence"][0] and "applying" in other["evidence"][0].lower()


async def test_calibration_obeys_sharing(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """Default sharing: evaluations do not reach the coach, and a PRIVATE self-assessment
    reaches nobody but the teacher."""
    await _three_observers(client, world)
    await _self_assess(client, "PRIVATE")
    coach = _by_code(await _calibration(client, world, COACH))
    assert [r["observer"]["name"] for r in coach["1.5"]["raters"]] == ["Cora Coach"]
    assert coach["1.5"]["reconciled"]["level"]["key"] == "exploring"
    assert coach["1.5"]["selfRating"] is None and coach["1.5"]["gap"] is None
    assert "2.1" not in coach  # rated only in the private self-assessment
    # The teacher sees every observation of her and her own self-assessment.
    own = _by_code(await _calibration(client, world, TEACHER_A))
    assert len(own["1.5"]["raters"]) == 3 and own["1.5"]["selfRating"] == {"key": "innovating"}
    assert own["1.5"]["gap"] == -1
    # The principal reads every evaluation (the coach's informal visits are evaluations too),
    # not the private self-rating.
    principal = _by_code(await _calibration(client, world, PRINCIPAL_NORTH))
    assert len(principal["1.5"]["raters"]) == 3 and principal["1.5"]["selfRating"] is None
    # Reading another teacher's ratings is a read of their growth record, in the audit trail.
    async with db.sessionmaker() as session:
        readers = set(
            await session.scalars(
                select(models.AuditEvent.user_id).where(
                    models.AuditEvent.action == "read",
                    models.AuditEvent.entity == "teacher_profile",
                )
            )
        )
    assert {world.id(COACH), world.id(PRINCIPAL_NORTH)} <= readers
    assert world.id(TEACHER_A) not in readers


@pytest.mark.parametrize("viewer", [TEACHER_B, PRINCIPAL_SOUTH])
async def test_calibration_of_a_teacher_out_of_reach_is_null(
    client: GraphQLClient, world: World, viewer: str
) -> None:
    await _three_observers(client, world)
    assert await _calibration(client, world, viewer) is None


async def test_calibration_refuses_the_importer_and_bad_input(
    client: GraphQLClient, world: World
) -> None:
    body = await client.raw(CALIBRATION, {"t": teacher_id(world, TEACHER_A)}, as_=IMPORTER)
    assert body["data"]["calibration"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await client.raw(
        CALIBRATION, {"t": teacher_id(world, TEACHER_A), "cycle": "2025"}, as_=COACH
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_CYCLE"


async def test_goal_baselines_take_the_reconciled_rating(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """A goal suggested on 1.5 starts from the reconciled observed rating (the principal's
    integrating), not from the newest visit (the coach's exploring)."""
    await _three_observers(client, world)
    async with db.sessionmaker.begin() as session:
        session.add(
            models.FocusElement(teacher_id=world.id(TEACHER_A), element_id=world.element_ids["1.5"])
        )
    query = """{ viewer { teacher { goalSuggestions(first: 10) {
      element { code } baselineSource baselineLevel { key } } } } }"""
    found = (await client.execute(query, as_=TEACHER_A))["viewer"]["teacher"]["goalSuggestions"]
    [five] = [s for s in found if s["element"]["code"] == "1.5"]
    assert five["baselineLevel"] == {"key": "integrating"}
    assert "2026-01-15" in five["baselineSource"], five


GROWTH = """{ viewer { teacher { growth {
  elements { element { code } observedChange observedLevels { when source level { key } } }
  summary { elementsImprovedObserved elementsDeclinedObserved } } } } }"""
DISTRIBUTION = """query($cycle: String) { district { insights {
  ratingDistribution(cycle: $cycle) { element { code } school { code }
    observedLevels { level { key } teachers } } } } }"""


async def _observed_distribution(
    client: GraphQLClient, as_: str, cycle: str | None = None
) -> dict[str, list[tuple[str, int]]]:
    found = await client.execute(DISTRIBUTION, {"cycle": cycle}, as_=as_)
    return {
        row["element"]["code"]: [(c["level"]["key"], c["teachers"]) for c in row["observedLevels"]]
        for row in found["district"]["insights"]["ratingDistribution"]
        if row["observedLevels"]
    }


async def test_growth_and_district_views_agree_with_needs_for_several_raters(
    client: GraphQLClient, world: World
) -> None:
    """Growth's observed series takes one point per cycle, the reconciled rating, and the district's
    rating distribution counts it: both say integrating on 1.5 (the principal, the median rater)
    and applying on 1.1, as needs do, not the coach's newest visit."""
    await _three_observers(client, world)
    growth = (await client.execute(GROWTH, as_=TEACHER_A))["viewer"]["teacher"]["growth"]
    series = {e["element"]["code"]: e for e in growth["elements"]}
    assert [
        (p["when"], p["source"], p["level"]["key"]) for p in series["1.5"]["observedLevels"]
    ] == [
        ("2024-11-04", "formal", "emerging"),
        ("2026-01-15", "formal", "integrating"),
    ]
    assert series["1.5"]["observedChange"] == 3  # emerging (1) to integrating (4)
    assert [(p["when"], p["level"]["key"]) for p in series["1.1"]["observedLevels"]] == [
        ("2026-03-01", "applying")
    ]
    assert series["1.1"]["observedChange"] is None  # one cycle: no change told
    assert growth["summary"] == {"elementsImprovedObserved": 1, "elementsDeclinedObserved": 0}
    # The district view counts the same ratings (the admin reads every observation).
    assert await _observed_distribution(client, ADMIN) == {
        "1.1": [("applying", 1)],
        "1.5": [("integrating", 1)],
    }
    assert await _observed_distribution(client, ADMIN, "2024-25") == {"1.5": [("emerging", 1)]}
    # Needs say the same (test_needs_observation_signal_uses_the_reconciled_rating, as the coach).
    await _share_evaluations_with_coaches(client)
    found = await client.execute(NEEDS, {"t": teacher_id(world, TEACHER_A)}, as_=COACH)
    needs = {need["element"]["code"]: need for need in found["teacher"]["needs"]}
    [observed] = [s for s in needs["1.5"]["signals"] if s["kind"] == "OBSERVATION"]
    assert "integrating" in observed["evidence"][0].lower()


async def test_a_small_groups_distribution_reconciles_only_what_the_viewer_may_read(
    client: GraphQLClient, world: World
) -> None:
    """Below the minimum group size a view counts only what the viewer could open: by default
    the coach reads her own visits, not the evaluations, so she counts the rating her calibration
    view reconciles (her own exploring), never one reconciled from ratings she may not read."""
    await _three_observers(client, world)
    assert (await _observed_distribution(client, COACH))["1.5"] == [("exploring", 1)]
    mine = _by_code(await _calibration(client, world, COACH))["1.5"]["reconciled"]
    assert mine["level"] == {"key": "exploring"}
    await _share_evaluations_with_coaches(client)
    assert (await _observed_distribution(client, COACH))["1.5"] == [("integrating", 1)]
