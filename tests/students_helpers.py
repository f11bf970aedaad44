"""Helpers of the student tests (test_students_*.py): queries, IDs, pages and audit rows.

Everything runs against the world of tests/factories.py (A-MATH: s1-s3 of TEACHER_A, B-MATH: s4-s5
of TEACHER_B, both North; C-ELA: s6-s7 of TEACHER_C, South; x1 in another district).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from tests.factories import World

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase


TEACHER_STUDENTS = """
query ($id: ID!, $where: StudentFilterInput, $first: Int!, $after: String) {
  teacher(id: $id) {
    students(where: $where, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { localId } }
    }
  }
}
"""


def student_gid(world: World, local_id: str) -> str:
    return to_global_id("Student", world.student_ids[local_id])


def teacher_gid(world: World, email: str) -> str:
    return to_global_id("Teacher", world.id(email))


def local_ids(connection: dict[str, Any]) -> list[str]:
    return [node["localId"] for node in connection["nodes"]]


async def audit_rows(db: TestDatabase) -> list[models.AuditEvent]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(select(models.AuditEvent).order_by(models.AuditEvent.id)))


async def teacher_students(
    client: GraphQLClient, world: World, teacher: str, as_: str, **arguments: Any
) -> dict[str, Any]:
    variables = {"id": teacher_gid(world, teacher), "first": 25, **arguments}
    data = await client.execute(TEACHER_STUDENTS, variables, as_=as_)
    assert data["teacher"] is not None, f"{as_} cannot see {teacher}"
    return data["teacher"]["students"]


RESULTS = """
query ($id: ID!, $subject: String, $year: String) {
  node(id: $id) { ... on Student {
    results(subject: $subject, schoolYear: $year) {
      id schoolYear term administeredOn scaleScore achievementLevel percentile
      assessment { key name subject vendor }
    }
  } }
}
"""
