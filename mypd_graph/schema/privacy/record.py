"""``exportMyRecord``: the signed-in teacher's whole growth record as one JSON document (shape in
docs/privacy.md, "A teacher's record"); thin over :mod:`mypd_graph.services.privacy.record`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from mypd_graph.schema.context import Info
from mypd_graph.services.privacy import record as service


@strawberry.type
class Query:
    @strawberry.field(
        description="The signed-in teacher's whole growth record as one JSON document (format "
        "mypd-teacher-record/1, docs/privacy.md): no student names; null for anyone who is not a "
        "teacher. Each export is recorded in the audit trail."
    )
    async def export_my_record(self, info: Info) -> JSON | None:
        document: dict[str, Any] | None = await info.context.read(service.export_my_record)
        return document
