"""ACME Learning's importer for mypd_graph: Checkpoint results from a JSON Lines export.

Written only against the documented plugin API (``mypd_graph.plugins`` and its ``types``); the
core discovers it through the ``mypd_graph`` entry point group and runs it like any importer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    FileRejected,
    ImporterDefinition,
    ImportSource,
    RowError,
    StudentRecord,
)

WINDOWS = {"BOY": "Fall", "MOY": "Winter", "EOY": "Spring"}
SUBJECTS = {"MATH": "Math", "READING": "ELA", "SCIENCE": "Science"}
BANDS = {"Intervention": 1, "Approaching": 2, "On Track": 3, "Advanced": 4}


def _school_year(text: str) -> str:
    first, second = (int(part) for part in text.split("-"))
    if second != first + 1:
        raise ValueError(text)
    return f"{first}-{second % 100:02d}"


def parse(
    source: ImportSource, options: Mapping[str, Any]
) -> Iterator[AssessmentResultRecord | StudentRecord | RowError]:
    stream = source.text()
    first = stream.readline().lstrip("\ufeff")
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("acme_export") != "checkpoint":
        raise FileRejected(
            f"{source.name} is not an ACME Checkpoint export: the first line must be "
            '{"acme_export": "checkpoint", ...}',
            missing=("acme_export",),
        )
    if header.get("version") != 2:
        raise FileRejected(
            f"{source.name}: ACME Checkpoint export version {header.get('version')!r} is not supported (2 is)"
        )
    seen: set[str] = set()
    for row, line in enumerate(stream, start=2):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            learner, checkpoint, result = item["learner"], item["checkpoint"], item["result"]
        except (ValueError, KeyError, TypeError) as error:
            yield RowError(row, f"not a Checkpoint result: {error}", None, line.strip()[:200])
            continue
        subject = SUBJECTS.get(str(checkpoint.get("subject", "")).upper())
        if subject is None:
            yield RowError(
                row, "unknown subject", "checkpoint.subject", str(checkpoint.get("subject"))
            )
            continue
        term = WINDOWS.get(str(checkpoint.get("window", "")).upper())
        if term is None:
            yield RowError(
                row, "unknown window", "checkpoint.window", str(checkpoint.get("window"))
            )
            continue
        try:
            year = _school_year(str(checkpoint["year"]))
            taken = date.fromisoformat(checkpoint["taken"]) if checkpoint.get("taken") else None
            scale = float(result["scale"])
        except (ValueError, KeyError, TypeError) as error:
            yield RowError(row, f"bad value: {error}", None, line.strip()[:200])
            continue
        student_id = str(learner.get("id", "")).strip()
        if not student_id:
            yield RowError(row, "the learner id is missing", "learner.id", "")
            continue
        if student_id not in seen:
            seen.add(student_id)
            yield StudentRecord(
                row=row,
                local_id=student_id,
                first_name=learner.get("given", ""),
                last_name=learner.get("family", ""),
                grade_level=str(learner.get("grade", "")),
            )
        yield AssessmentResultRecord(
            row=row,
            student_local_id=student_id,
            assessment_key=f"acme-checkpoint-{subject.lower()}",
            assessment_name=f"ACME Checkpoint {subject}",
            subject=subject,
            school_year=year,
            term=term,
            administered_on=taken,
            scale_score=scale,
            achievement_level=BANDS.get(result.get("band", "")),
            percentile=result.get("pctl"),
            vendor="ACME Learning",
            level_count=4,
            proficient_level=3,
            student_first_name=learner.get("given", ""),
            student_last_name=learner.get("family", ""),
            grade_level=str(learner.get("grade", "")),
        )


@hookimpl
def mypd_graph_register_importers(register: Callable[[ImporterDefinition], None]) -> None:
    register(
        ImporterDefinition(
            name="acme-checkpoint",
            title="ACME Learning Checkpoint export (JSON Lines)",
            layouts=("acme-checkpoint-v2",),
            record_kinds=("assessment_results", "students"),
            parse=parse,
        )
    )
