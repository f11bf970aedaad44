"""Needs assessment: each signal moves the need the right way, explanations name their data,
missing signals are missing (never 0) with weights renormalized, small student groups are never
described, settings change the weights and the subject map, and reads are scoped and audited.

The helpers at the top build ratings, observations, training and results on the factories' world;
the other personalization test modules import them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select, update

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.access import Actor, actor_for, visible_teacher_ids
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization.settings import Signal
from mypd_graph.services.students.figures import STUDENT_AGGREGATE
from mypd_graph.services.students.status import refresh_result_status, refresh_teacher_status
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

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase

TODAY = datetime.now(UTC).date()
RECENTLY = TODAY - timedelta(days=40)


# --- helpers shared by the personalization tests --------------------------------------------------


async def actor(db: TestDatabase, world: World, email: str) -> Actor:
    async with db.sessionmaker() as session:
        return actor_for(await session.get_one(models.User, world.id(email)))


async def set_settings(db: TestDatabase, world: World, **values: Any) -> None:
    """Store a district settings row (defaults for everything not given)."""
    async with db.sessionmaker.begin() as session:
        row = await session.get(models.DistrictSettings, world.district_id)
        if row is None:
            row = models.DistrictSettings(
                district_id=world.district_id,
                weight_student_performance=0.35,
                weight_training=0.15,
                weight_self_assessment=0.2,
                weight_observation=0.3,
                minimum_group_size=10,
                training_window_months=36,
                training_full_hours=15.0,
                subject_elements={},
            )
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)


async def self_rate(
    db: TestDatabase,
    world: World,
    email: str,
    ratings: dict[str, str],
    cycle: str = "2025-26",
    submitted: date | None = None,
) -> None:
    async with db.sessionmaker.begin() as session:
        assessment = models.SelfAssessment(teacher_id=world.id(email), cycle=cycle)
        if submitted is not None:
            assessment.submitted_at = datetime(*submitted.timetuple()[:3], 18, tzinfo=UTC)
        session.add(assessment)
        await session.flush()
        session.add_all(
            models.SelfAssessmentRating(
                self_assessment_id=assessment.id,
                element_id=world.element_ids[code],
                level_id=world.level_ids[level],
            )
            for code, level in ratings.items()
        )


async def observe(
    db: TestDatabase,
    world: World,
    email: str,
    ratings: dict[str, str],
    day: date = date(2025, 10, 2),
    kind: str = "coaching",
    observer: str = COACH,
) -> None:
    async with db.sessionmaker.begin() as session:
        observation = models.Observation(
            teacher_id=world.id(email), observer_id=world.id(observer), kind=kind, observed_on=day
        )
        session.add(observation)
        await session.flush()
        session.add_all(
            models.ObservationRating(
                observation_id=observation.id,
                element_id=world.element_ids[code],
                level_id=world.level_ids[level],
            )
            for code, level in ratings.items()
        )


async def train(
    db: TestDatabase,
    world: World,
    email: str,
    hours: float,
    codes: tuple[str, ...],
    day: date = RECENTLY,
    resource_id: int | None = None,
    title: str | None = None,
) -> None:
    async with db.sessionmaker.begin() as session:
        record = models.TrainingRecord(
            teacher_id=world.id(email),
            title=title or f"Workshop on {', '.join(codes) or 'practice'} ({hours:g} h)",
            completed_on=day,
            hours=hours,
            resource_id=resource_id,
        )
        session.add(record)
        await session.flush()
        session.add_all(
            models.TrainingRecordElement(
                training_record_id=record.id, element_id=world.element_ids[code]
            )
            for code in codes
        )


async def set_levels(db: TestDatabase, world: World, local_ids: list[str], level: int) -> None:
    """Give these students' results the achievement level (3 = standard met)."""
    ids = [world.student_ids[local_id] for local_id in local_ids]
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.AssessmentResult)
            .where(models.AssessmentResult.student_id.in_(ids))
            .values(achievement_level=level)
        )
        await refresh_result_status(session, world.district_id, students=ids)


