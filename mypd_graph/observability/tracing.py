"""OpenTelemetry traces when the standard ``OTEL_*`` variables ask for them (the optional ``otel``
extra: the SDK, the OTLP exporter and the Starlette and SQLAlchemy instrumentations).

``OTEL_TRACES_EXPORTER`` picks the exporter (``otlp``, the default, sends to
``OTEL_EXPORTER_OTLP_ENDPOINT`` over HTTP; ``console`` prints spans; ``none`` turns tracing off);
``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` name the service; the OTLP exporter reads
its own ``OTEL_EXPORTER_OTLP_*`` variables. Each request is a span with its SQL statements as
child spans.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

log = logging.getLogger(__name__)
ASKING = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)


def wanted() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    return exporter != "none" and any(os.environ.get(name) for name in ASKING)


def instrument(app: Starlette, engine: AsyncEngine) -> Callable[[], None] | None:
    """Trace ``app`` and ``engine`` when asked; the function that flushes and stops tracing
    (called at shutdown), or None."""
    if not wanted():
        return None
    try:
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
        from opentelemetry.instrumentation.starlette import StarletteInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError:
        log.warning(
            "OTEL_* variables are set but tracing is not installed: pip install 'mypd-graph[otel]'"
        )
        return None
    # Attributes given here win over the environment's: name the service only when it does not.
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    provider = TracerProvider(
        resource=Resource.create({} if named else {"service.name": "mypd-graph"})
    )
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    StarletteInstrumentor.instrument_app(app, tracer_provider=provider)
    # Its declared range stops below SQLAlchemy 2.1, whose engine events it uses unchanged.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )
    return provider.shutdown
