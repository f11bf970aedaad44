"""Built-in importer for CSV files of past PD (training records): ``training_csv``.

One row per completed training: the teacher (email, or their mypd_graph user id), the title, the
provider, the completion date, the hours and the aligned element codes of the district's framework
(separated by ``;``, ``,`` or spaces). Headers are matched through aliases (``Completion Date``,
``Credit Hours``, ``CSTP Elements``...) or an explicit ``mapping`` option (field → header); the
delimiter is sniffed from the header (comma, tab, semicolon, pipe). A teacher's record is keyed by
(teacher, title, date): importing a corrected transcript updates hours, provider and elements.

```csv
teacher_email,title,provider,completed_on,hours,elements
ana.teacher@test.mypd,Number Talks in Grades 3-5,County Office of Education,2025-08-12,6,4.1;5.2
```
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from mypd_graph.ids import from_global_id
from mypd_graph.importers.csvfiles import parse_date, read_header, resolve_columns
from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import (
    ImporterDefinition,
    ImportSource,
    RowError,
    TrainingRecordRecord,
)

ALIASES = {
    "teacher_email": (
        "email",
        "teacher",
        "employee_email",
        "educator_email",
        "email_address",
        "staff_email",
    ),
    "teacher_id": ("user_id", "educator_id", "teacher_user_id"),
    "title": ("course", "course_title", "training", "training_title", "activity", "session"),
    "provider": ("vendor", "organization", "sponsor", "offered_by"),
    "completed_on": ("date", "completion_date", "completed", "date_completed", "end_date"),
    "hours": ("credit_hours", "pd_hours", "clock_hours", "duration_hours"),
    "element_codes": (
        "elements",
        "element",
        "standards",
        "cstp",
        "cstp_elements",
        "aligned_elements",
    ),
}
REQUIRED = ("title", "completed_on", "hours")
_CODES = re.compile(r"[;,\s]+")


def _teacher_id(value: str) -> int | None:
    """A user id as a number, or as the global ID the GraphQL API shows (``User:12``)."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        type_name, user_id = from_global_id(value)
    except ValueError:
        return None
    return user_id if type_name in ("User", "Teacher") else None


def parse(
    source: ImportSource, options: Mapping[str, Any]
) -> Iterator[TrainingRecordRecord | RowError]:
    text = source.text()
    header, rows = read_header(text)
    columns = resolve_columns(
        header,
        ALIASES,
        REQUIRED,
        mapping=options.get("mapping") or None,
        one_of=[("teacher_email", "teacher_id")],
    )

    def cell(row: list[str], field: str) -> str:
        index = columns.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    for row_number, row in enumerate(rows, start=2):
        if not any(value.strip() for value in row):
            continue  # blank lines (trailing ones, mostly)
        email, raw_id = cell(row, "teacher_email"), cell(row, "teacher_id")
        teacher_id = _teacher_id(raw_id) if raw_id else None
        if raw_id and teacher_id is None:
            yield RowError(row_number, "teacher id is not a user id", "teacher_id", raw_id)
            continue
        if not email and teacher_id is None:
            yield RowError(row_number, "the teacher's email or id is required", "teacher_email", "")
            continue
        completed = parse_date(cell(row, "completed_on"))
        if completed is None:
            reason = "not a date (expected YYYY-MM-DD or M/D/YYYY)"
            yield RowError(row_number, reason, "completed_on", cell(row, "completed_on"))
            continue
        try:
            hours = float(cell(row, "hours"))
        except ValueError:
            yield RowError(row_number, "hours is not a number", "hours", cell(row, "hours"))
            continue
        if not math.isfinite(hours):
            yield RowError(row_number, "hours is not a number", "hours", cell(row, "hours"))
            continue
        codes = tuple(code for code in _CODES.split(cell(row, "element_codes")) if code)
        yield TrainingRecordRecord(
            row=row_number,
            teacher_email=email.lower() if email else "",
            teacher_id=None if email else teacher_id,
            title=cell(row, "title"),
            completed_on=completed,
            hours=hours,
            provider=cell(row, "provider"),
            element_codes=codes,
        )


IMPORTER = ImporterDefinition(
    name="training_csv",
    title="Training records (CSV of past PD)",
    layouts=("training-csv",),
    record_kinds=("training_records",),
    parse=parse,
    description="Past PD per teacher: email or id, title, provider, date, hours, element codes.",
)


@hookimpl
def mypd_graph_register_importers(register: Any) -> None:
    register(IMPORTER)