async def add_students(
    db: TestDatabase,
    world: World,
    section: str,
    levels: list[int],
    subject: str = "Math",
    school_year: str = "2025-26",
    term: str = "Fall",
    prefix: str = "n",
) -> list[int]:
    """Students enrolled in a section, each with one result at the given achievement level."""
    async with db.sessionmaker.begin() as session:
        assessment = await session.scalar(
            select(models.Assessment).where(
                models.Assessment.district_id == world.district_id,
                models.Assessment.subject == subject,
            )
        )
        if assessment is None:
            assessment = models.Assessment(
                district_id=world.district_id,
                key=f"test-{subject.lower()}",
                name=f"Test {subject}",
                subject=subject,
            )
            session.add(assessment)
            await session.flush()
        section_row = await session.get_one(models.Section, world.section_ids[section])
        ids = []
        for n, level in enumerate(levels):
            local_id = f"{prefix}{section}-{n}"
            student = models.Student(
                district_id=world.district_id,
                school_id=section_row.school_id,
                local_id=local_id,
                first_name="New",
                last_name=local_id,
                grade_level="4",
            )
            session.add(student)
            await session.flush()
            world.student_ids[local_id] = student.id
            session.add(models.Enrollment(section_id=section_row.id, student_id=student.id))
            session.add(
                models.AssessmentResult(
                    assessment_id=assessment.id,
                    student_id=student.id,
                    school_year=school_year,
                    term=term,
                    scale_score=200.0 + level,
                    achievement_level=level,
                )
            )
            ids.append(student.id)
        await session.flush()
        await refresh_result_status(session, world.district_id, students=ids)
        return ids


async def needs_of(
    db: TestDatabase, world: World, email: str, viewer: str = ADMIN, as_of: date | None = None
) -> dict[str, needs_service.Need]:
    """The teacher's needs by element code, as ``viewer`` sees them (service level)."""
    who = await actor(db, world, viewer)
    async with db.sessionmaker.begin() as session:
        teachers = needs_service.teachers_by_ids(who, [world.id(email)])
        found = await needs_service.assess(session, who, teachers, as_of)
    return {need.element.code: need for need in found.get(world.id(email), [])}


def reading(need: needs_service.Need, signal: Signal) -> needs_service.SignalReading:
    return next(r for r in need.signals if r.signal is signal)


def gid(world: World, email: str) -> str:
    return to_global_id("Teacher", world.id(email))


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
        "100% of the teacher's 3 students below standard in Math, 2025-26 (district: 100% of 7)",
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
    assert reading(own, Signal.STUDENT_PERFORMANCE).evidence[0].startswith("100% of your 3")
    assert need.summary.startswith("1.6 need ")


async def test_a_missing_signal_is_missing_not_zero(db: TestDatabase, world: World) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring"})
    needs = await needs_of(db, world, TEACHER_A)
    need = needs["1.6"]
    student, training, self_, observed = need.signals
    assert [r.signal for r in need.signals] == list(Signal)
    for missing in (student, training, observed):
        assert missing.value is None and missing.contribution is None
        assert missing.effective_weight is None and missing.missing_reason
        assert not missing.present
    assert training.missing_reason == "no training records on file"
    assert observed.missing_reason == "1.6 is not rated in any observation"
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
    assert student.evidence[0].startswith("100% of the teacher's 10 students below standard")


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
        .startswith("100% of the teacher's 3 students below standard in Math, 2025-26")
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
        "100% of the teacher's 2 students below standard in Math, 2025-26 (district: 100% of 7)",
    )


# --- settings -------------------------------------------------------------------------------------


async def test_district_weights_change_the_score(db: TestDatabase, world: World) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "emerging"})
    await observe(db, world, TEACHER_A, {"1.6": "innovating"})
    before = (await needs_of(db, world, TEACHER_A))["1.6"].score
    await set_settings(db, world, weight_self_assessment=0.0)
    after = (await needs_of(db, world, TEACHER_A))["1.6"]
    assert before == pytest.approx(0.2 / 0.5, abs=1e-4) and after.score == 0.0
    assert reading(after, Signal.SELF_ASSESSMENT).effective_weight == 0.0
    assert reading(after, Signal.OBSERVATION).weight == pytest.approx(0.3 / 0.8)


