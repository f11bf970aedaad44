"""Self-assessments, observations, evidence, comments and training records."""

from __future__ import annotations

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.relay import Node


@strawberry.type
class SelfAssessment(Node):
    cycle: str


@strawberry.type
class Observation(Node):
    kind: str


@strawberry.type
class Evidence(Node):
    title: str


@strawberry.type
class Comment(Node):
    body: str


@strawberry.type
class TrainingRecord(Node):
    title: str


async def self_assessments_of_teacher(info: Info, teacher_id: int) -> list[SelfAssessment]:
    return []


async def observations_of_teacher(info: Info, teacher_id: int) -> list[Observation]:
    return []


async def evidence_of_teacher(info: Info, teacher_id: int) -> list[Evidence]:
    return []


async def training_of_teacher(info: Info, teacher_id: int) -> list[TrainingRecord]:
    return []


async def comments_on_goal(info: Info, goal_id: int) -> list[Comment]:
    return []


async def evidence_for_goal(info: Info, goal_id: int) -> list[Evidence]:
    return []
