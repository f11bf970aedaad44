"""The csv_scores parsers on bad files, messy rows and messy values."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date

import pytest
from mypd_graph_csv_scores import values
from mypd_graph_csv_scores.parse import parse

from mypd_graph.plugins.types import AssessmentResultRecord, FileRejected, ImportSource
from tests.csv_scores_helpers import FixtureSource, by_row, errors, rejected, results, run, run_text

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
