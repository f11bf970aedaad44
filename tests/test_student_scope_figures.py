"""The student scope holds in a teacher's figures too (docs/privacy.md, docs/student-results.md):
needs and growth count only the students and years the district's scope opens, over GraphQL on
both databases.

The clock's school year (NOW) is the scope's current year here: Ana teaches Math in NOW (n1, n2),
in LAST, the year before (n2, l1, l2, l3), and in OLD, the year before that (n1). n1 has one
result in NOW, too few for the current year to speak, so the data window would fall back to LAST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.services.students.status import refresh_result_status, refresh_teacher_status
from mypd_graph.services.students.window import school_year_of
from tests.factories import ADMIN, COACH, TEACHER_A, World
from tests.needs_helpers import set_settings
from tests.security_world import gid

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

NOW = school_year_of(datetime.now(UTC).date())


def _before(year: str) -> str:
    start = int(year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


LAST = _before(NOW)
OLD = _before(LAST)
SCOPES = ("default", "CURRENT", "RECENT", "ALL")


def effective(scope: str) -> str:
    return "RECENT" if scope == "default" else scope


@pytest.fixture
async def years(db: TestDatabase, world: World) -> None:
    """Ana's sections of NOW, LAST and OLD with their students and Math results; groups of one
    reported, so every figure shows."""
    await set_settings(db, world, minimum_group_size=1)
    async with db.sessionmaker.begin() as session:
        math = await session.scalar(
            select(models.Assessment).where(models.Assessment.key == "map-math")
        )
        assert math is not None
        sections = {}
        for key, year in (("NOW", NOW), ("LAST", LAST), ("OLD", OLD)):
            section = models.Section(
                school_id=world.school_ids["N"],
                teacher_id=world.id(TEACHER_A),
                local_id=f"A-MATH-{key}",
                name=f"Math 4 ({key})",
                subject="Math",
                grade_level="4",
                school_year=year,
            )
            session.add(section)
            await session.flush()
            sections[key] = section.id
        roster = {"n1": ("NOW", "OLD"), "n2": ("NOW", "LAST")}
        roster.update({local: ("LAST",) for local in ("l1", "l2", "l3")})
        results = {"n1": (NOW, OLD), "n2": (LAST,), "l1": (LAST,), "l2": (LAST,), "l3": (LAST,)}
        for local_id, keys in roster.items():
            student = models.Student(
                district_id=world.district_id,
                school_id=world.school_ids["N"],
                local_id=local_id,
                first_name=f"First{local_id}",
                last_name=f"Last{local_id}",
                grade_level="4",
            )
            session.add(student)
            await session.flush()
            for key in keys:
                session.add(models.Enrollment(section_id=sections[key], student_id=student.id))
            for year in results[local_id]:
                start = int(year[:4])
                spring = year != NOW
                session.add(
                    models.AssessmentResult(
                        assessment_id=math.id,
                        student_id=student.id,
                        school_year=year,
                        term="Spring" if spring else "Fall",
                        administered_on=date(start + 1, 5, 1) if spring else date(start, 9, 1),
                        scale_score=200.0,
                        achievement_level=2,
                        percentile=40,
                    )
                )
        await session.flush()
        await refresh_result_status(session, world.district_id)
        await refresh_teacher_status(session, world.district_id)


SET_SCOPE = """mutation($scope: StudentScope!) {
  setStudentScope(input: {scope: $scope}) { studentScope userErrors { field message code } }
}"""


async def use_scope(client: GraphQLClient, scope: str) -> None:
    if scope == "default":
        return
    data = await client.execute(SET_SCOPE, {"scope": scope}, as_=ADMIN)
    assert data["setStudentScope"] == {"studentScope": scope, "userErrors": []}


NEEDS = """query($id: ID!) { teacher(id: $id) { needs(first: 50, includeUnscored: true) {
  signals { kind evidence missingReason } } } }"""


async def math_evidence(client: GraphQLClient, world: World, viewer: str) -> set[str]:
    """Ana's student-performance evidence about Math, as ``viewer`` reads her needs."""
    data = await client.execute(NEEDS, {"id": gid("Teacher", world.id(TEACHER_A))}, as_=viewer)
    return {
        line
        for need in data["teacher"]["needs"]
        for signal in need["signals"]
        if signal["kind"] == "STUDENT_PERFORMANCE"
        for line in signal["evidence"]
        if "in Math" in line
    }


@pytest.mark.parametrize("scope", SCOPES)
async def test_needs_speak_only_of_students_in_scope(
    client: GraphQLClient, world: World, years: None, scope: str
) -> None:
    """Under "current" last year's students never speak, though the window would fall back to
    them: this year's few results speak, and the explanation says no earlier year is in reach."""
    await use_scope(client, scope)
    evidence = await math_evidence(client, world, TEACHER_A)
    assert evidence, "Ana's Math figures speak under every scope"
    if effective(scope) == "CURRENT":
        assert all(f"Math, {NOW}: 1 of your 1 students" in line for line in evidence), evidence
        assert all(LAST not in line for line in evidence), evidence
        assert all("no earlier year of your students to read instead" in line for line in evidence)
    else:
        assert all(f"Math, {LAST}:" in line for line in evidence), evidence
        assert all("most recent complete year" in line for line in evidence), evidence


async def test_a_coach_reads_her_needs_unnarrowed(
    client: GraphQLClient, world: World, years: None
) -> None:
    await use_scope(client, "CURRENT")
    evidence = await math_evidence(client, world, COACH)
    assert evidence
    assert all(f"Math, {LAST}:" in line for line in evidence), evidence


GROWTH = """query($id: ID!) { teacher(id: $id) { growth {
  studentResults { subject schoolYear term } studentStatus { subject schoolYear } } } }"""
GROWTH_YEARS = {"CURRENT": {NOW}, "RECENT": {NOW, LAST}, "ALL": {NOW, LAST, OLD}}


async def growth_years(client: GraphQLClient, world: World, viewer: str) -> set[Any]:
    """The years of Ana's growth figures; ``studentResults`` and ``studentStatus`` agree."""
    data = await client.execute(GROWTH, {"id": gid("Teacher", world.id(TEACHER_A))}, as_=viewer)
    growth = data["teacher"]["growth"]
    by_term = {row["schoolYear"] for row in growth["studentResults"]}
    by_year = {row["schoolYear"] for row in growth["studentStatus"]}
    assert by_term == by_year, (by_term, by_year)
    return by_term


@pytest.mark.parametrize("scope", SCOPES)
async def test_growth_counts_a_student_only_in_the_years_in_scope(
    client: GraphQLClient, world: World, years: None, scope: str
) -> None:
    """n1 and n2 are Ana's students this year; their results of the years she taught them
    before count only where the scope opens that year (n1's OLD never under "recent")."""
    await use_scope(client, scope)
    found = await growth_years(client, world, TEACHER_A)
    assert found - {"2025-26"} == GROWTH_YEARS[effective(scope)] - {"2025-26"}
    if "2025-26" not in {NOW, LAST, OLD}:  # the world's own year, when the clock is far ahead
        assert ("2025-26" in found) == (effective(scope) == "ALL")


async def test_a_coach_reads_her_growth_unnarrowed(
    client: GraphQLClient, world: World, years: None
) -> None:
    await use_scope(client, "CURRENT")
    assert {NOW, LAST, OLD} <= await growth_years(client, world, COACH)
