"""The one-off importer plugin the import tests register in process: ``test-scores``, a small
score format (one row per student and test), with the ``import_plugins`` fixture that loads it
beside the built-in importers, and the files it reads.

A test module that uses the fixture imports it and names it in ``__all__``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    FileRejected,
    ImporterDefinition,
    ImportSource,
    RowError,
)

SCORE_COLUMNS = ("student_id", "test", "year", "term", "score", "level")


def parse_scores(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
    """A small score format: one row per student and test; ``explode_at`` simulates a crash."""
    reader = csv.reader(source.text())
    header = next(reader, None)
    if not header:
        raise FileRejected("the file is empty: there is no header row")
    missing = [column for column in SCORE_COLUMNS if column not in header]
    if missing:
        unknown = [column for column in header if column not in SCORE_COLUMNS + ("teacher",)]
        raise FileRejected(
            f"missing columns: {', '.join(missing)}; unknown columns: {', '.join(unknown)}",
            missing=tuple(missing),
            unknown=tuple(unknown),
        )
    at = {name: header.index(name) for name in header}
    for number, row in enumerate(reader, start=2):
        if options.get("explode_at") == number:
            raise RuntimeError("the disk caught fire")
        if not row:
            continue
        try:
            score = float(row[at["score"]])
        except ValueError:
            yield RowError(number, "score is not a number", "score", row[at["score"]])
            continue
        test = row[at["test"]]
        teacher = row[at["teacher"]] if "teacher" in at else ""
        yield AssessmentResultRecord(
            row=number,
            student_local_id=row[at["student_id"]],
            assessment_key=test.lower().replace(" ", "-"),
            assessment_name=test,
            subject="Math",
            school_year=row[at["year"]],
            term=row[at["term"]],
            scale_score=score,
            achievement_level=int(row[at["level"]]) if row[at["level"]] else None,
            vendor="ACME",
            student_first_name="New",
            student_last_name=f"Student {row[at['student_id']]}",
            grade_level="4",
            school_code="N",
            teacher_names=(teacher,) if teacher else (),
        )


class ScoresPlugin:
    @hookimpl
    def mypd_graph_register_importers(self, register: Any) -> None:
        register(
            ImporterDefinition(
                name="test-scores",
                title="Test scores",
                layouts=("acme-v1",),
                record_kinds=("assessment_results",),
                parse=parse_scores,
            )
        )


@pytest.fixture(scope="module")
def import_plugins() -> PluginSet:
    loaded = load_plugins(extra=[("test_scores", ScoresPlugin())], entry_points=False)
    assert not loaded.failures, loaded.failures
    assert {"oneroster", "training_csv", "test-scores"} <= set(loaded.importers)
    return loaded


def scores_file(tmp_path: Path, rows: list[str], name: str = "scores.csv") -> Path:
    path = tmp_path / name
    path.write_text("student_id,test,year,term,score,level\n" + "".join(f"{r}\n" for r in rows))
    return path


GOOD_SCORES = [
    "s1,ACME Math,2025-26,Spring,210.5,3",
    "s2,ACME Math,2025-26,Spring,198,2",
    "s3,ACME Math,2025-26,Spring,225,4",
    "s4,ACME Math,2025-26,Spring,190,1",
    "s5,ACME Math,2025-26,Spring,205,3",
]
