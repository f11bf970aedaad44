"""The csv_scores plugin as the host sees it, and its generic layout with a column mapping."""

from __future__ import annotations

from typing import Any

import mypd_graph_csv_scores
import pytest

from mypd_graph.plugins.manager import load_plugins
from mypd_graph.plugins.types import FileRejected
from tests.csv_scores_helpers import (
    FIXTURES,
    by_row,
    errors,
    rejected,
    results,
    run,
    run_text,
    students,
)
from tests.csv_scores_helpers import FixtureSource as FixtureSource  # for test_csv_scores_acme

# -------------------------------------------------------------------------
# The plugin as the host sees it
# -------------------------------------------------------------------------


def test_the_installed_distribution_offers_the_csv_scores_importer() -> None:
    loaded = load_plugins(allow=("csv_scores",))
    assert not loaded.failures
    contribution = loaded.importers["csv-scores"]
    assert contribution.plugin == "csv_scores"
    importer = contribution.item
    importer.validate()
    assert importer.layouts == (
        "nwea-map",
        "caaspp-cers",
        "caaspp-toms",
        "iready-diagnostic",
        "generic",
    )
    assert set(importer.record_kinds) == {"assessment_results", "students"}
    assert importer.parse is mypd_graph_csv_scores.parse


def test_presets_are_detected_from_the_header_when_no_layout_is_given() -> None:
    assert results(run("nwea_map_assessment_results.csv"))[0].vendor == "NWEA"
    assert results(run("caaspp_cers_export.csv"))[0].assessment_key == "caaspp-sb-ela"
    assert results(run("caaspp_toms_student_score_data_2025.csv"))[0].term == "Spring"
    assert results(run("iready_diagnostic_results_math.csv"))[0].vendor == "Curriculum Associates"


def test_an_unknown_layout_is_rejected_naming_the_known_ones() -> None:
    error = rejected("nwea_map_assessment_results.csv", layout="nwea")
    assert "unknown layout 'nwea'" in str(error)
    assert "nwea-map" in str(error) and "iready-diagnostic" in str(error)


# -------------------------------------------------------------------------
# Generic
# -------------------------------------------------------------------------

MAPPING = {
    "student_id": "Student Number",
    "score": "Scale Score",
    "achievement_level": "Perf Level",
    "subject": "Subject",
    "date": "Test Date",
    "percentile": "NPR",
    "assessment_name": "Assessment",
    "first_name": "First",
    "last_name": "Last",
    "grade_level": "Gr",
    "teacher_names": "Teacher",
}


def test_generic_mapping_over_a_tab_delimited_file() -> None:
    items = run(
        "generic_district_benchmark.tsv",
        layout="generic",
        mapping=MAPPING,
        vendor="Lakeview USD",
        assessment_key="lakeview-benchmark",
        student_records=True,
    )
    assert not errors(items)
    rows = by_row(items)
    assert (rows[2].subject, rows[2].school_year, rows[2].term) == ("Math", "2025-26", "Fall")
    assert (rows[2].scale_score, rows[2].achievement_level, rows[2].percentile) == (1510, 3, 61)
    assert rows[2].assessment_key == "lakeview-benchmark"
    assert rows[2].assessment_name == "District Benchmark 1"
    assert rows[4].subject == "ELA", "'English Language Arts' is the framework's ELA"
    assert rows[3].student_last_name == "O'Brien, Jr." and rows[3].teacher_names == ("Lee, Ann",)
    assert set(students(items)) == {"100234", "100235", "100236"}


def test_generic_mapping_from_a_settings_file_as_the_cli_reads_it() -> None:
    from mypd_graph.importers.console import parse_options

    options = parse_options(
        ("vendor=Lakeview USD", "school_year=2026"),
        FIXTURES / "generic_district_benchmark.mapping.toml",
    )
    assert options["mapping"] == MAPPING
    items = run("generic_district_benchmark.tsv", layout="generic", **options)
    assert [r.school_year for r in results(items)] == ["2025-26"] * 3
    assert {r.assessment_key for r in results(items)} == {"lakeview-usd-math", "lakeview-usd-ela"}


def test_generic_defaults_come_from_options() -> None:
    text = "id;score\n7;12.5\n"
    items = run_text(
        text,
        layout="generic",
        delimiter="semicolon",
        mapping={"student_id": "id", "score": "score"},
        subject="Math",
        school_year="2025-2026",
        term="winter",
    )
    [record] = results(items)
    assert (record.subject, record.school_year, record.term, record.scale_score) == (
        "Math",
        "2025-26",
        "Winter",
        12.5,
    )
    assert record.assessment_key == "generic-math"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs a column mapping"),
        ({"mapping": {"student_id": "Student Number", "scor": "Scale Score"}}, "'scor'"),
        ({"mapping": {"student_id": "Student Number"}}, "score or achievement_level"),
        ({"mapping": {**MAPPING, "percentile": "National Percentile"}}, "'National Percentile'"),
        ({"mapping": {"student_id": "Student Number", "score": "Scale Score"}}, "no subject"),
    ],
)
def test_generic_settings_mistakes_are_rejected(options: dict[str, Any], message: str) -> None:
    with pytest.raises(FileRejected) as caught:
        run("generic_district_benchmark.tsv", layout="generic", **options)
    assert message in str(caught.value)
