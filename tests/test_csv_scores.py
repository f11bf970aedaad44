"""The csv_scores plugin's parsers on realistic vendor files, without a database.

Each preset is read from a fixture written to the vendor's layout (tests/fixtures/scores/, see its
README) through a small ImportSource that decodes like the core does: UTF-8 with or without BOM,
else Windows-1252, universal newlines.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import mypd_graph_csv_scores
import pytest
from mypd_graph_csv_scores import iready, values
from mypd_graph_csv_scores.parse import parse

from mypd_graph.plugins.manager import load_plugins
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    FileRejected,
    ImportSource,
    RowError,
    RowSkipped,
    StudentRecord,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scores"


def decode_like_the_core(data: bytes) -> str:
    """As mypd_graph.importers.source decides: a UTF-8 or UTF-16 BOM, else UTF-8 when it all
    decodes, else Windows-1252 (its undefined bytes replaced)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


class FixtureSource:
    """An ImportSource over a file on disk or bytes in memory."""

    def __init__(self, name: str, data: bytes | None = None, path: Path | None = None) -> None:
        self.name = name
        self.path = path
        self._data = data

    @classmethod
    def fixture(cls, name: str) -> FixtureSource:
        return cls(name, path=FIXTURES / name)

    def _bytes(self) -> bytes:
        return self._data if self._data is not None else self.path.read_bytes()  # type: ignore[union-attr]

    def binary(self) -> io.BytesIO:
        return io.BytesIO(self._bytes())

    def text(self) -> io.StringIO:
        return io.StringIO(decode_like_the_core(self._bytes()), newline=None)


def run(name: str, **options: Any) -> list[Any]:
    return list(parse(FixtureSource.fixture(name), options))


def run_text(text: str, name: str = "inline.csv", **options: Any) -> list[Any]:
    return list(parse(FixtureSource(name, text.encode("utf-8")), options))


def results(items: Iterable[Any]) -> list[AssessmentResultRecord]:
    return [item for item in items if isinstance(item, AssessmentResultRecord)]


def errors(items: Iterable[Any]) -> list[RowError]:
    return [item for item in items if isinstance(item, RowError)]


def skipped(items: Iterable[Any]) -> dict[int, RowSkipped]:
    return {item.row: item for item in items if isinstance(item, RowSkipped)}


def students(items: Iterable[Any]) -> dict[str, StudentRecord]:
    return {item.local_id: item for item in items if isinstance(item, StudentRecord)}


def rejected(name: str, **options: Any) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        run(name, **options)
    return caught.value


def by_row(items: Iterable[Any]) -> Mapping[int, AssessmentResultRecord]:
    return {item.row: item for item in results(items)}


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


# -------------------------------------------------------------------------
# Bad files and messy rows
# -------------------------------------------------------------------------


def test_a_missing_column_names_the_missing_and_the_unknown_columns() -> None:
    error = rejected("bad_missing_columns.csv", layout="nwea-map")
    assert error.missing == ("StudentID", "TestRITScore")
    assert "DistrictName" in error.unknown
    assert "missing 'StudentID', 'TestRITScore'" in str(error)
    assert "unknown columns 'DistrictName'" in str(error)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_empty.csv", "is empty"),
        ("bad_header_only.csv", "no data rows"),
        ("bad_utf16_no_bom.csv", "UTF-16"),
        ("bad_excel_workbook.xlsx", "Excel workbook"),
    ],
)
def test_unusable_files_are_rejected(name: str, message: str) -> None:
    assert message in str(rejected(name, layout="nwea-map"))


def test_a_rejected_file_yields_nothing_before_the_rejection() -> None:
    stream = parse(FixtureSource.fixture("bad_missing_columns.csv"), {"layout": "nwea-map"})
    with pytest.raises(FileRejected):
        next(iter(stream))


