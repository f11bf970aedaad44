"""PD impact that reaches students (issue 14, item 5), over GraphQL on both databases.

Per completed resource: the change in later observer ratings (with why it is missing when it is)
and, per subject the district maps to its elements, the share of the completing teachers'
students below standard the school year before and the school year after (docs/ratings.md), with
how many teachers and students stand behind each figure, shown only over the district's minimum
group size of students on each side.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.demo import DEMO_ADMIN_EMAIL
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.students.figures import STUDENT_AGGREGATE
from tests.factories import (
    ADMIN,
    COACH,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    World,
)
from tests.needs_helpers import add_students, observe, train
from tests.test_data_window import _demo
from tests.test_growth import resource

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase

IMPACT = """{ district { insights { pdImpact {
  title teachers observedPairs meanObservedChange observedTeachers observedWithoutBefore
  observedWithoutAfter unobservedPairs selfPairs meanSelfChange selfTeachers note
  students { subject teachers state studentsBefore studentsAfter shareBelowBefore
             shareBelowAfter change } } } } }"""
SETTINGS = """mutation($input: UpdatePersonalizationSettingsInput!) {
  updatePersonalizationSettings(input: $input) { userErrors { code } } }"""


async def _last_year_section(db: TestDatabase, world: World, teacher: str, key: str) -> None:
    async with db.sessionmaker.begin() as session:
        section = models.Section(
            school_id=world.school_ids["N"],
            teacher_id=world.id(teacher),
            local_id=key,
            name=f"Math 4 ({key})",
            subject="Math",
            grade_level="4",
            school_year="2024-25",
        )
        session.add(section)
        await session.flush()
        world.section_ids[key] = section.id


async def _completed(db: TestDatabase, world: World) -> None:
    """A and B (North, Math) complete a resource on 1.5 (Math and Science in the framework's map):
    A in March 2025, B in October 2025, so for both the year before is 2024-25 and the year after
    2025-26. 2024-25: 12 students, 9 below standard; 2025-26: 12, 5 below (the world's s1-s5
    are below). A resource on 2.1 (mapped to no subject) is completed too."""
    on_fifteen = await resource(db, world, "fifteen", ("1.5",))
    on_two = await resource(db, world, "two", ("2.1",))
    await train(db, world, TEACHER_A, 3, ("1.5",), date(2025, 3, 10), on_fifteen)
    await train(db, world, TEACHER_B, 3, ("1.5",), date(2025, 10, 5), on_fifteen)
    await train(db, world, TEACHER_B, 1, ("2.1",), date(2025, 10, 6), on_two)
    await _last_year_section(db, world, TEACHER_A, "A-MATH-24")
    await _last_year_section(db, world, TEACHER_B, "B-MATH-24")
    await add_students(db, world, "A-MATH-24", [1, 1, 1, 1, 3, 3], school_year="2024-25")
    await add_students(db, world, "B-MATH-24", [1, 1, 1, 1, 1, 3], school_year="2024-25")
    await add_students(db, world, "A-MATH", [3, 3, 3])
    await add_students(db, world, "B-MATH", [3, 3, 3, 3])
    # 1.5 observed for A before and after her completion; for B only after his.
    for day, level in ((date(2025, 2, 3), "exploring"), (date(2025, 4, 7), "integrating")):
        await observe(db, world, TEACHER_A, {"1.5": level}, day, "formal", PRINCIPAL_NORTH)
    await observe(db, world, TEACHER_B, {"1.5": "applying"}, date(2025, 11, 3), "formal", ADMIN)


async def _impact(client: GraphQLClient, viewer: str) -> dict[str, Any]:
    found = await client.execute(IMPACT, as_=viewer)
    return {row["title"]: row for row in found["district"]["insights"]["pdImpact"]}


async def test_pd_impact_reports_students_status_before_and_after(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    await _completed(db, world)
    for viewer in (ADMIN, PRINCIPAL_NORTH):
        impact = await _impact(client, viewer)
        fifteen = impact["Resource fifteen"]
        assert fifteen["teachers"] == 2
        # Ratings: one pair with both sides (A: exploring -> integrating), one with none before.
        assert (fifteen["observedPairs"], fifteen["meanObservedChange"]) == (1, 2.0)
        assert (fifteen["observedTeachers"], fifteen["observedWithoutBefore"]) == (1, 1)
        assert (fifteen["observedWithoutAfter"], fifteen["unobservedPairs"]) == (0, 0)
        assert (fifteen["selfPairs"], fifteen["selfTeachers"]) == (0, 0)
        students = {row["subject"]: row for row in fifteen["students"]}
        assert students["Math"] == {
            "subject": "Math",
            "teachers": 2,
            "state": "SHOWN",
            "studentsBefore": 12,
            "studentsAfter": 12,
            "shareBelowBefore": 0.75,
            "shareBelowAfter": 0.4167,
            "change": -0.3333,
        }
        assert students["Science"]["state"] == "NO_RESULTS"
        assert students["Science"]["teachers"] == 0
        assert students["Science"]["studentsBefore"] is None
        assert "Science: no teacher has students' results in both years" in fifteen["note"]
        # A resource on elements mapped to no subject has no students' figure, and says so.
        two = impact["Resource two"]
        assert two["students"] == []
        assert "mapped to no subject" in two["note"]
        assert "0 only before it and 1 not at all" in two["note"]  # 2.1 was never observed
    # The read of students' results is audited, naming whose students were aggregated.
    async with db.sessionmaker() as session:
        events = list(
            await session.scalars(
                select(models.AuditEvent).where(
                    models.AuditEvent.entity == STUDENT_AGGREGATE,
                    models.AuditEvent.detail.like("PD impact%"),
                )
            )
        )
    assert events and {int(i) for i in events[-1].entity_ids} == {
        world.id(TEACHER_A),
        world.id(TEACHER_B),
    }


async def test_small_groups_are_too_little_data(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """Over the minimum group size of students on each side the figure shows; under it the state
    says too little data and no count or share leaves the service; a principal of another school
    sees neither the teachers nor their students."""
    await _completed(db, world)
    raised = await client.execute(SETTINGS, {"input": {"minimumGroupSize": 13}}, as_=ADMIN)
    assert raised["updatePersonalizationSettings"]["userErrors"] == []
    fifteen = (await _impact(client, ADMIN))["Resource fifteen"]
    math = next(row for row in fifteen["students"] if row["subject"] == "Math")
    assert math == {
        "subject": "Math",
        "teachers": 2,
        "state": "TOO_LITTLE_DATA",
        "studentsBefore": None,
        "studentsAfter": None,
        "shareBelowBefore": None,
        "shareBelowAfter": None,
        "change": None,
    }
    assert (
        "Math: too little data (fewer than 13 students with results in a year)" in (fifteen["note"])
    )
    assert await _impact(client, PRINCIPAL_SOUTH) == {}


async def test_pd_impact_statements_stay_flat(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """More resources, completions, teachers and students: the same number of statements."""
    await _completed(db, world)
    _, fewer = await db.fewest_statements(lambda: client.execute(IMPACT, as_=ADMIN))
    more = await resource(db, world, "more", ("1.5", "3.2"))
    await train(db, world, TEACHER_A, 2, ("3.2",), date(2025, 9, 1), more)
    await train(db, world, TEACHER_B, 2, ("3.2",), date(2025, 9, 2), more)
    await add_students(db, world, "A-MATH-24", [1, 3], school_year="2024-25", prefix="m")
    found, counted = await db.fewest_statements(lambda: client.execute(IMPACT, as_=ADMIN))
    assert len(found["district"]["insights"]["pdImpact"]) == 3
    assert counted.count == fewer.count, counted.statements


async def test_several_observers_after_a_completion_are_reconciled(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """After A's completion three observers rate 1.5: the coach emerging, the admin applying, the
    principal integrating (the newest visit). The observed rating after is the median, applying,
    not the newest: the change is +1 (exploring to applying), as needs would read it."""
    await _completed(db, world)
    await observe(db, world, TEACHER_A, {"1.5": "emerging"}, date(2025, 4, 3), "informal", COACH)
    await observe(db, world, TEACHER_A, {"1.5": "applying"}, date(2025, 4, 4), "formal", ADMIN)
    fifteen = (await _impact(client, ADMIN))["Resource fifteen"]
    assert (fifteen["observedPairs"], fifteen["meanObservedChange"]) == (1, 1.0)


async def test_the_demo_explains_every_missing_observed_change(
    db: TestDatabase, settings: Any, plugins: PluginSet
) -> None:
    """On the demo (observers visit only in 2025-26, training goes back to 2023), every resource
    without an observed change says why, its pairs add up, and students' figures are shown
    where enough students stand behind them."""
    demo, http = await _demo(db, settings, plugins)
    async with http:
        found = (await demo.run(IMPACT, DEMO_ADMIN_EMAIL))["district"]["insights"]["pdImpact"]
    assert found
    for row in found:
        if row["meanObservedChange"] is None and row["observedPairs"]:
            # Rated on both sides, but by fewer teachers than the group size: not shown, said.
            assert row["observedTeachers"] < 10, row
            assert "the observed" in row["note"] and "not shown: fewer than 10" in row["note"]
        elif row["meanObservedChange"] is None:
            assert "no observed change: of the teachers' elements" in row["note"], row
            missing = (
                row["observedWithoutBefore"],
                row["observedWithoutAfter"],
                row["unobservedPairs"],
            )
            assert sum(missing) > 0 and f"{missing[0]} were rated" in row["note"], row
        else:
            assert row["observedPairs"] > 0 and row["observedTeachers"] > 0
        for student in row["students"]:
            shown = student["state"] == "SHOWN"
            assert (student["studentsBefore"] is not None) == shown, student
            assert not shown or min(student["studentsBefore"], student["studentsAfter"]) >= 10
    # Most resources have no observed change on the demo, and some students' figures show.
    assert sum(row["meanObservedChange"] is None for row in found) > len(found) / 2
    assert any(s["state"] == "SHOWN" for row in found for s in row["students"])
