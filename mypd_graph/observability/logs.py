"""Logs as JSON lines (python-json-logger) or plain text, each carrying the id of the request it
was written for. ``MYPD_LOG_FORMAT``: ``json`` (the default in production) or ``text``."""

from __future__ import annotations

import logging
from typing import Any

from mypd_graph.observability.requests import current

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_RENAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


class RequestFields(logging.Filter):
    """Adds the current request's id (and user, once known) to every record written for it."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current()
        if request is not None:
            if not hasattr(record, "request_id"):
                record.request_id = request.request_id
            if request.user_id is not None and not hasattr(record, "user_id"):
                record.user_id = request.user_id
        return True


def log_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the service and uvicorn's own loggers (uvicorn takes
    it as ``log_config``); uvicorn's access log is replaced by the request lines of
    :mod:`.middleware`, which carry more."""
    formatter: dict[str, Any]
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FORMAT,
            "rename_fields": JSON_RENAMES,
        }
    else:
        formatter = {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestFields}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
