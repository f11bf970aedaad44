"""``parse(source, options)``: pick the preset, open the file (or the right members of a zip),
match the header, and hand the rows to the preset.

Options: ``layout`` (also accepted as ``format`` or ``preset``; detected from the header when
absent, and then told to the core through the source's ``recognized``), ``delimiter`` (a character or comma/tab/caret; detected when absent), and the
preset's own options (``mapping`` for generic; ``subject``, ``school_year``, ``term``...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from mypd_graph.plugins.types import FileRejected, ImportRecord, ImportSource, RowError
from mypd_graph_csv_scores import caaspp, generic, iready, nwea
from mypd_graph_csv_scores.common import Context
from mypd_graph_csv_scores.reading import (
    Layout,
    Table,
    delimiter_option,
    is_zip,
    member_names,
    open_member,
    open_table,
    open_zip,
    read_header,
    split_header,
)

Records = Iterator[ImportRecord | RowError]


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    layout: Callable[[Context], Layout]
    records: Callable[[Table, Context], Records]
    detectable: bool = True


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "nwea-map", "NWEA MAP Growth AssessmentResults", lambda _: nwea.LAYOUT, nwea.records
        ),
        Preset("caaspp-cers", "CAASPP CERS export", lambda _: caaspp.CERS, caaspp.cers_records),
        Preset(
            "caaspp-toms",
            "CAASPP TOMS Student Score Data Extract",
            lambda _: caaspp.TOMS,
            caaspp.toms_records,
        ),
        Preset(
            "iready-diagnostic",
            "i-Ready Diagnostic Results",
            lambda _: iready.LAYOUT,
            iready.records,
        ),
        Preset(
            "generic",
            "Any delimited score file with a column mapping",
            generic.layout,
            generic.records,
            detectable=False,
        ),
    )
}
LAYOUTS = tuple(PRESETS)


def parse(source: ImportSource, options: Mapping[str, Any]) -> Records:
    """Yield records and row errors; raise FileRejected before the first one for a bad file."""
    context = Context(source.name, options, recognized=getattr(source, "recognized", None))
    requested = context.option("layout", "format", "preset")
    if requested is not None and str(requested) not in PRESETS:
        raise FileRejected(f"unknown layout {requested!r}; csv-scores reads: {', '.join(LAYOUTS)}")
    delimiter = delimiter_option(options.get("delimiter"))
    if is_zip(source):
        yield from _parse_zip(source, context, requested, delimiter)
        return
    stream = source.text()
    yield from _parse_stream(stream, source.name, context, requested, delimiter)


def _parse_stream(
    stream: TextIO,
    name: str,
    context: Context,
    requested: str | None,
    delimiter: str | None,
) -> Records:
    header_line, header_row = read_header(stream, name)
    preset = PRESETS[requested] if requested else detect(header_line, delimiter, name)
    table = open_table(stream, header_line, header_row, preset.layout(context), delimiter, name)
    if context.recognized is not None:
        context.recognized(preset.name)  # the Import record and the progress show it
    yield from preset.records(table, context)


def detect(header_line: str, delimiter: str | None, source_name: str) -> Preset:
    """The vendor preset whose required columns the header has (tried under each delimiter).

    When none has them all, the closest one (most columns recognised) is returned, so that
    :func:`open_table` rejects the file naming what that layout misses.
    """
    delimiters = [delimiter] if delimiter else ["\t", ",", "^", "|", ";"]
    closest: tuple[int, Preset] | None = None
    for preset in PRESETS.values():
        if not preset.detectable:
            continue
        layout = preset.layout(Context(source_name, {}))
        for candidate in delimiters:
            columns, missing, _ = layout.resolve(split_header(header_line, candidate))
            if not missing:
                return preset
            if closest is None or len(columns) > closest[0]:
                closest = (len(columns), preset)
    assert closest is not None
    if closest[0] == 0:
        raise FileRejected(
            f"{source_name}: the header matches none of the csv-scores layouts "
            f"({', '.join(p for p in LAYOUTS if p != 'generic')}): {header_line[:80]!r}; pass "
            "the layout option (generic with a column mapping for other files)"
        )
    return closest[1]


def _parse_zip(
    source: ImportSource, context: Context, requested: str | None, delimiter: str | None
) -> Records:
    """A zip: NWEA's Comprehensive Data File, TOMS's extract, or one delimited file zipped."""
    with open_zip(source) as archive:
        names = member_names(archive)
        by_lower = {name.rsplit("/", 1)[-1].lower(): name for name in names}
        results = _find(by_lower, ("assessmentresults", "combostudentassessment"))
        if results and requested in (None, "nwea-map"):
            students = _find(by_lower, ("studentsbyschool", "studentbyschool"))
            if students:
                with open_member(archive, students) as stream:
                    context.extra["students"] = nwea.load_students(stream, students)
            with open_member(archive, results) as stream:
                yield from _parse_stream(stream, results, context, "nwea-map", delimiter)
            return
        if "[Content_Types].xml" in names:
            raise FileRejected(
                f"{source.name} is an Excel workbook, not a delimited file: open it in Excel and "
                "save it as CSV (UTF-8)"
            )
        delimited = [n for n in names if n.lower().endswith((".csv", ".txt", ".tsv"))]
        if len(delimited) != 1:
            found = ", ".join(names) or "nothing"
            raise FileRejected(
                f"{source.name}: expected one delimited file (.csv) in the zip, found {found}"
                + (
                    "; the fixed-width .dat is not read: use the .csv"
                    if any(n.lower().endswith(".dat") for n in names) and not delimited
                    else ""
                )
            )
        with open_member(archive, delimited[0]) as stream:
            # the member's name carries the year of a TOMS extract; keep the zip's name too
            context.source_name = f"{source.name}:{delimited[0]}"
            yield from _parse_stream(stream, context.source_name, context, requested, delimiter)


def _find(by_lower: dict[str, str], prefixes: tuple[str, ...]) -> str | None:
    for lower, name in sorted(by_lower.items()):
        if lower.endswith(".csv") and lower.startswith(prefixes):
            return name
    return None
