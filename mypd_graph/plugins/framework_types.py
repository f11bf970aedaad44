"""Plugin data types for frameworks: a definition in Python, or a CASE package a plugin ships.

Part of :mod:`mypd_graph.plugins.types`, which plugin authors import from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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
class CasePackage:
    """A framework shipped as a 1EdTech CASE package (CFPackage JSON), as publishers ship standards.

    The core imports ``path`` through its CASE importer under ``key`` (the same path as
    ``mypd-graph frameworks import-case``), idempotently at every start-up. ``rated_level`` says
    which level teachers are rated on (a level number, 1 = the top, or a CFItemType; default: the
    items the package's rubric criteria name, else the leaves); the package's CFRubrics give the
    rating levels. ``crosswalks`` are CSV files (``from_framework, from_code, to_framework,
    to_code, relation``) loaded after the framework. ``jurisdiction`` and ``subject_elements``
    mean what they mean on :class:`FrameworkDefinition`; a CASE package carries neither.
    """

    key: str
    path: Path
    jurisdiction: str = ""
    rated_level: str | None = None
    subject_elements: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    crosswalks: tuple[Path, ...] = ()

    def validate(self) -> None:
        """Raise :class:`DefinitionError` for what can be checked without reading the package."""
        if not KEY_PATTERN.match(self.key):
            raise DefinitionError(
                f"framework key {self.key!r} must be lowercase letters, digits, '.', '_' or '-'"
            )
        for path in (self.path, *self.crosswalks):
            if not Path(path).is_file():
                raise DefinitionError(f"framework {self.key!r}: {path} is not a file")