SETTINGS = """
mutation($input: UpdatePersonalizationSettingsInput!) {
  updatePersonalizationSettings(input: $input) {
    settings {
      weights { studentPerformance training selfAssessment observation }
      minimumGroupSize trainingWindowMonths trainingFullHours
      subjectElements { subject elementCodes overridden }
    }
    userErrors { field message code }
  }
}
"""


async def test_admins_change_settings_and_others_cannot(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    change = {
        "weights": {"training": 0.0},
        "minimumGroupSize": 2,
        "subjectElements": [{"subject": "Math", "elementCodes": ["6.7"]}],
    }
    refused = await client.execute(SETTINGS, {"input": change}, as_=PRINCIPAL_NORTH)
    assert refused["updatePersonalizationSettings"]["userErrors"][0]["code"] == "FORBIDDEN"

    data = (await client.execute(SETTINGS, {"input": change}, as_=ADMIN))[
        "updatePersonalizationSettings"
    ]
    assert data["userErrors"] == []
    settings = data["settings"]
    assert settings["weights"] == {
        "studentPerformance": 0.35,
        "training": 0.0,
        "selfAssessment": 0.2,
        "observation": 0.3,
    }
    assert settings["minimumGroupSize"] == 2
    by_subject = {row["subject"]: row for row in settings["subjectElements"]}
    assert by_subject["Math"] == {"subject": "Math", "elementCodes": ["6.7"], "overridden": True}
    assert by_subject["ELA"]["overridden"] is False and "1.6" in by_subject["ELA"]["elementCodes"]

    needs = await needs_of(db, world, TEACHER_A)
    assert reading(needs["6.7"], Signal.STUDENT_PERFORMANCE).value is not None
    assert reading(needs["1.6"], Signal.STUDENT_PERFORMANCE).missing_reason == (
        "none of the teacher's students have results in ELA or Science"
    )

    read = await client.execute(
        "{ district { personalizationSettings { minimumGroupSize } } }", as_=TEACHER_A
    )
    assert read["district"]["personalizationSettings"]["minimumGroupSize"] == 2


async def test_bad_settings_are_user_errors(client: GraphQLClient) -> None:
    bad = {
        "weights": {"training": -1.0},
        "minimumGroupSize": 0,
        "trainingFullHours": 0,
        "subjectElements": [{"subject": "Math", "elementCodes": ["9.9"]}],
    }
    data = (await client.execute(SETTINGS, {"input": bad}, as_=ADMIN))[
        "updatePersonalizationSettings"
    ]
    assert data["settings"] is None
    fields = {tuple(error["field"]): error["code"] for error in data["userErrors"]}
    assert fields == {
        ("input", "weights"): "RANGE",
        ("input", "minimumGroupSize"): "RANGE",
        ("input", "trainingFullHours"): "RANGE",
        ("input", "subjectElements", "0", "elementCodes"): "UNKNOWN_ELEMENT",
    }
    zero = {
        "weights": {"studentPerformance": 0, "training": 0, "selfAssessment": 0, "observation": 0}
    }
    data = (await client.execute(SETTINGS, {"input": zero}, as_=ADMIN))[
        "updatePersonalizationSettings"
    ]
    assert data["userErrors"][0]["message"] == "at least one weight must be above 0"


# --- GraphQL: scope and audit ---------------------------------------------------------------------

NEEDS = """
query($id: ID!) {
  teacher(id: $id) {
    needs(first: 3, includeUnscored: false) {
      rank score isFocus summary element { code }
      selfRating { cycle level { key } }
      observedRating { observedOn kind level { key } observer { name } }
      signals { kind present value weight effectiveWeight contribution evidence missingReason }
    }
  }
}
"""


async def test_needs_through_graphql(client: GraphQLClient, world: World, db: TestDatabase) -> None:
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring", "5.2": "applying"})
    await observe(db, world, TEACHER_A, {"1.6": "emerging"})
    async with db.sessionmaker.begin() as session:
        session.add(
            models.FocusElement(teacher_id=world.id(TEACHER_A), element_id=world.element_ids["5.2"])
        )
    data = await client.execute(NEEDS, {"id": gid(world, TEACHER_A)}, as_=TEACHER_A)
    first, second = data["teacher"]["needs"]
    assert first["element"] == {"code": "1.6"} and first["rank"] == 1
    assert first["selfRating"] == {"cycle": "2025-26", "level": {"key": "exploring"}}
    assert first["observedRating"] == {
        "observedOn": "2025-10-02",
        "kind": "coaching",
        "level": {"key": "emerging"},
        "observer": {"name": "Cora Coach"},
    }
    kinds = [signal["kind"] for signal in first["signals"]]
    assert kinds == ["STUDENT_PERFORMANCE", "TRAINING", "SELF_ASSESSMENT", "OBSERVATION"]
    student = first["signals"][0]
    assert student["present"] is False and student["value"] is None
    assert student["contribution"] is None and student["missingReason"]
    assert second["element"] == {"code": "5.2"} and second["isFocus"] is True
    assert second["observedRating"] is None


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        (TEACHER_A, {TEACHER_A}),
        (TEACHER_B, {TEACHER_B}),
        (COACH, {TEACHER_A}),
        (PRINCIPAL_NORTH, {TEACHER_A, TEACHER_B}),
        (PRINCIPAL_SOUTH, {TEACHER_C}),
        (ADMIN, {TEACHER_A, TEACHER_B, TEACHER_C}),
        (OUTSIDER, set()),
    ],
)
async def test_needs_are_scoped_like_their_teacher(
    client: GraphQLClient, world: World, db: TestDatabase, viewer: str, visible: set[str]
) -> None:
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        await self_rate(db, world, email, {"1.6": "exploring"})
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        data = await client.execute(NEEDS, {"id": gid(world, email)}, as_=viewer)
        if email in visible:
            assert data["teacher"]["needs"][0]["element"] == {"code": "1.6"}
        else:
            assert data["teacher"] is None
    # the service refuses the same way when called directly
    needs = await needs_of(db, world, TEACHER_C, viewer=viewer)
    assert bool(needs) == (TEACHER_C in visible)


