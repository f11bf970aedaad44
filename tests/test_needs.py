"""Needs assessment: each signal moves its need; explanations name their data; missing is not 0."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from mypd_graph import models
from mypd_graph.services.personalization.settings import Signal
from mypd_graph.services.students.status import refresh_teacher_status
from tests.factories import TEACHER_A, TEACHER_B, TEACHER_C, World
from tests.needs_helpers import RECENTLY, TODAY, needs_of, reading, set_levels

# Re-exported: test_growth, test_insights, test_recommendations and test_result_status import
# these from tests.test_needs.
from tests.needs_helpers import actor as actor
from tests.needs_helpers import add_students as add_students
from tests.needs_helpers import gid as gid
from tests.needs_helpers import observe as observe
from tests.needs_helpers import self_rate as self_rate
from tests.needs_helpers import set_settings as set_settings
from tests.needs_helpers import train as train
from tests.needs_helpers import widely_shared as widely_shared  # the fixture, by name

# Figures, not who sees them: the district shares widely (needs_helpers.share_widely).
pytestmark = pytest.mark.usefixtures("widely_shared")


if TYPE_CHECKING:
    from tests.conftest import TestDatabase


# --- each signal moves the need -----------------------------------------------------------------


async def test_a_lower_self_rating_raises_the_need(db: TestDatabase, world: World) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "emerging"})
    await self_rate(db, world, TEACHER_B, {"1.6": "integrating"})
    a = (await needs_of(db, world, TEACHER_A))["1.6"]
    b = (await needs_of(db, world, TEACHER_B))["1.6"]
    assert a.score == 1.0  # only self-assessment is present: emerging is 1
    assert b.score == 0.25  # integrating is 4 of 5


async def test_a_lower_observer_rating_raises_the_need(db: TestDatabase, world: World) -> None:
    for email in (TEACHER_A, TEACHER_B):
        await self_rate(db, world, email, {"1.6": "applying"})
    await observe(db, world, TEACHER_A, {"1.6": "exploring"})
    await observe(db, world, TEACHER_B, {"1.6": "innovating"})
    a = (await needs_of(db, world, TEACHER_A))["1.6"]
    b = (await needs_of(db, world, TEACHER_B))["1.6"]
    assert a.score is not None and b.score is not None and a.score > b.score
    # self 0.5 at 0.2 and observed at 0.3, renormalized over the two present signals
    assert a.score == pytest.approx((0.2 * 0.5 + 0.3 * 0.75) / 0.5, abs=1e-4)
    assert b.score == pytest.approx((0.2 * 0.5 + 0.3 * 0.0) / 0.5, abs=1e-4)


async def test_recent_aligned_training_lowers_the_need(db: TestDatabase, world: World) -> None:
    for email in (TEACHER_A, TEACHER_B):
        await self_rate(db, world, email, {"1.6": "exploring"})
    await train(db, world, TEACHER_A, 7.5, ("1.6",))
    await train(db, world, TEACHER_B, 7.5, ("6.7",))
    await train(db, world, TEACHER_B, 40, ("1.6",), day=TODAY - timedelta(days=5 * 365))  # too old
    a = (await needs_of(db, world, TEACHER_A))["1.6"]
    b = (await needs_of(db, world, TEACHER_B))["1.6"]
    assert reading(a, Signal.TRAINING).value == 0.5  # 7.5 of 15 hours
    assert reading(b, Signal.TRAINING).value == 1.0  # none aligned in the window
    assert a.score is not None and b.score is not None and a.score < b.score


async def test_students_below_standard_raise_the_need(db: TestDatabase, world: World) -> None:
    await set_settings(db, world, minimum_group_size=2)
    await set_levels(db, world, ["s4", "s5"], 4)  # B's students meet the standard
    for email in (TEACHER_A, TEACHER_B):
        await self_rate(db, world, email, {"1.6": "applying"})
    a = (await needs_of(db, world, TEACHER_A))["1.6"]
    b = (await needs_of(db, world, TEACHER_B))["1.6"]
    # district: s1-s3, s6, s7 below of 7; A: 3 of 3 below; B: 0 of 2
    assert reading(a, Signal.STUDENT_PERFORMANCE).value == 1.0  # 1 + (1 - 5/7) / 2, capped
    assert reading(b, Signal.STUDENT_PERFORMANCE).value == 0.0  # 0 + (0 - 5/7) / 2, floored
    assert a.score is not None and b.score is not None and a.score > b.score


# --- explanations and missing signals -------------------------------------------------------------


async def test_explanations_name_their_data(db: TestDatabase, world: World) -> None:
    await set_settings(db, world, minimum_group_size=3)
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring"})
    await observe(db, world, TEACHER_A, {"1.6": "emerging"}, day=date(2025, 10, 2))
    await train(db, world, TEACHER_A, 4.5, ("1.6",), day=RECENTLY)
    need = (await needs_of(db, world, TEACHER_A))["1.6"]
    since = reading(need, Signal.TRAINING).evidence[0].split(" since ")[1][:10]
    assert reading(need, Signal.STUDENT_PERFORMANCE).evidence == (
        "100% below standard in Math, 2025-26: 3 of the teacher's 3 students "
        "with results (district: 100% of 7)"
        "; 2025-26 is the most recent complete year (fewer than 10 of the teacher's students have results in 2026-27 so far); results of MAP Growth Math",
    )
    assert reading(need, Signal.TRAINING).evidence == (
        f"4.5 hours of training aligned to 1.6 since {since} (1 record)",
    )
    assert reading(need, Signal.SELF_ASSESSMENT).evidence == (
        "self-rated Exploring (2 of 5) in the 2025-26 self-assessment",
    )
    assert reading(need, Signal.OBSERVATION).evidence == (
        "rated Emerging (1 of 5) in a coaching observation on 2025-10-02",
    )
    assert since == (TODAY.replace(year=TODAY.year - 3, day=min(TODAY.day, 28))).isoformat()
    # the teacher reading their own needs is addressed as "your"
    own = (await needs_of(db, world, TEACHER_A, viewer=TEACHER_A))["1.6"]
    assert (
        reading(own, Signal.STUDENT_PERFORMANCE)
        .evidence[0]
        .startswith("100% below standard in Math, 2025-26: 3 of your 3")
    )
    assert need.summary.startswith("1.6 need ")


async def test_a_missing_signal_is_missing_not_zero(db: TestDatabase, world: World) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring"})
    needs = await needs_of(db, world, TEACHER_A)
    need = needs["1.6"]
    student, training, self_, observed, growth = need.signals
    assert [r.signal for r in need.signals] == list(Signal)
    for missing in (student, training, observed, growth):
        assert missing.value is None and missing.contribution is None
        assert missing.effective_weight is None and missing.missing_reason
        assert not missing.present
    assert training.missing_reason == "no training records on file"
    assert growth.missing_reason == "off: the district gives students' growth no weight"
    # read by the admin: only what they may see counts, and the words say so (docs/privacy.md)
    assert observed.missing_reason == "1.6 is not rated in any observation you may see"
    assert "fewer than 10" in (student.missing_reason or "")  # 3 students: a small group
    assert self_.effective_weight == 1.0 and self_.weight == pytest.approx(0.2)
    assert need.score == 0.75  # the one present signal carries all the weight
    # an element nobody rated has no score at all, rather than a need made of nothing
    assert needs["6.7"].score is None and needs["6.7"].rank is None
    assert needs["1.6"].rank == 1


async def test_self_and_observer_ratings_are_side_by_side(db: TestDatabase, world: World) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "innovating"})
    await observe(db, world, TEACHER_A, {"1.6": "emerging"})
    need = (await needs_of(db, world, TEACHER_A))["1.6"]
    assert need.self_rating is not None and need.self_rating.level.key == "innovating"
    assert need.observed_rating is not None and need.observed_rating.level.key == "emerging"
    assert reading(need, Signal.SELF_ASSESSMENT).value == 0.0
    assert reading(need, Signal.OBSERVATION).value == 1.0


async def test_small_student_groups_are_never_described(db: TestDatabase, world: World) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "applying"})
    student = reading((await needs_of(db, world, TEACHER_A))["1.6"], Signal.STUDENT_PERFORMANCE)
    assert student.value is None and student.evidence == ()
    assert student.missing_reason == (
        "fewer than 10 of the teacher's students have results in Math 2025-26; "
        "groups that small are not reported"
    )
    await add_students(db, world, "A-MATH", [2] * 7)  # now 10 students
    student = reading((await needs_of(db, world, TEACHER_A))["1.6"], Signal.STUDENT_PERFORMANCE)
    assert student.value is not None
    assert student.evidence[0].startswith(
        "100% below standard in Math, 2025-26: 10 of the teacher's 10"
    )


async def test_the_latest_school_year_and_rating_count(db: TestDatabase, world: World) -> None:
    await set_settings(db, world, minimum_group_size=1)
    await add_students(db, world, "A-MATH", [4, 4], school_year="2024-25", prefix="old")
    async with db.sessionmaker.begin() as session:  # last year's section holds them
        section = models.Section(
            school_id=world.school_ids["N"],
            teacher_id=world.id(TEACHER_A),
            local_id="A-MATH-24",
            name="Math 3",
            subject="Math",
            school_year="2024-25",
        )
        session.add(section)
        await session.flush()
        await session.execute(
            update(models.Enrollment)
            .where(
                models.Enrollment.student_id.in_(
                    [world.student_ids["oldA-MATH-0"], world.student_ids["oldA-MATH-1"]]
                )
            )
            .values(section_id=section.id)
        )
        await refresh_teacher_status(session, world.district_id)  # a roster writer's duty
    await self_rate(db, world, TEACHER_A, {"1.6": "integrating"}, cycle="2024-25")
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring"}, cycle="2025-26")
    await observe(db, world, TEACHER_A, {"1.6": "innovating"}, day=date(2025, 9, 1))
    await observe(db, world, TEACHER_A, {"1.6": "emerging"}, day=date(2026, 2, 1))
    need = (await needs_of(db, world, TEACHER_A))["1.6"]
    assert (
        reading(need, Signal.STUDENT_PERFORMANCE)
        .evidence[0]
        .startswith("100% below standard in Math, 2025-26: 3 of the teacher's 3 students")
    )
    assert need.self_rating is not None and need.self_rating.cycle == "2025-26"
    assert need.observed_rating is not None
    assert need.observed_rating.observed_on == date(2026, 2, 1)


async def test_elementary_homerooms_answer_for_every_subject(
    db: TestDatabase, world: World
) -> None:
    """A "Multiple Subjects" section covers Math and ELA; a Math section only Math."""
    await set_settings(db, world, minimum_group_size=1)
    async with db.sessionmaker.begin() as session:
        section = await session.get_one(models.Section, world.section_ids["C-ELA"])
        section.subject = "Multiple Subjects"
        await session.flush()
        await refresh_teacher_status(session, world.district_id)  # a roster writer's duty
    await self_rate(db, world, TEACHER_C, {"1.6": "applying"})
    student = reading((await needs_of(db, world, TEACHER_C))["1.6"], Signal.STUDENT_PERFORMANCE)
    assert student.evidence == (
        "100% below standard in Math, 2025-26: 2 of the teacher's 2 students "
        "with results (district: 100% of 7)"
        "; 2025-26 is the most recent complete year (fewer than 10 of the teacher's students have results in 2026-27 so far); results of MAP Growth Math",
    )
