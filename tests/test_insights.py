"""District views against figures computed by hand on a small district, scoped by role for every
view, small student groups suppressed (and said so), and statement counts that do not grow."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from tests.factories import (
    ADMIN,
    COACH,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)
from tests.needs_helpers import widely_shared as widely_shared  # the fixture, by name
from tests.test_growth import plan, resource
from tests.test_needs import observe, self_rate, set_settings, train
from tests.test_query_counts import add_teachers

# Figures, not who sees them: the district shares widely (needs_helpers.share_widely).
pytestmark = pytest.mark.usefixtures("widely_shared")


if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase

INSIGHTS = """
query($school: ID, $cycle: String) {
  district {
    insights(schoolId: $school) {
      coverage(cycle: $cycle) { teachers elements { element { code } focusTeachers goalTeachers goals } }
      ratingDistribution(cycle: $cycle) { element { code } school { code }
        selfLevels { level { key } teachers } observedLevels { level { key } teachers } }
      topNeeds(first: 3) { teachers minimumGroupSize note
        needs { element { code } teachersWithTopNeed teachersScored meanScore leadingSignal } }
      planStatus(cycle: $cycle) { cycle schools { school { code } teachers draft submitted approved
                                                  completed withoutPlan } }
      pdHours { element { code } hours teachers records }
      pdImpact { title teachers observedPairs meanObservedChange selfPairs meanSelfChange resource { title } }
      studentResults { minimumGroupSize suppressedGroups note
        rows { school { code } subject schoolYear suppressed students shareBelowStandard } }
    }
  }
}
"""


@pytest.fixture
async def district(db: TestDatabase, world: World) -> None:
    """Focus, plans, ratings, training and a completed resource for A (North), B (North), C (South)."""
    async with db.sessionmaker.begin() as session:
        for email, codes in (
            (TEACHER_A, ("1.6",)),
            (TEACHER_B, ("1.6", "5.2")),
            (TEACHER_C, ("5.2",)),
        ):
            session.add_all(
                models.FocusElement(teacher_id=world.id(email), element_id=world.element_ids[c])
                for c in codes
            )
    await plan(db, world, TEACHER_A, "2025-26", "draft", [(("1.6", "5.2"), 0)])
    await plan(db, world, TEACHER_A, "2024-25", "completed", [(("2.1",), 100)])
    await plan(db, world, TEACHER_B, "2025-26", "submitted", [(("1.6",), 0)])
    september = date(2025, 9, 15)
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring"}, submitted=september)
    await self_rate(db, world, TEACHER_B, {"1.6": "applying"}, submitted=september)
    await self_rate(db, world, TEACHER_C, {"1.6": "exploring"}, submitted=september)
    await observe(db, world, TEACHER_A, {"1.6": "emerging"}, day=date(2025, 10, 1))
    await observe(db, world, TEACHER_A, {"1.6": "applying"}, day=date(2026, 2, 1))
    await observe(db, world, TEACHER_C, {"1.6": "applying"}, day=date(2025, 11, 1),
                  observer=PRINCIPAL_SOUTH)  # fmt: skip
    checking = await resource(db, world, "checking", ("1.6",))
    await train(db, world, TEACHER_A, 3, ("1.6",), day=date(2025, 12, 1), resource_id=checking)
    await train(db, world, TEACHER_A, 2, ("1.6", "5.2"), day=date(2025, 12, 8))
    await train(db, world, TEACHER_B, 4, ("5.2",), day=date(2025, 12, 8))


async def insights(
    client: GraphQLClient, viewer: str, school: str | None = None, cycle: str | None = None
) -> dict[str, Any]:
    data = await client.execute(INSIGHTS, {"school": school, "cycle": cycle}, as_=viewer)
    return data["district"]["insights"]


def coverage_of(found: dict[str, Any], *codes: str) -> dict[str, tuple[int, int, int]]:
    rows = {row["element"]["code"]: row for row in found["coverage"]["elements"]}
    return {
        code: (rows[code]["focusTeachers"], rows[code]["goalTeachers"], rows[code]["goals"])
        for code in codes
    }


async def test_coverage_counts_focus_choices_and_goals(
    client: GraphQLClient, db: TestDatabase, world: World, district: None
) -> None:
    found = await insights(client, ADMIN, cycle="2025-26")
    # Three teachers are fewer than the minimum group size (10): A's draft plan, never submitted,
    # is A's alone and does not count (docs/privacy.md); over the minimum group size it does.
    assert coverage_of(found, "1.6", "5.2") == {"1.6": (2, 1, 1), "5.2": (2, 0, 0)}
    await set_settings(db, world, minimum_group_size=3)
    found = await insights(client, ADMIN, cycle="2025-26")
    assert found["coverage"]["teachers"] == 3
    assert len(found["coverage"]["elements"]) == 38
    assert coverage_of(found, "1.6", "5.2", "2.1") == {
        "1.6": (2, 2, 2),  # A and B chose it; A's and B's 2025-26 goals
        "5.2": (2, 1, 1),  # B and C chose it; A's goal covers 1.6 and 5.2
        "2.1": (0, 0, 0),  # A's 2024-25 goal is another cycle
    }
    every_cycle = await insights(client, ADMIN)
    assert coverage_of(every_cycle, "2.1") == {"2.1": (0, 1, 1)}


async def test_rating_distribution_by_school_side_by_side(
    client: GraphQLClient, district: None
) -> None:
    rows = (await insights(client, ADMIN))["ratingDistribution"]
    assert rows == [
        {
            "element": {"code": "1.6"},
            "school": {"code": "N"},
            "selfLevels": [
                {"level": {"key": "exploring"}, "teachers": 1},
                {"level": {"key": "applying"}, "teachers": 1},
            ],
            "observedLevels": [{"level": {"key": "applying"}, "teachers": 1}],  # A's latest
        },
        {
            "element": {"code": "1.6"},
            "school": {"code": "S"},
            "selfLevels": [{"level": {"key": "exploring"}, "teachers": 1}],
            "observedLevels": [{"level": {"key": "applying"}, "teachers": 1}],
        },
    ]
    in_cycle = (await insights(client, ADMIN, cycle="2024-25"))["ratingDistribution"]
    assert in_cycle == []


async def test_plan_status_pd_hours_and_impact(
    client: GraphQLClient, db: TestDatabase, world: World, district: None
) -> None:
    small = await insights(client, ADMIN)  # fewer teachers than the minimum group size
    assert [s["draft"] for s in small["planStatus"]["schools"]] == [0, 0]  # A's draft is A's
    await set_settings(db, world, minimum_group_size=3)
    found = await insights(client, ADMIN)
    assert found["planStatus"] == {
        "cycle": "2025-26",
        "schools": [
            {"school": {"code": "N"}, "teachers": 2, "draft": 1, "submitted": 1, "approved": 0,
             "completed": 0, "withoutPlan": 0},
            {"school": {"code": "S"}, "teachers": 1, "draft": 0, "submitted": 0, "approved": 0,
             "completed": 0, "withoutPlan": 1},
        ],
    }  # fmt: skip
    assert found["pdHours"] == [
        {"element": {"code": "1.6"}, "hours": 5.0, "teachers": 1, "records": 2},
        {"element": {"code": "5.2"}, "hours": 6.0, "teachers": 2, "records": 2},
    ]
    impact = {
        "title": "Resource checking",
        "teachers": 1,
        "observedPairs": 1,
        # North and South are 3 teachers: at the minimum group size, private ratings count in
        # aggregates, so a mean behind 1 teacher is not shown (it would tell hers).
        "meanObservedChange": None,
        "selfPairs": 0,  # the only self-assessment came before the training
        "meanSelfChange": None,
        "resource": {"title": "Resource checking"},
    }
    assert found["pdImpact"] == [impact]
    await set_settings(db, world, minimum_group_size=1)
    shown = (await insights(client, ADMIN))["pdImpact"]
    # emerging on 2025-10-01, applying on 2026-02-01
    assert shown == [{**impact, "meanObservedChange": 2.0}]
    await set_settings(db, world, minimum_group_size=3)
    older = (await insights(client, ADMIN, cycle="2024-25"))["planStatus"]
    assert [(s["school"]["code"], s["completed"], s["withoutPlan"]) for s in older["schools"]] == [
        ("N", 1, 1),
        ("S", 0, 1),
    ]


async def test_top_needs_match_the_needs_by_hand(client: GraphQLClient, district: None) -> None:
    top = (await insights(client, ADMIN))["topNeeds"]
    a = (0.15 * (1 - 5 / 15) + 0.2 * 0.75 + 0.3 * 0.5) / 0.65  # training, self, observed
    # no aligned training: at the district level a missing signal, not a need (issue 14.7)
    b = (0.2 * 0.5) / 0.2  # self applying
    c = (0.2 * 0.75 + 0.3 * 0.5) / 0.5  # no training records at all: training is missing
    assert top["teachers"] == 3 and top["minimumGroupSize"] == 10
    assert "at least 10 students" in top["note"]
    first = top["needs"][0]
    assert first["element"] == {"code": "1.6"}
    assert (first["teachersWithTopNeed"], first["teachersScored"]) == (3, 3)
    assert first["meanScore"] == pytest.approx((a + b + c) / 3, abs=1e-3)
    assert first["leadingSignal"] == "SELF_ASSESSMENT"  # A, B and C
    assert [need["element"]["code"] for need in top["needs"]] == ["1.6"]  # nothing else scored


async def test_student_results_suppress_small_groups_and_say_so(
    client: GraphQLClient, world: World, db: TestDatabase, district: None
) -> None:
    view = (await insights(client, ADMIN))["studentResults"]
    assert view["minimumGroupSize"] == 10 and view["suppressedGroups"] == 2
    assert view["note"] == (
        "2 groups have fewer than 10 students; their figures are suppressed; "
        "years used: Math: 2025-26 (the most recent complete year)"
    )  # the data window (issue 14): 2026-27 has no results yet
    assert view["rows"] == [
        {"school": {"code": code}, "subject": "Math", "schoolYear": "2025-26", "suppressed": True,
         "students": None, "shareBelowStandard": None}
        for code in ("N", "S")
    ]  # fmt: skip
    await set_settings(db, world, minimum_group_size=3)
    view = (await insights(client, ADMIN))["studentResults"]
    assert view["suppressedGroups"] == 1  # South has 2 students with results
    assert [
        (r["school"]["code"], r["students"], r["shareBelowStandard"]) for r in view["rows"]
    ] == [
        ("N", 5, 1.0),
        ("S", None, None),
    ]


# --- role scoping for every view ------------------------------------------------------------------

SCOPES = [
    (ADMIN, 3, {"N", "S"}),
    (PRINCIPAL_NORTH, 2, {"N"}),
    (PRINCIPAL_SOUTH, 1, {"S"}),
    (COACH, 1, {"N"}),
    (OUTSIDER, 0, set()),
]


@pytest.mark.parametrize(("viewer", "teachers", "schools"), SCOPES)
async def test_every_view_is_scoped_by_role(
    client: GraphQLClient,
    world: World,
    db: TestDatabase,
    district: None,
    viewer: str,
    teachers: int,
    schools: set[str],
) -> None:
    await set_settings(db, world, minimum_group_size=1)
    found = await insights(client, viewer)
    assert found["coverage"]["teachers"] == teachers
    assert found["topNeeds"]["teachers"] == teachers
    assert {row["school"]["code"] for row in found["ratingDistribution"]} == schools
    assert {row["school"]["code"] for row in found["planStatus"]["schools"]} == schools
    assert sum(row["teachers"] for row in found["planStatus"]["schools"]) == teachers
    assert {row["school"]["code"] for row in found["studentResults"]["rows"]} == schools
    hours = {row["element"]["code"]: row["hours"] for row in found["pdHours"]}
    expected_hours = {
        ADMIN: {"1.6": 5.0, "5.2": 6.0},
        PRINCIPAL_NORTH: {"1.6": 5.0, "5.2": 6.0},
        PRINCIPAL_SOUTH: {},
        COACH: {"1.6": 5.0, "5.2": 2.0},
        OUTSIDER: {},
    }
    assert hours == expected_hours[viewer]
    assert len(found["pdImpact"]) == (1 if viewer in (ADMIN, PRINCIPAL_NORTH, COACH) else 0)
    students = {row["school"]["code"]: row["students"] for row in found["studentResults"]["rows"]}
    if viewer == COACH:
        assert students == {"N": 3}  # only the students of the coach's teacher
    if viewer == PRINCIPAL_NORTH:
        assert students == {"N": 5}


async def test_an_admin_narrows_to_one_school(
    client: GraphQLClient, world: World, district: None
) -> None:
    south = to_global_id("School", world.school_ids["S"])
    found = await insights(client, ADMIN, school=south)
    assert found["coverage"]["teachers"] == 1
    assert {row["school"]["code"] for row in found["studentResults"]["rows"]} == {"S"}
    # a principal asking for another school gets nothing, not that school
    other = await insights(client, PRINCIPAL_NORTH, school=south)
    assert other["coverage"]["teachers"] == 0 and other["studentResults"]["rows"] == []


@pytest.mark.parametrize("viewer", [TEACHER_A, TEACHER_C])
async def test_teachers_are_refused(client: GraphQLClient, viewer: str, district: None) -> None:
    body = await client.raw("{ district { insights { coverage { teachers } } } }", as_=viewer)
    assert body["data"] is None  # insights is non-null: the error nulls its parent
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["district", "insights"]


async def test_student_views_write_one_audit_event(
    client: GraphQLClient, world: World, db: TestDatabase, district: None
) -> None:
    from sqlalchemy import select

    await client.execute("{ district { insights { studentResults { note } } } }", as_=ADMIN)
    async with db.sessionmaker() as session:
        events = list(await session.scalars(select(models.AuditEvent)))
    assert [(e.entity, sorted(e.entity_ids)) for e in events] == [
        ("student_aggregate", sorted(str(world.school_ids[s]) for s in ("N", "S")))
    ]


# --- statements do not grow with teachers ---------------------------------------------------------

# One query per feature: a loader used at two depths of one query may be dispatched in one batch
# or two depending on timing, which would make the comparison flaky without any N+1.
TEACHER_PAGES = {
    "needs": "needs(first: 3) { score element { code } selfRating { level { key } } "
    "observedRating { kind level { key } } signals { kind value } }",
    "suggestions": "goalSuggestions(first: 2) { title targetLevel { key } }",
    "recommendations": "recommendations(first: 3) { totalCount nodes { score resource { title } } }",
    "growth": "growth { summary { goals trainingHours } plans { goals } trainingHours { hours } "
    "studentResults { students } elements { selfLevels { level { key } } "
    "observedLevels { level { key } } } pdImpact { completedOn } }",
}

DISTRICT_VIEWS = """
{
  district {
    insights {
      coverage { teachers } ratingDistribution { school { name } selfLevels { level { key } } }
      topNeeds { needs { element { code } } } planStatus { schools { school { name } } }
      pdHours { hours } pdImpact { resource { title } } studentResults { rows { school { name } } }
    }
  }
}
"""


async def add_catalog(db: TestDatabase, world: World) -> None:
    await resource(db, world, "r1", ("1.1", "1.2"))
    await resource(db, world, "r2", ("1.3",))


@pytest.mark.parametrize("feature", [*TEACHER_PAGES, "district"])
async def test_statements_do_not_grow_with_teachers(
    client: GraphQLClient, db: TestDatabase, world: World, district: None, feature: str
) -> None:
    if feature == "district":
        query = DISTRICT_VIEWS
    else:
        query = f"{{ district {{ teachers(first: 100) {{ nodes {{ name {TEACHER_PAGES[feature]} }} }} }} }}"
    await add_catalog(db, world)
    await add_teachers(db, world, 2, start=0)  # 5 teachers

    def run() -> Awaitable[dict[str, Any]]:
        return client.execute(query, as_=ADMIN)

    small, five = await db.fewest_statements(run)
    await add_teachers(db, world, 45, start=2)  # 50 teachers
    large, fifty = await db.fewest_statements(run)
    if feature == "district":
        assert large["district"]["insights"]["coverage"]["teachers"] == 50
    else:
        assert len(small["district"]["teachers"]["nodes"]) == 5
        nodes = large["district"]["teachers"]["nodes"]
        extras = [node for node in nodes if node["name"].startswith("Extra")]
        assert len(nodes) == 50 and len(extras) == 47
        if feature == "needs":
            assert all(node["needs"] for node in extras)
        if feature == "recommendations":
            assert all(node["recommendations"]["nodes"] for node in extras)
    assert fifty.count == five.count, (five.count, fifty.count, fifty.statements)


async def test_completions_by_action_step_count_for_impact(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """A resource completed as a done action step (not training) also counts for PD impact."""
    checking = await resource(db, world, "checking", ("1.6",))
    await observe(db, world, TEACHER_B, {"1.6": "exploring"}, day=date(2025, 10, 1))
    await observe(db, world, TEACHER_B, {"1.6": "exploring"}, day=date(2026, 3, 1))
    await plan(
        db, world, TEACHER_B, "2025-26", "approved", [(("1.6",), 50)],
        steps=[(checking, datetime(2025, 12, 1, 22, tzinfo=UTC))],
    )  # fmt: skip
    [row] = (await insights(client, PRINCIPAL_NORTH))["pdImpact"]
    assert (row["teachers"], row["observedPairs"], row["meanObservedChange"]) == (1, 1, 0.0)