def test_bad_rows_are_reported_with_row_column_and_value_and_good_rows_kept() -> None:
    items = run("bad_non_numeric_scores.csv", layout="nwea-map")
    assert sorted(by_row(items)) == [2, 10]
    assert by_row(items)[10].scale_score == 199.5
    reported = {(e.row, e.column, e.value): e.reason for e in errors(items)}
    assert reported == {
        (3, "TestRITScore", "N/A"): "the score is not a number",
        (4, "TestRITScore", ""): "the RIT score is blank",
        (5, "StudentID", ""): "the student id is missing",
        (6, "TermName", "Autumn 2025-2026"): "unknown term (expected like 'Fall 2025-2026')",
        (7, "TestStartDate", "31/15/2025"): "the date is not a date (YYYY-MM-DD or M/D/YYYY)",
        (8, "TestPercentile", "high"): "the percentile is not a whole number",
        (9, "Course", "Ceramics"): "unknown MAP subject",
    }


def test_duplicate_rows_are_all_handed_to_the_core_which_owns_deduplication() -> None:
    items = results(run("bad_duplicate_rows.csv", layout="nwea-map"))
    keys = [(r.student_local_id, r.assessment_key, r.school_year, r.term) for r in items]
    assert len(keys) == 3 and len(set(keys)) == 2


def test_messy_text_bom_extra_columns_short_rows_and_unreadable_rows() -> None:
    text = (
        "\ufeffTermName,StudentID,Course,TestRITScore,Surprise Column\r\n"
        '"Fall 2025-2026",1,"Math K-12"," 201 ",x\r\n'
        "Fall 2025-2026,2,Reading\r\n"  # short row: the score is blank
        "Fall 2025-2026,3,Reading,190\x00,x\r\n"  # a NUL byte in a cell
        ",,,,\r\n"  # an all-blank row from a spreadsheet is skipped
        "Fall 2025-2026,4,Reading,205,x\r\n"
        "\r\n\r\n"
    )
    items = run_text(text, layout="nwea-map")
    assert [(r.row, r.student_local_id, r.scale_score) for r in results(items)] == [
        (2, "1", 201.0),
        (6, "4", 205.0),
    ]
    assert [(e.row, e.column) for e in errors(items)] == [(3, "TestRITScore"), (4, "TestRITScore")]


def test_an_unclosed_quote_is_reported_and_reading_goes_on() -> None:
    filler = "".join(f"Fall 2025-2026,{n},Reading,200\n" for n in range(10, 6000))
    text = (
        "TermName,StudentID,Course,TestRITScore\n"
        "Fall 2025-2026,1,Reading,201\n"
        'Fall 2025-2026,2,"Reading,202\n' + filler + "Fall 2025-2026,9999,Reading,203\n"
    )
    items = run_text(text, layout="nwea-map")
    [unreadable] = errors(items)
    assert unreadable.row == 3 and "cannot be read" in unreadable.reason
    assert "unclosed quote" in unreadable.reason
    kept = [r.student_local_id for r in results(items)]
    assert kept[0] == "1" and kept[-1] == "9999", "the rows after the swallowed ones are read"


def test_excel_unicode_text_utf16_tab_delimited_once_the_core_decoded_it() -> None:
    rows = by_row(run("nwea_map_excel_unicode_text.txt"))
    assert (rows[2].student_first_name, rows[2].scale_score) == ("José", 215.0)
    assert rows[3].assessment_key == "nwea-map-reading"


class TextSource:
    """A source whose text() is exactly the given text (a BOM left in by whoever decoded it)."""

    def __init__(self, text: str) -> None:
        self.name = "raw.csv"
        self.path = None
        self._text = text

    def binary(self) -> io.BytesIO:
        return io.BytesIO(self._text.encode("utf-8"))

    def text(self) -> io.StringIO:
        return io.StringIO(self._text)


def test_a_bom_left_in_the_text_is_stripped_from_the_header() -> None:
    text = "\ufeffTermName,StudentID,Course,TestRITScore\nAutumn 2025,1,Math K-12,201\n"
    [error] = parse(TextSource(text), {"layout": "nwea-map"})
    assert error.column == "TermName", "the BOM must not stay glued to the first column's name"


def test_a_utf8_bom_decoded_as_windows_1252_is_still_stripped() -> None:
    text = "\u00ef\u00bb\u00bfTermName,StudentID,Course,TestRITScore\nAutumn 2025,1,Math,201\n"
    [error] = parse(TextSource(text), {"layout": "nwea-map"})
    assert error.column == "TermName"