async def test_aggregated_student_reads_write_one_audit_event(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    query = "{ district { teachers { nodes { needs(first: 1) { score } } } } }"
    async with db.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(models.AuditEvent))
    await client.execute(query, as_=ADMIN)
    async with db.sessionmaker() as session:
        events = list(
            await session.scalars(
                select(models.AuditEvent).order_by(models.AuditEvent.id).offset(before)
            )
        )
    assert [(e.entity, e.action, e.user_id) for e in events] == [
        (STUDENT_AGGREGATE, "read", world.id(ADMIN))
    ]
    # the teachers whose students were aggregated (C's students have no ELA results)
    assert sorted(events[0].entity_ids) == sorted(
        str(world.id(email)) for email in (TEACHER_A, TEACHER_B)
    )


async def test_needs_of_a_teacher_without_any_data(client: GraphQLClient, world: World) -> None:
    data = await client.execute(
        "query($id: ID!) { teacher(id: $id) { needs(first: 100, includeUnscored: true) "
        "{ score rank signals { present } } } }",
        {"id": gid(world, TEACHER_C)},
        as_=ADMIN,
    )
    needs = data["teacher"]["needs"]
    assert len(needs) == 38 and all(n["score"] is None and n["rank"] is None for n in needs)
    assert all(not s["present"] for n in needs for s in n["signals"])
    bad = await client.raw(
        "query($id: ID!) { teacher(id: $id) { needs(first: 101) { score } } }",
        {"id": gid(world, TEACHER_C)},
        as_=ADMIN,
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_PAGE"


async def test_district_batch_reads_match_per_teacher_reads(db: TestDatabase, world: World) -> None:
    """A batch of the whole district and one teacher at a time give the same figures."""
    await set_settings(db, world, minimum_group_size=2)
    await set_levels(db, world, ["s4"], 4)
    async with db.sessionmaker.begin() as session:
        section = await session.get_one(models.Section, world.section_ids["C-ELA"])
        section.subject = "Multiple Subjects"
        await session.flush()
        await refresh_teacher_status(session, world.district_id)  # a roster writer's duty
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        await self_rate(db, world, email, {"1.6": "applying"})

    per_teacher = {}
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        student = reading((await needs_of(db, world, email))["1.6"], Signal.STUDENT_PERFORMANCE)
        per_teacher[email] = (student.value, student.evidence, student.missing_reason)
    async with db.sessionmaker.begin() as session:
        who = await actor(db, world, ADMIN)
        found = await needs_service.assess(session, who, visible_teacher_ids(who))
    for email in (TEACHER_A, TEACHER_B, TEACHER_C):
        need = next(n for n in found[world.id(email)] if n.element.code == "1.6")
        student = reading(need, Signal.STUDENT_PERFORMANCE)
        assert (student.value, student.evidence, student.missing_reason) == per_teacher[email]
    assert per_teacher[TEACHER_B][1] == (
        "50% of the teacher's 2 students below standard in Math, 2025-26 (district: 86% of 7)",
    )


async def test_top_needs_and_scores_agree_with_the_full_ranking(
    db: TestDatabase, world: World
) -> None:
    """``RankedNeeds.top``, ``top_scores`` and ``scores`` skip building the full order; they must
    agree with it, ties included (elements sharing a score order focus first, then framework
    order)."""
    await set_settings(db, world, minimum_group_size=2)
    await self_rate(db, world, TEACHER_A, {"1.6": "emerging", "2.1": "applying", "5.1": "emerging"})
    async with db.sessionmaker.begin() as session:
        session.add_all(
            models.FocusElement(teacher_id=world.id(TEACHER_A), element_id=world.element_ids[code])
            for code in ("4.2", "1.1")
        )
    await train(db, world, TEACHER_A, 6, ("1.6",))

    async def assessed() -> dict[int, needs_service.RankedNeeds]:
        async with db.sessionmaker.begin() as session:
            who = await actor(db, world, ADMIN)
            return await needs_service.assess(session, who, visible_teacher_ids(who))

    def facts(needs: Any) -> list[tuple[Any, ...]]:
        return [(n.element.code, n.score, n.rank, n.is_focus) for n in needs]

    full = {teacher: facts(needs) for teacher, needs in (await assessed()).items()}
    fresh = await assessed()
    assert full.keys() == fresh.keys() and len(full) >= 3
    for teacher, needs in fresh.items():
        assert len(needs) == len(full[teacher]) == 38
        for count in (1, 3, 5, 38):
            assert facts(needs.top(count)) == full[teacher][:count]
            # what district views add up: the same needs, read without building them
            assert [(e.code, score) for e, score, _ in needs.top_scores(count)] == [
                (code, score) for code, score, _, _ in full[teacher][:count]
            ]
        assert [values for *_, values in needs.top_scores(5)] == [n.values for n in needs[:5]]
        assert sorted((e.code, score) for e, score in needs.scores()) == sorted(
            (code, score) for code, score, _, _ in full[teacher] if score is not None
        )
        assert facts([needs[-1]]) == full[teacher][-1:]
        assert needs.top(2) == [needs[0], needs[1]] and needs.top(1)[0] is needs[0]
        assert facts(needs[2:4]) == full[teacher][2:4]
        for outside in (38, -39):
            with pytest.raises(IndexError):
                needs[outside]
        with pytest.raises(ValueError, match="negative"):
            needs.top(-1)
    mine = full[world.id(TEACHER_A)]
    ranks = [rank for _, score, rank, _ in mine if score is not None]
    assert ranks == list(range(1, len(ranks) + 1))
    tied = [(code, focus) for code, score, _, focus in mine if score == mine[-1][1]]
    assert tied == sorted(tied, key=lambda item: not item[1]), "focus first among equals"
