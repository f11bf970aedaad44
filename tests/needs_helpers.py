"""Helpers of the personalization tests: ratings, observations, training, results, needs read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.access import Actor, actor_for
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization.settings import Signal
from mypd_graph.services.students.status import refresh_result_status
from tests.factories import ADMIN, COACH, World

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from tests.conftest import TestDatabase

TODAY = datetime.now(UTC).date()
RECENTLY = TODAY - timedelta(days=40)


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


async def share_widely(db: TestDatabase, world: World) -> None:
    """The district shares everything with everyone who serves a teacher: new records and growth
    profiles with SUPERVISORS, coaching with supervisors, evaluations with coaches. Tests of
    needs, growth and district views use it to test their figures, not who sees them; the
    sharing rule's own tests (test_sharing*.py, test_privacy_matrix.py) start from the defaults."""
    await set_settings(
        db,
        world,
        default_audience="supervisors",
        coaching_shared_with_supervisors=True,
        evaluations_shared_with_coaches=True,
    )


@pytest.fixture
async def widely_shared(db: TestDatabase, world: World) -> None:
    await share_widely(db, world)


async def _add_rated(
    session: AsyncSession,
    world: World,
    record: models.SelfAssessment | models.Observation,
    ratings: dict[str, str],
    rating: type[models.SelfAssessmentRating | models.ObservationRating],
) -> None:
    """Add a self-assessment or an observation with its ratings (element code -> level key); a
    rating points back at its record by ``<record table>_id``."""
    session.add(record)
    await session.flush()
    session.add_all(
        rating(
            **{f"{record.__tablename__}_id": record.id},
            element_id=world.element_ids[code],
            level_id=world.level_ids[level],
        )
        for code, level in ratings.items()
    )


async def self_rate(
    db: TestDatabase,
    world: World,
    email: str,
    ratings: dict[str, str],
    cycle: str = "2025-26",
    submitted: date | None = None,
    audience: str = "supervisors",
) -> None:
    async with db.sessionmaker.begin() as session:
        assessment = models.SelfAssessment(
            teacher_id=world.id(email), cycle=cycle, audience=audience
        )
        if submitted is not None:
            assessment.submitted_at = datetime(*submitted.timetuple()[:3], 18, tzinfo=UTC)
        await _add_rated(session, world, assessment, ratings, models.SelfAssessmentRating)


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
        await _add_rated(session, world, observation, ratings, models.ObservationRating)


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