def test_blank_lines_before_the_header_are_skipped_and_counted() -> None:
    text = "\r\n\r\nTermName,StudentID,Course,TestRITScore\r\nFall 2025-2026,1,Math,201\r\n"
    [record] = run_text(text, layout="nwea-map")
    assert record.row == 4, "rows keep the numbers a spreadsheet shows"


def test_tab_and_caret_files_are_detected_when_no_delimiter_is_given() -> None:
    base = "TermName,StudentID,Course,TestRITScore\nFall 2025-2026,1,Math K-12,201\n"
    for delimiter in ("\t", "^", ";"):
        items = run_text(base.replace(",", delimiter), layout="nwea-map")
        assert results(items)[0].scale_score == 201, repr(delimiter)


class CountingStream(io.TextIOBase):
    """A text stream that counts the lines handed out, to prove parsing is lazy."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = iter(lines)
        self.read_lines = 0

    def readline(self, size: int = -1) -> str:
        self.read_lines += 1
        return next(self.lines, "")

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __iter__(self) -> CountingStream:
        return self


def test_parsing_streams_row_by_row() -> None:
    def lines() -> Iterable[str]:
        yield "TermName,StudentID,Course,TestRITScore\n"
        for number in range(1_000_000):
            yield f"Fall 2025-2026,{number},Math K-12,{150 + number % 150}\n"

    stream = CountingStream(lines())

    class Source:
        name = "big.csv"
        path = None

        def binary(self) -> io.BytesIO:
            return io.BytesIO(b"TermName")

        def text(self) -> CountingStream:
            return stream

    assert isinstance(Source(), ImportSource)
    records = parse(Source(), {"layout": "nwea-map"})
    first = [next(records) for _ in range(10)]
    assert [r.student_local_id for r in first] == [str(n) for n in range(10)]
    assert stream.read_lines < 100, "ten records must not read the whole million-row file"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-2026", "2025-26"),
        ("2025-26", "2025-26"),
        ("2026", "2025-26"),
        ("25-26", "2025-26"),
        ("1999-2000", "1999-00"),
    ],
)
def test_school_years(text: str, expected: str) -> None:
    assert values.school_year(text) == expected


@pytest.mark.parametrize("text", ["2025-2027", "abc", "2025-24"])
def test_bad_school_years(text: str) -> None:
    with pytest.raises(ValueError):
        values.school_year(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9/15/2025", date(2025, 9, 15)),
        ("09/15/25", date(2025, 9, 15)),
        ("2025-09-15", date(2025, 9, 15)),
        ("2025-04-22 10:31:05", date(2025, 4, 22)),
        ("2025-04-22T10:31:05Z", date(2025, 4, 22)),
        ("", None),
    ],
)
def test_dates(text: str, expected: date | None) -> None:
    assert values.parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("Mathematics", "Math"),
        ("Math K-12", "Math"),
        ("Language Arts", "ELA"),
        ("English Language Arts/Literacy", "ELA"),
        ("Reading", "ELA"),
        ("CAST", "Science"),
        ("General Science", "Science"),
        ("Ceramics", None),
    ],
)
def test_subjects_are_the_frameworks_names(text: str, subject: str | None) -> None:
    assert values.subject(text) == subject


def test_the_fast_record_builder_builds_what_the_constructor_builds() -> None:
    from dataclasses import asdict

    from mypd_graph_csv_scores.common import result_record

    for name in ("nwea_map_assessment_results.csv", "caaspp_cers_export.csv"):
        for record in results(run(name)):
            assert type(record) is AssessmentResultRecord
            assert record == AssessmentResultRecord(**asdict(record))
    built = result_record(
        row=2,
        student_local_id="1",
        assessment_key="k",
        assessment_name="K",
        subject="Math",
        school_year="2025-26",
        term="Fall",
    )
    assert built == AssessmentResultRecord(2, "1", "k", "K", "Math", "2025-26", "Fall")
    assert built.level_count == 4 and built.teacher_names == () and built.file == ""
    with pytest.raises(TypeError, match="scor"):
        result_record(**asdict(built), scor=1)
