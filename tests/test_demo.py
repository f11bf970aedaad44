"""The demo district: what it contains, and that it loads once into an empty database.

Every test loads the demo into the empty database of the ``db`` fixture (SQLite, and PostgreSQL
when configured), the way ``mypd-graph demo load`` does after syncing the frameworks. Its
well-known accounts, plan histories and determinism are in ``test_demo_consistency.py``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_IMPORTER_EMAIL,
    GRADES,
    database_is_empty,
    load_demo,
)
from mypd_graph.models import Role
from mypd_graph.providers.catalog import shipped_catalog


async def _load(db: Any) -> str:
    async with db.sessionmaker.begin() as session:
        return await load_demo(session)


def _in_band(grade: str, band: str) -> bool:
    low, _, high = band.partition("-")
    return GRADES.index(low) <= GRADES.index(grade) <= GRADES.index(high)


async def _users_by_role(session: AsyncSession) -> dict[str, list[models.User]]:
    users: dict[str, list[models.User]] = defaultdict(list)
    for user in await session.scalars(select(models.User).order_by(models.User.id)):
        users[user.role].append(user)
    return users


async def test_database_is_empty_before_and_after_loading(db):
    async with db.sessionmaker() as session:
        assert await database_is_empty(session)

    summary = await _load(db)

    assert "\n" not in summary
    assert "40 teachers" in summary and "students" in summary, summary
    async with db.sessionmaker() as session:
        assert not await database_is_empty(session)
    with pytest.raises(RuntimeError, match="already loaded"):
        await _load(db)
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(models.District)) == 1


async def test_people_schools_students_and_sections(db):
    await _load(db)
    async with db.sessionmaker() as session:
        district = await session.scalar(select(models.District))
        assert district is not None
        assert (district.key, district.name) == ("demo", "Demo Unified School District")
        framework = await session.get_one(models.Framework, district.active_framework_id)
        assert framework.key == "cstp-2009"

        schools = {s.id: s for s in await session.scalars(select(models.School))}
        assert sorted(s.grade_band for s in schools.values()) == ["6-8", "9-12", "K-5"]
        assert all(s.code and s.name.endswith("School") for s in schools.values())

        users = await _users_by_role(session)
        assert 35 <= len(users[Role.TEACHER]) <= 45
        assert len(users[Role.COACH]) == 3
        assert sorted(p.school_id for p in users[Role.PRINCIPAL]) == sorted(schools)
        assert [u.email for u in users[Role.DISTRICT_ADMIN]] == [DEMO_ADMIN_EMAIL]
        assert [u.email for u in users[Role.IMPORTER]] == [DEMO_IMPORTER_EMAIL]
        everyone = [u for group in users.values() for u in group]
        assert all(u.email == u.email.lower() for u in everyone)
        assert all(u.email.endswith("@demo.mypd.test") for u in everyone)

        profiles = list(await session.scalars(select(models.TeacherProfile)))
        assert len(profiles) == len(users[Role.TEACHER])
        for profile in profiles:
            school = schools[profile.school_id]
            assert profile.subjects and profile.years_experience
            assert profile.grade_levels
            assert all(_in_band(g, school.grade_band) for g in profile.grade_levels), profile.bio

        caseloads = Counter(await session.scalars(select(models.CoachAssignment.coach_id)))
        coach_ids = {c.id for c in users[Role.COACH]}
        assert set(caseloads) == coach_ids
        assert all(8 <= count <= 12 for count in caseloads.values()), caseloads

        students = list(await session.scalars(select(models.Student)))
        assert 700 <= len(students) <= 900
        assert len({s.local_id for s in students}) == len(students)
        assert all(_in_band(s.grade_level, schools[s.school_id].grade_band) for s in students)

        sections = list(await session.scalars(select(models.Section)))
        years_taught = defaultdict(set)
        for section in sections:
            years_taught[section.teacher_id].add(section.school_year)
            assert _in_band(section.grade_level, schools[section.school_id].grade_band)
        teacher_ids = {t.id for t in users[Role.TEACHER]}
        assert all(years_taught[t] == {"2024-25", "2025-26"} for t in teacher_ids)

        # Elementary students sit in one homeroom; secondary students in several sections.
        current = (
            select(models.Enrollment.student_id, func.count())
            .join(models.Section, models.Section.id == models.Enrollment.section_id)
            .where(models.Section.school_year == "2025-26")
            .group_by(models.Enrollment.student_id)
        )
        sections_of = dict((await session.execute(current)).all())
        for student in students:
            if schools[student.school_id].grade_band == "K-5":
                assert sections_of[student.id] == 1
            else:
                assert sections_of[student.id] >= 3


async def test_assessments_resources_and_goals(db):
    await _load(db)
    async with db.sessionmaker() as session:
        assessments = {a.key: a for a in await session.scalars(select(models.Assessment))}
        assert set(assessments) == {
            "nwea-map-math",
            "nwea-map-reading",
            "caaspp-sb-math",
            "caaspp-sb-ela",
        }
        for key in ("caaspp-sb-math", "caaspp-sb-ela"):
            assert (assessments[key].level_count, assessments[key].proficient_level) == (4, 3)

        by_id = {a.id: a.key for a in assessments.values()}
        windows = defaultdict(set)
        levels = defaultdict(set)
        growth = defaultdict(set)
        results = (await session.execute(select(models.AssessmentResult))).scalars().all()
        assert len(results) > 5000
        for result in results:
            key = by_id[result.assessment_id]
            windows[key].add((result.school_year, result.term))
            levels[key].add(result.achievement_level)
            if result.growth_percentile is not None:
                growth[(key, result.term)].add(result.growth_percentile)
                assert result.met_projected_growth == (result.growth_percentile >= 50)
            else:
                assert result.met_projected_growth is None
            if key.startswith("nwea"):
                assert 1 <= result.percentile <= 99
                assert 100 <= result.scale_score <= 320
            else:
                assert result.percentile is None
                assert 2100 <= result.scale_score <= 2900
        terms = {(y, t) for y in ("2024-25", "2025-26") for t in ("Fall", "Winter", "Spring")}
        assert windows["nwea-map-math"] == windows["nwea-map-reading"] == terms
        assert windows["caaspp-sb-ela"] == {("2024-25", "Spring"), ("2025-26", "Spring")}
        # As the presets import them (issue 14, item 8): MAP has percentiles and no levels.
        assert levels["nwea-map-math"] == levels["nwea-map-reading"] == {None}
        assert levels["caaspp-sb-math"] == levels["caaspp-sb-ela"] == {1, 2, 3, 4}
        assert assessments["nwea-map-math"].proficiency_basis == "percentile"
        assert (
            assessments["caaspp-sb-math"].summative and not assessments["nwea-map-math"].summative
        )
        # MAP's fall-to-spring growth columns, on spring rows only, as the MAP preset reads them.
        assert set(growth) == {("nwea-map-math", "Spring"), ("nwea-map-reading", "Spring")}
        assert all(
            min(found) >= 1 and max(found) <= 99 and len(found) > 20 for found in growth.values()
        )

        # The demo syncs the CSTP catalog the built-in catalog provider ships (no other provider).
        resources = list(await session.scalars(select(models.Resource)))
        assert 45 <= len(resources) <= 60
        assert {r.provider for r in resources} == {shipped_catalog().name}
        assert {r.format for r in resources} == {
            "course",
            "video",
            "workshop",
            "article",
            "coaching-cycle",
        }
        cstp = await session.scalar(
            select(models.Framework.id).where(models.Framework.key == "cstp-2009")
        )
        assert {r.framework_id for r in resources} == {cstp}
        aligned = Counter(await session.scalars(select(models.ResourceElement.resource_id)))
        assert all(1 <= aligned[r.id] <= 3 for r in resources)
        covered = set(await session.scalars(select(models.ResourceElement.element_id)))
        elements = await session.scalars(
            select(models.Standard.id).where(
                models.Standard.framework_id == cstp, models.Standard.is_element.is_(True)
            )
        )
        assert set(elements) <= covered, "the shipped catalog covers every CSTP element"

        district_goals = await session.scalar(select(func.count()).select_from(models.DistrictGoal))
        assert 2 <= district_goals <= 3


async def test_growth_data_for_most_teachers(db):
    await _load(db)
    async with db.sessionmaker() as session:
        teachers = [
            u.id
            for u in await session.scalars(select(models.User).where(models.User.role == "teacher"))
        ]
        most = 0.75 * len(teachers)

        focus = Counter(await session.scalars(select(models.FocusElement.teacher_id)))
        assert len(focus) >= most and all(2 <= n <= 4 for n in focus.values())

        cycles = defaultdict(set)
        for teacher_id, cycle in await session.execute(
            select(models.SelfAssessment.teacher_id, models.SelfAssessment.cycle)
        ):
            cycles[teacher_id].add(cycle)
        assert len(cycles) >= most
        assert all(found == {"2024-25", "2025-26"} for found in cycles.values())

        # Ratings sit mostly at exploring/applying, and grow between the years.
        ratings = (
            select(models.SelfAssessment.cycle, models.RatingLevel.key, models.RatingLevel.position)
            .select_from(models.SelfAssessmentRating)
            .join(
                models.SelfAssessment,
                models.SelfAssessment.id == models.SelfAssessmentRating.self_assessment_id,
            )
            .join(models.RatingLevel, models.RatingLevel.id == models.SelfAssessmentRating.level_id)
        )
        rows = (await session.execute(ratings)).all()
        middle = sum(key in ("exploring", "applying") for _, key, _ in rows)
        assert middle > 0.5 * len(rows)
        mean = {
            cycle: sum(p for c, _, p in rows if c == cycle) / sum(c == cycle for c, _, _ in rows)
            for cycle in ("2024-25", "2025-26")
        }
        assert mean["2025-26"] > mean["2024-25"]

        training = Counter(await session.scalars(select(models.TrainingRecord.teacher_id)))
        assert len(training) >= most
        assert await session.scalar(select(func.count()).select_from(models.TrainingRecordElement))

        # 1-3 visits per teacher, each by the teacher's coach or principal, each with ratings.
        coach_of = dict(
            (
                await session.execute(
                    select(models.CoachAssignment.teacher_id, models.CoachAssignment.coach_id)
                )
            ).all()
        )
        principal_of = {
            school_id: user_id
            for user_id, school_id in await session.execute(
                select(models.User.id, models.User.school_id).where(models.User.role == "principal")
            )
        }
        school_of = dict(
            (
                await session.execute(
                    select(models.TeacherProfile.user_id, models.TeacherProfile.school_id)
                )
            ).all()
        )
        visits = Counter()
        for observation in await session.scalars(select(models.Observation)):
            visits[observation.teacher_id] += 1
            allowed = {
                coach_of.get(observation.teacher_id),
                principal_of[school_of[observation.teacher_id]],
            }
            assert observation.observer_id in allowed
        assert len(visits) >= most and all(1 <= n <= 3 for n in visits.values())
        rated = await session.scalar(
            select(func.count(func.distinct(models.ObservationRating.observation_id)))
        )
        assert rated == sum(visits.values())

        evidence_links = await session.scalar(select(func.count()).select_from(models.EvidenceGoal))
        element_links = await session.scalar(
            select(func.count()).select_from(models.EvidenceElement)
        )
        assert evidence_links and element_links
        assert await session.scalar(select(func.count()).select_from(models.Comment))
