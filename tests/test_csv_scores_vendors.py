"""The csv_scores presets on realistic vendor files: NWEA MAP Growth, CAASPP, i-Ready."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pytest
from mypd_graph_csv_scores import iready, values

from mypd_graph.plugins.types import FileRejected, RowSkipped, StudentRecord
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


def skipped(items: Iterable[Any]) -> dict[int, RowSkipped]:
    return {item.row: item for item in items if isinstance(item, RowSkipped)}


# -------------------------------------------------------------------------
# NWEA MAP Growth
# -------------------------------------------------------------------------


def test_nwea_current_export_with_bom_crlf_quotes_and_trailing_blank_lines() -> None:
    items = run("nwea_map_assessment_results.csv", layout="nwea-map")
    assert not errors(items)
    rows = by_row(items)
    # the quoted newline in row 4's SchoolName keeps it one record: rows are records, not lines
    assert sorted(rows) == [2, 3, 4, 5, 6, 7]
    jose = rows[2]
    assert (jose.student_local_id, jose.student_first_name, jose.student_last_name) == (
        "100234",
        "José",
        "Muñoz",
    )
    assert (jose.assessment_key, jose.subject, jose.school_year, jose.term) == (
        "nwea-map-math",
        "Math",
        "2025-26",
        "Fall",
    )
    assert jose.scale_score == 215.0 and jose.percentile == 62
    assert jose.administered_on == date(2025, 9, 15)
    assert jose.achievement_level is None, "MAP has no achievement levels: never invent one"
    assert (jose.grade_level, jose.school_code) == ("5", "6012345")
    assert rows[3].assessment_key == "nwea-map-reading" and rows[3].subject == "ELA"
    assert rows[4].student_last_name == "O'Brien, Jr."
    assert rows[5].assessment_key == "nwea-map-language-usage" and rows[5].percentile is None
    assert rows[6].subject == "Science"
    assert (rows[7].term, rows[7].school_year, rows[7].scale_score) == ("Winter", "2025-26", 221)


def test_student_records_are_yielded_only_when_the_import_allows_updating_students() -> None:
    assert not students(run("nwea_map_assessment_results.csv")), (
        "by default a score file must not upsert students: the core decides (create_students)"
    )
    assert students(run("nwea_map_assessment_results.csv", student_records="true"))


def test_nwea_yields_each_named_student_once_before_their_first_result() -> None:
    items = run("nwea_map_assessment_results.csv", student_records=True)
    named = [item for item in items if isinstance(item, StudentRecord)]
    assert [s.local_id for s in named] == ["100234", "100235", "100236"]
    assert named[0] == StudentRecord(
        row=2,
        local_id="100234",
        first_name="José",
        last_name="Muñoz",
        grade_level="5",
        state_id="4012345678",
    ), "no school code: the core rejects students whose school code it does not know"
    assert items.index(named[0]) < items.index(by_row(items)[2])


def test_nwea_pre_2015_columns_and_windows_1252() -> None:
    items = run("nwea_map_assessment_results_pre2015.csv", layout="nwea-map")
    rows = by_row(items)
    assert {row.assessment_key for row in rows.values()} == {
        "nwea-map-math",
        "nwea-map-reading",
        "nwea-map-language-usage",
        "nwea-map-science",
    }
    assert rows[2].school_year == "2013-14" and rows[2].term == "Spring"
    assert rows[7].subject == "Science", "MeasurementScale 'General Science'"
    assert not errors(items)
    [retest] = skipped(items).values()
    assert retest.row == 5 and "GrowthMeasureYN is false" in retest.reason, "skipped, not an error"
    assert rows[6].scale_score == 196, "the term's growth event of the same student is loaded"
    assert not students(items), "AssessmentResults alone carries no names"


def test_nwea_comprehensive_data_file_zip_joins_names_from_students_by_school() -> None:
    items = run("nwea_map_cdf.zip", student_records=True)
    assert not errors(items)
    rows = by_row(items)
    assert len(rows) == 3
    assert (rows[2].student_first_name, rows[2].student_last_name, rows[2].grade_level) == (
        "José",
        "Muñoz",
        "4",
    ), "StudentsBySchool.csv is Windows-1252 inside the zip"
    assert rows[4].student_last_name == "O'Brien, Jr."
    assert set(students(items)) == {"100234", "100235"}
    assert rows[2].school_year == "2024-25" and rows[2].administered_on == date(2025, 5, 6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fall 2025-2026", ("Fall", "2025-26")),
        ("Winter 2025-26", ("Winter", "2025-26")),
        ("spring 2025-2026", ("Spring", "2025-26")),
        ("Fall 2013", ("Fall", "2013-14")),  # client-server exports name one year
        ("Spring 2014", ("Spring", "2013-14")),
    ],
)
def test_nwea_term_names(text: str, expected: tuple[str, str]) -> None:
    assert values.term_name(text) == expected


@pytest.mark.parametrize("text", ["Autumn 2025-2026", "Fall", "Fall 2025-2027", ""])
def test_nwea_bad_term_names(text: str) -> None:
    with pytest.raises(ValueError):
        values.term_name(text)


# -------------------------------------------------------------------------
# CAASPP: CERS and TOMS
# -------------------------------------------------------------------------


def test_caaspp_cers_export() -> None:
    items = run("caaspp_cers_export.csv", layout="caaspp-cers", student_records=True)
    rows = by_row(items)
    ela = rows[2]
    assert (ela.assessment_key, ela.subject, ela.school_year, ela.term) == (
        "caaspp-sb-ela",
        "ELA",
        "2024-25",
        "Spring",
    ), "SchoolYear 2025 names the year by its spring"
    assert (ela.scale_score, ela.achievement_level, ela.level_count, ela.proficient_level) == (
        2478,
        3,
        4,
        3,
    )
    assert ela.administered_on == date(2025, 4, 22)
    assert ela.student_local_id == "4012345678" and ela.student_last_name == "Muñoz"
    assert rows[3].assessment_key == "caaspp-sb-math" and rows[3].achievement_level == 2
    iab = rows[5]
    assert iab.assessment_key == "caaspp-iab-grade-4-math-number-and-operations-fractions-iab"
    assert (iab.term, iab.level_count, iab.assessment_name) == (
        "Winter",
        3,
        "Grade 4 Math - Number and Operations - Fractions (IAB)",
    )
    assert rows[6].term == "Winter" and rows[6].level_count == 4, "an ICA from December"
    assert rows[8].assessment_key == "caaspp-cast" and rows[8].subject == "Science"
    assert not errors(items)
    assert "ELPAC" in skipped(items)[7].reason, "another test of the export: skipped, not an error"
    assert students(items)["4012345678"].state_id == "4012345678"


def test_caaspp_toms_extract_caret_delimited() -> None:
    items = run("caaspp_toms_student_score_data_2025.csv", layout="caaspp-toms")
    rows = by_row(items)
    assert [rows[n].assessment_key for n in (2, 3, 5)] == [
        "caaspp-sb-ela",
        "caaspp-sb-math",
        "caaspp-cast",
    ]
    assert all(row.school_year == "2024-25" for row in rows.values()), "year from the file name"
    assert rows[4].student_last_name == "O'Brien, Jr." and rows[4].achievement_level == 4
    assert rows[5].school_code == "6012346" and rows[5].grade_level == "8"
    assert not errors(items)
    left_out = skipped(items)
    assert "record type 03 is not loaded" in left_out[6].reason
    assert "not tested" in left_out[7].reason


def test_caaspp_toms_zip_reads_the_csv_and_ignores_the_dat() -> None:
    zipped = run("caaspp_toms_extract.zip", layout="caaspp-toms")
    plain = run("caaspp_toms_student_score_data_2025.csv", layout="caaspp-toms")
    assert zipped == plain, "same rows whether zipped (Windows-1252 member) or not"


def test_cers_and_toms_summative_results_share_their_natural_key() -> None:
    cers = {
        (r.student_local_id, r.assessment_key, r.school_year, r.term)
        for r in results(run("caaspp_cers_export.csv"))
    }
    toms = {
        (r.student_local_id, r.assessment_key, r.school_year, r.term)
        for r in results(run("caaspp_toms_extract.zip"))
    }
    assert ("4012345678", "caaspp-sb-ela", "2024-25", "Spring") in cers & toms


def test_caaspp_toms_without_a_year_needs_the_option() -> None:
    text = (FIXTURES / "caaspp_toms_student_score_data_2025.csv").read_text(encoding="utf-8")
    with pytest.raises(FileRejected, match="school_year"):
        run_text(text, name="scores.csv", layout="caaspp-toms")
    items = run_text(text, name="scores.csv", layout="caaspp-toms", school_year="2023-2024")
    assert {r.school_year for r in results(items)} == {"2023-24"}


def test_a_comma_file_read_as_caret_is_rejected_naming_the_delimiter() -> None:
    error = rejected("bad_toms_comma_delimited.csv", layout="caaspp-toms", delimiter="^")
    message = str(error)
    assert "read as caret-delimited ('^') the header is one giant column" in message
    assert "the file looks comma-delimited" in message
    assert "RecordType" in message and "SSID" in message
    assert "RecordType" in error.missing[0]


# -------------------------------------------------------------------------
# i-Ready
# -------------------------------------------------------------------------


def test_iready_math_diagnostic_results() -> None:
    items = run("iready_diagnostic_results_math.csv", layout="iready-diagnostic")
    rows = by_row(items)
    jose = rows[2]
    assert (jose.assessment_key, jose.subject, jose.school_year, jose.term) == (
        "iready-diagnostic-math",
        "Math",
        "2025-26",
        "Fall",
    ), "Academic Year 2025-2026; subject from the Quantile and domain columns"
    assert jose.administered_on == date(2025, 9, 9) and jose.percentile == 48
    assert jose.teacher_names == ("Lee, Ann",)
    assert (jose.achievement_level, jose.level_count, jose.proficient_level) == (4, 5, 4)
    assert rows[3].teacher_names == ("Lee, Ann", "Ruiz, Carlos")
    assert rows[3].achievement_level == 3, "1 Grade Level Below"
    assert rows[4].teacher_names == ("Carlos Ruiz", "Dana Kim")
    assert (rows[4].term, rows[4].scale_score, rows[4].achievement_level) == ("Winter", 498, 5)
    [blank] = errors(items)
    assert blank.row == 5 and blank.column == "Overall Scale Score"


def test_iready_reading_in_windows_1252() -> None:
    items = run("iready_diagnostic_results_ela.csv")
    rows = by_row(items)
    assert {row.assessment_key for row in rows.values()} == {"iready-diagnostic-reading"}
    assert rows[3].student_first_name == "Lucía" and rows[3].student_last_name == "Peña"
    assert rows[3].teacher_names == ("Ortiz, María",)


def test_iready_subject_must_be_knowable() -> None:
    text = (
        "Last Name,First Name,Student ID,Academic Year,Completion Date,Overall Scale Score\n"
        "Lee,Ann,1,2025-2026,09/09/2025,455\n"
    )
    with pytest.raises(FileRejected, match="Reading or Math"):
        run_text(text, name="diagnostic_results.csv", layout="iready-diagnostic")
    by_option = run_text(text, layout="iready-diagnostic", subject="Reading")
    assert results(by_option)[0].assessment_key == "iready-diagnostic-reading"
    by_name = run_text(text, name="diagnostic_results_math_CONFIDENTIAL.csv")
    assert results(by_name)[0].subject == "Math"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Mid or Above Grade Level", 5),
        ("Above Grade Level", 5),
        ("Early On Grade Level", 4),
        ("1 Grade Level Below", 3),
        ("Two Grade Levels Below", 2),
        ("3 or More Grade Levels Below", 1),
        ("", None),
        ("Tested Out", None),
    ],
)
def test_iready_relative_placement_levels(text: str, level: int | None) -> None:
    assert iready.placement_level(text) == level
