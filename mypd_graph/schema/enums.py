"""GraphQL enums shared by several domain modules (one definition each, or the schema clashes)."""

import strawberry

from mypd_graph import models

PlanStatus = strawberry.enum(models.PlanStatus, name="PlanStatus")
