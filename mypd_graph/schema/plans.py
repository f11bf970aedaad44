"""Learning plans, goals and action steps: types, the plan workflow, and their mutations."""

from __future__ import annotations

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.relay import Node


@strawberry.type(description="A teacher's learning plan for one cycle.")
class LearningPlan(Node):
    cycle: str
    status: str


@strawberry.type
class Goal(Node):
    title: str


async def plans_of_teacher(info: Info, teacher_id: int, cycle: str | None) -> list[LearningPlan]:
    return []
