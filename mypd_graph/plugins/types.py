"""The plain data that plugins hand to the core.

Plugins build these frozen dataclasses and pass them to the ``register`` callback of a hook; the
core validates each one as it arrives (see :mod:`mypd_graph.plugins.manager`). Nothing here touches
the database, so a plugin can be written and tested without a running service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Protocol, runtime_checkable

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class DefinitionError(ValueError):
    """A plugin handed the core a definition that cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class RatingLevel:
    """One level of a framework's rating scale; levels are listed lowest first."""

    key: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Element:
    """The unit teachers choose, rate and grow in (CSTP "1.1")."""

    code: str
    text: str


@dataclass(frozen=True)
class Standard:
    """A standard groups elements (CSTP "1")."""

    code: str
    title: str
    elements: tuple[Element, ...]


@dataclass(frozen=True)
class FrameworkDefinition:
    """A standards framework a district can activate.

    ``subject_elements`` maps a student-assessment subject (``"Math"``, ``"ELA"``) to the element
    codes whose growth shows in that subject's results; needs assessment uses it, and a district may
    override it.
    """

    key: str
    name: str
    version: str
    jurisdiction: str
    levels: tuple[RatingLevel, ...]
    standards: tuple[Standard, ...]
    description: str = ""
    source_url: str = ""
    subject_elements: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def element_codes(self) -> list[str]:
        return [element.code for standard in self.standards for element in standard.elements]

    def validate(self) -> None:
        """Raise :class:`DefinitionError` naming the first problem found."""
        if not KEY_PATTERN.match(self.key):
            raise DefinitionError(
                f"framework key {self.key!r} must be lowercase letters, digits, '.', '_' or '-'"
            )
        for attribute in ("name", "version"):
            if not getattr(self, attribute).strip():
                raise DefinitionError(f"framework {self.key!r} has an empty {attribute}")
        if len(self.levels) < 2:
            raise DefinitionError(f"framework {self.key!r} needs at least two rating levels")
        level_keys = [level.key for level in self.levels]
        if len(set(level_keys)) != len(level_keys):
            raise DefinitionError(f"framework {self.key!r} repeats a rating level key")
        if not self.standards:
            raise DefinitionError(f"framework {self.key!r} has no standards")
        codes = [standard.code for standard in self.standards] + self.element_codes()
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise DefinitionError(f"framework {self.key!r} repeats codes: {', '.join(duplicates)}")
        for standard in self.standards:
            if not standard.elements:
                raise DefinitionError(
                    f"framework {self.key!r} standard {standard.code!r} has no elements"
                )
        known = set(self.element_codes())
        for subject, element_codes in self.subject_elements.items():
            unknown = [code for code in element_codes if code not in known]
            if unknown:
                raise DefinitionError(
                    f"framework {self.key!r} maps subject {subject!r} to unknown elements: "
                    f"{', '.join(unknown)}"
                )


@dataclass(frozen=True)
class RowError:
    """Why one row of an imported file was rejected (row numbers count the header as row 1)."""

    row: int
    reason: str
    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class ImporterDefinition:
    """A parser that turns a byte stream into validated records.

    ``parse(stream, options)`` yields records (plain mappings whose ``"kind"`` is one of
    ``record_kinds``) or :class:`RowError` values. The core owns everything around it: encoding,
    staging, upsert, counts and the Import record.
    """

    name: str
    title: str
    layouts: tuple[str, ...]
    record_kinds: tuple[str, ...]
    parse: Callable[[IO[bytes], Mapping[str, Any]], Iterable[Mapping[str, Any] | RowError]]
    description: str = ""

    def validate(self) -> None:
        if not KEY_PATTERN.match(self.name):
            raise DefinitionError(f"importer name {self.name!r} must be a lowercase key")
        allowed = {"students", "sections", "enrollments", "assessment_results", "training_records"}
        unknown = sorted(set(self.record_kinds) - allowed)
        if unknown or not self.record_kinds:
            raise DefinitionError(
                f"importer {self.name!r} declares unknown record kinds {unknown}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        if not callable(self.parse):
            raise DefinitionError(f"importer {self.name!r} parse is not callable")


@dataclass(frozen=True)
class ResourceRecord:
    """A PD resource offered by a provider, aligned to element codes of one framework."""

    external_id: str
    title: str
    framework_key: str
    element_codes: tuple[str, ...]
    url: str = ""
    format: str = "course"
    description: str = ""
    subjects: tuple[str, ...] = ()
    grade_band: str = ""
    duration_minutes: int | None = None


@runtime_checkable
class ResourceProvider(Protocol):
    """A catalog of PD resources; ``resources()`` lists every resource it offers."""

    name: str
    title: str

    def resources(self) -> Iterable[ResourceRecord]: ...
