"""Counts that say what they count (issue 14, item 3): student lists and counts take the school
year (`where: {schoolYear}`; by default the current one, `everyYear: true` for every year the
student scope opens) and say which year they counted (`schoolYear` beside `totalCount`, null for
every year), over GraphQL on both databases.

The world of tests/test_student_scope.py: Ana teaches s1-s3 in 2025-26 (the current year), p1 in
2024-25 and q1 in 2023-24.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.factories import ADMIN, COACH, TEACHER_A, World
from tests.security_world import gid
from tests.test_student_scope import Past, local_ids, past, use_scope

if TYPE_CHECKING:  # for annotations only: pytest would try to collect GraphQLClient
    from tests.conftest import GraphQLClient

__all__ = ["past"]  # the fixture, shared with tests/test_student_scope.py

STUDENTS = """query($id: ID!, $where: StudentFilterInput) { teacher(id: $id) {
  students(first: 100, where: $where) { schoolYear totalCount edges { node { localId } } } } }"""


async def students_of_ana(
    client: GraphQLClient, world: World, year: str | None, viewer: str = TEACHER_A
) -> dict:
    """Ana's students in ``year``; None: the default (the current year); "*": every year."""
    where = None if year is None else {"everyYear": True} if year == "*" else {"schoolYear": year}
    data = await client.execute(
        STUDENTS, {"id": gid("Teacher", world.id(TEACHER_A)), "where": where}, as_=viewer
    )
    return data["teacher"]["students"]


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        ("*", {"s1", "s2", "s3", "p1", "q1"}),
        ("2025-26", {"s1", "s2", "s3"}),
        ("2024-25", {"p1"}),
        ("2023-24", {"q1"}),
        ("2019-20", set()),
    ],
)
async def test_a_teachers_students_by_school_year(
    client: GraphQLClient, world: World, past: Past, year: str | None, expected: set[str]
) -> None:
    await use_scope(client, "ALL")
    students = await students_of_ana(client, world, year)
    assert local_ids(students) == expected
    assert students["totalCount"] == len(expected)
    assert students["schoolYear"] == (None if year == "*" else year)  # null: every year


async def test_a_teachers_students_default_to_the_current_school_year(
    client: GraphQLClient, world: World, past: Past
) -> None:
    """Not asked for a year, the list counts the current one (the district's newest that has
    begun: 2025-26 here) and says so, whatever years the scope opens."""
    await use_scope(client, "ALL")
    students = await students_of_ana(client, world, None)
    assert (local_ids(students), students["schoolYear"]) == ({"s1", "s2", "s3"}, "2025-26")
    assert students["totalCount"] == 3
    admin = await students_of_ana(client, world, None, viewer=ADMIN)
    assert (admin["totalCount"], admin["schoolYear"]) == (3, "2025-26")


async def test_the_year_never_widens_the_scope(
    client: GraphQLClient, world: World, past: Past
) -> None:
    """Under "current" last year is out of reach for Ana, asked for or not; her coach reads it."""
    await use_scope(client, "CURRENT")
    students = await students_of_ana(client, world, "2024-25")
    assert (students["totalCount"], students["schoolYear"]) == (0, "2024-25")
    assert local_ids(await students_of_ana(client, world, None)) == {"s1", "s2", "s3"}
    assert local_ids(await students_of_ana(client, world, "2024-25", viewer=COACH)) == {"p1"}


SECTION = """query($id: ID!, $where: StudentFilterInput) { node(id: $id) { ... on Section {
  students(where: $where) { schoolYear totalCount } } } }"""


async def test_a_sections_students_say_their_year(
    client: GraphQLClient, world: World, past: Past
) -> None:
    section = gid("Section", world.section_ids["A-MATH"])
    for year, count, said in (
        ("2025-26", 3, "2025-26"),
        ("2024-25", 0, "2024-25"),
        (None, 3, "2025-26"),  # the section's own year
        ("*", 3, None),
    ):
        where = (
            None if year is None else {"everyYear": True} if year == "*" else {"schoolYear": year}
        )
        data = await client.execute(SECTION, {"id": section, "where": where}, as_=ADMIN)
        assert data["node"]["students"] == {"schoolYear": said, "totalCount": count}


@pytest.mark.parametrize("year", ["2025-27", "2025/26", "this year", "\u0662\u0660\u0662\u0665-26"])
async def test_a_school_year_must_be_one(client: GraphQLClient, world: World, year: str) -> None:
    body = await client.raw(
        STUDENTS,
        {"id": gid("Teacher", world.id(TEACHER_A)), "where": {"schoolYear": year}},
        as_=TEACHER_A,
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_CYCLE"
    assert error["extensions"]["field"] == ["where", "schoolYear"]
