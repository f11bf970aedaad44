"""GraphQL enums shared by several domain modules (one definition each, or the schema clashes)."""

import strawberry

from mypd_graph import models
from mypd_graph.models import growth

PlanStatus = strawberry.enum(models.PlanStatus, name="PlanStatus")
Audience = strawberry.enum(
    growth.Audience,
    name="Audience",
    description="Who besides the teacher sees an item of their growth record: PRIVATE nobody, "
    "COACH their coaches, SUPERVISORS also their principal and the district admins "
    "(docs/privacy.md).",
)
