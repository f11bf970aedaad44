"""What every preset shares: the parse context, per-cell readers that explain bad values, and
the bookkeeping that yields one StudentRecord per student the first time a file names them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mypd_graph.plugins.types import AssessmentResultRecord, FileRejected, RowError, StudentRecord
from mypd_graph_csv_scores import values
from mypd_graph_csv_scores.reading import Table


class Skip(Exception):
    """The row is left out on purpose; becomes a :class:`RowSkipped` (not an error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadValue(Exception):
    """One cell of one row cannot be used; becomes a :class:`RowError` for that row."""

    def __init__(self, field_name: str, reason: str, value: str) -> None:
        super().__init__(reason)
        self.field_name = field_name
        self.reason = reason
        self.value = value


@dataclass
class Context:
    """What a preset gets besides the table: the file's name and the import options."""

    source_name: str
    options: Mapping[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    # the core's ImportSource.recognized, when the source has it: told the layout of the file
    recognized: Callable[[str], None] | None = None

    def option(self, *names: str) -> Any:
        for name in names:
            value = self.options.get(name)
            if value not in (None, ""):
                return value
        return None

    def school_year_option(self) -> str | None:
        value = self.option("school_year", "year")
        if value is None:
            return None
        try:
            return values.school_year(str(value))
        except ValueError as error:
            raise FileRejected(f"option school_year={value!r}: {error}") from None

    def term_option(self) -> str | None:
        value = self.option("term")
        if value is None:
            return None
        try:
            return values.term(str(value))
        except ValueError as error:
            raise FileRejected(f"option term={value!r}: {error}") from None


def row_error(table: Table, row_number: int, problem: BadValue) -> RowError:
    column = (
        table.header_name(problem.field_name)
        if problem.field_name in table.columns
        else problem.field_name
    )
    return RowError(row_number, problem.reason, column, problem.value)


def unreadable(table: Table, row_number: int) -> RowError:
    return RowError(row_number, f"the row cannot be read: {table.last_error}")


def score(text: str, field_name: str = "score") -> float | None:
    try:
        return values.number(text)
    except ValueError:
        raise BadValue(field_name, "the score is not a number", text) from None


def percentile(text: str, field_name: str = "percentile") -> int | None:
    try:
        value = values.whole_number(text)
    except ValueError:
        raise BadValue(field_name, "the percentile is not a whole number", text) from None
    if value is not None and not 0 <= value <= 100:
        raise BadValue(field_name, "the percentile is not between 0 and 100", text)
    return value


def level(text: str, count: int, field_name: str = "achievement_level") -> int | None:
    try:
        value = values.whole_number(text)
    except ValueError:
        raise BadValue(field_name, "the achievement level is not a whole number", text) from None
    if value is not None and not 1 <= value <= count:
        raise BadValue(field_name, f"the achievement level is not between 1 and {count}", text)
    return value


def day(text: str, field_name: str = "date") -> date | None:
    try:
        return values.parse_date(text)
    except ValueError:
        raise BadValue(
            field_name, "the date is not a date (YYYY-MM-DD or M/D/YYYY)", text
        ) from None


def school_year(text: str, field_name: str = "school_year") -> str:
    try:
        return values.school_year(text)
    except ValueError:
        raise BadValue(field_name, "the school year is not like 2025-26", text) from None


class Students:
    """Yields a StudentRecord the first time a student appears with a name, when asked to.

    Off by default: the core creates the students a score file names only with its
    ``create_students`` option (from the names on the results, leaving roster students as they
    are), and rejects results for students outside the roster otherwise. A StudentRecord is an
    upsert that would bypass both, so it is yielded only when the import says the file may
    update students (``student_records``). Memory: one id per student.
    """

    def __init__(self, context: Context) -> None:
        self.enabled = _flag(context.option("student_records"))
        self.seen: set[str] = set()

    def first_time(
        self,
        row: int,
        local_id: str,
        first_name: str,
        last_name: str,
        grade_level: str = "",
        state_id: str | None = None,
    ) -> StudentRecord | None:
        if not self.enabled or local_id in self.seen or not (first_name and last_name):
            return None
        self.seen.add(local_id)
        return StudentRecord(
            row=row,
            local_id=local_id,
            first_name=first_name,
            last_name=last_name,
            grade_level=grade_level,
            state_id=state_id or None,
        )


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class Memo:
    """Parsed values by the raw text of their cell, for the few values a column repeats (dates,
    grades); bounded, so a column of all-different values costs no more than parsing them."""

    LIMIT = 4096

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, text: str, parse: Callable[[str], Any]) -> Any:
        """``parse(text)``, remembered; whatever ``parse`` raises is not."""
        known = self.values.get(text, _MISSING)
        if known is _MISSING:
            known = parse(text)
            if len(self.values) >= self.LIMIT:
                self.values.clear()
            self.values[text] = known
        return known


_MISSING = object()


def cell(row: list[str], index: int | None) -> str:
    """The stripped text of an optional column (blank when the file does not have it)."""
    return row[index].strip() if index is not None else ""


def record_builder(cls: type) -> Callable[..., Any]:
    """A constructor for a frozen record class that skips the frozen ``__init__``.

    A frozen dataclass sets each field through ``object.__setattr__``: for the 19 fields of an
    AssessmentResultRecord that is about 6 µs, half the cost of parsing a row, and a million-row
    file pays it a million times. Filling the instance's ``__dict__`` gives an equal object (same
    fields, defaults applied) in about 1 µs. When the class could not be built that way (slots, a
    ``__post_init__`` that validates, default factories) the real constructor is used.
    """
    fields = dataclasses.fields(cls)
    plain = (
        "__slots__" not in vars(cls)
        and not hasattr(cls, "__post_init__")
        and all(f.default_factory is dataclasses.MISSING for f in fields)
    )
    if not plain:
        return cls
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    new = object.__new__

    def build(**values: Any) -> Any:
        record = new(cls)
        state = record.__dict__
        state.update(defaults)
        state.update(values)
        if len(state) != len(fields):  # a misspelt or missing field: let the class say which
            return cls(**values)
        return record

    return build


result_record = record_builder(AssessmentResultRecord)
_RESULT_FIELDS = len(dataclasses.fields(AssessmentResultRecord))
_PLAIN_RESULT = result_record is not AssessmentResultRecord


def result_from(values: dict[str, Any]) -> AssessmentResultRecord:
    """An AssessmentResultRecord from a dict literal naming every field, spelt as the class does
    (the hot path's cheaper :func:`result_record`: the dict becomes the instance's own)."""
    if _PLAIN_RESULT and len(values) == _RESULT_FIELDS:
        record = object.__new__(AssessmentResultRecord)
        object.__setattr__(record, "__dict__", values)
        return record
    return AssessmentResultRecord(**values)
