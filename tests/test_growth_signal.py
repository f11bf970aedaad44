"""Students' growth as the optional fifth need signal (issue 14, item 4), over GraphQL.

Off by default (the district's weight is 0): missing, saying so, and the score is what the four
signals make. A district admin turns it on with a weight; with no growth measures in the year the
status signal reads it is missing and says why; with MAP Growth's conditional growth percentiles
(or met projected growth) it is the share of the teacher's students who grew less than typical,
and it moves the score. The growth view shows the same figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.services.students.growth_measures import GROWTH_RULE
from mypd_graph.services.students.status import refresh_result_status
from tests.factories import ADMIN, TEACHER_A, World
from tests.needs_helpers import set_settings

if TYPE_CHECKING:  # for annotations only: pytest would try to collect GraphQLClient
    from tests.conftest import GraphQLClient, TestDatabase

NEEDS = """{ viewer { teacher {
  needs(first: 60, includeUnscored: true) { element { code } score
    signals { kind value weight missingReason evidence rule } }
  growth { studentGrowth { subject schoolYear suppressed students shareShortOfTypical rule } }
} } }"""
WEIGH = """mutation($weight: Float!) { updatePersonalizationSettings(input: {
  weights: { studentGrowth: $weight } }) {
  settings { weights { studentPerformance studentGrowth } } userErrors { field message code } } }"""


async def _need(client: GraphQLClient, code: str = "1.6") -> tuple[dict[str, Any], dict]:
    """Teacher A's need in ``code`` with its signals by kind, and her growth view."""
    teacher = (await client.execute(NEEDS, as_=TEACHER_A))["viewer"]["teacher"]
    need = next(n for n in teacher["needs"] if n["element"]["code"] == code)
    return {**need, "signals": {s["kind"]: s for s in need["signals"]}}, teacher["growth"]


async def _spring_growth(db: TestDatabase, world: World) -> None:
    """Spring MAP results of A's students carrying growth: s1 short (percentile 30), s2 typical
    and more (70), s3 without a percentile but short of their projection."""
    async with db.sessionmaker.begin() as session:
        math = await session.scalar(
            select(models.Assessment.id).where(
                models.Assessment.district_id == world.district_id,
                models.Assessment.key == "map-math",
            )
        )
        for local_id, cgp, met in (("s1", 30, False), ("s2", 70, True), ("s3", None, False)):
            session.add(
                models.AssessmentResult(
                    assessment_id=math,
                    student_id=world.student_ids[local_id],
                    school_year="2025-26",
                    term="Spring",
                    achievement_level=2,
                    percentile=40,
                    growth_percentile=cgp,
                    met_projected_growth=met,
                )
            )
        await session.flush()
        await refresh_result_status(session, world.district_id)


async def test_the_growth_signal_off_on_and_missing(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    await set_settings(db, world, minimum_group_size=2)
    await _spring_growth(db, world)
    off, _ = await _need(client)
    growth = off["signals"]["STUDENT_GROWTH"]
    assert (growth["value"], growth["weight"]) == (None, 0.0)
    assert growth["missingReason"] == "off: the district gives students' growth no weight"
    assert growth["rule"] == GROWTH_RULE

    changed = await client.execute(WEIGH, {"weight": 0.25}, as_=ADMIN)
    assert changed["updatePersonalizationSettings"]["userErrors"] == []
    assert changed["updatePersonalizationSettings"]["settings"]["weights"]["studentGrowth"] == 0.25
    on, view = await _need(client)
    growth = on["signals"]["STUDENT_GROWTH"]
    assert growth["missingReason"] is None and growth["value"] == round(2 / 3, 4)
    assert growth["evidence"][0].startswith(
        "67% grew less than typical in Math, 2025-26: 2 of your 3 students with a growth measure"
    )
    student = on["signals"]["STUDENT_PERFORMANCE"]["value"]
    assert student == 1.0 and on["score"] < off["score"]  # growth lowers this need
    [row] = view["studentGrowth"]
    assert (row["subject"], row["schoolYear"], row["students"]) == ("Math", "2025-26", 3)
    assert (row["suppressed"], row["shareShortOfTypical"]) == (False, round(2 / 3, 4))


async def test_the_growth_signal_is_missing_without_measures(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    """Turned on, in a year whose files carry no growth (the world's fall results): missing,
    saying why, and the score is the four signals' alone."""
    await set_settings(db, world, minimum_group_size=2)
    before, _ = await _need(client)
    await client.execute(WEIGH, {"weight": 0.25}, as_=ADMIN)
    after, view = await _need(client)
    growth = after["signals"]["STUDENT_GROWTH"]
    assert growth["value"] is None and growth["weight"] > 0
    assert growth["missingReason"] == (
        "no growth measures for your students in Math or ELA or Science in 2025-26 "
        "(MAP Growth files carry them from the spring on)"
    )
    assert after["score"] == before["score"]
    assert view["studentGrowth"] == []
