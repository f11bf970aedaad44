"""The schema extension that tells a request's record and the metrics which operation ran and
which error codes it answered (placed before the extension that assigns the codes, so it reads
them after they are set)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from mypd_graph.observability import metrics
from mypd_graph.observability.requests import current


class ObservedOperations(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        name = context.operation_name
        if name is None and context.graphql_document is not None:
            operations = [
                definition
                for definition in context.graphql_document.definitions
                if getattr(definition, "operation", None) is not None
            ]
            if len(operations) == 1 and operations[0].name is not None:
                name = operations[0].name.value
        codes = [
            str((error.extensions or {}).get("code", "UNKNOWN"))
            for error in (context.result.errors or [] if context.result else [])
        ]
        metrics.observe_operation(name, time.perf_counter() - started, codes)
        record = current()
        if record is not None:
            record.operation = name
            record.error_codes.extend(codes)
