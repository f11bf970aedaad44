"""Sections, students and their assessment results (student data: scoped and audited)."""

from __future__ import annotations

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.relay import Connection, Node


@strawberry.type
class Section(Node):
    name: str


@strawberry.type
class Student(Node):
    local_id: str


@strawberry.input
class StudentFilterInput:
    section_id: strawberry.ID | None = None


async def sections_of_teacher(info: Info, teacher_id: int) -> list[Section]:
    return []


async def students_of_teacher(
    info: Info, teacher_id: int, where: StudentFilterInput | None, first: int, after: str | None
) -> Connection[Student]:
    raise NotImplementedError
