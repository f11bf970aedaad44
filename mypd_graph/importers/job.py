"""What the stages of an import hand each other: the checked request, the batches, the progress.

The reader (:mod:`~mypd_graph.importers.reader`, also run in a child process by
:mod:`~mypd_graph.importers.worker`), the writers (:mod:`~mypd_graph.importers.writers`,
:mod:`~mypd_graph.importers.results`) and the pipeline (:mod:`~mypd_graph.importers.pipeline`) all
speak these types. They live apart from all of those modules, and import none of them, so that each
stage depends on the types and never on another stage that depends on it back. A child process
parsing a large file imports this module too: it stays light (the actor's type only for checking).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mypd_graph.plugins.types import ImporterDefinition, RowError

if TYPE_CHECKING:
    from mypd_graph.services.access import Actor


@dataclass(frozen=True)
class ImportJob:
    """A checked request to import: who, with which importer, format and options."""

    actor: Actor
    definition: ImporterDefinition
    options: Mapping[str, Any]
    layout: str
    max_error_share: float
    create_students: bool
    attribute_teachers: bool


@dataclass(frozen=True)
class ImportProgress:
    """Reported after every batch: enough for a progress bar and a rows/s figure."""

    rows_read: int
    rows_rejected: int
    bytes_read: int
    bytes_total: int  # 0 when the source's size in bytes says nothing of its progress (a folder)
    elapsed: float
    layout: str = ""  # the layout the file was recognized as, once the importer said so

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.elapsed if self.elapsed > 0 else 0.0


ProgressCallback = Callable[[ImportProgress], None]


class ImporterBug(Exception):
    """The importer broke its contract (yielded something that is not a record of its kinds)."""


@dataclass
class ResultExtras:
    """What a batch of results brings besides the results: its assessments, and (when asked)
    students to create and teachers to attribute them to."""

    # key -> (name, subject, vendor, level count, proficient level, summative)
    assessments: dict[str, tuple[str, str, str, int, int, bool]] = field(default_factory=dict)
    students: dict[str, tuple[str, str, str, str | None, str | None]] = field(default_factory=dict)
    attributions: set[tuple[str, str, str, str, str | None]] = field(default_factory=set)
    # (school code, section id) of sections whose enrollments this import lists in full
    complete_sections: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Part:
    """The staged rows of one record kind in one batch (the writers find duplicates)."""

    kind: str
    file: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Chunk:
    """One batch as read: the staged rows by kind, the row errors, and what was skipped."""

    parts: dict[str, Part] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    extras: ResultExtras = field(default_factory=ResultExtras)
    rows_read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    exhausted: bool = False
    layout: str = ""  # what the importer recognized the file as (ImportSource.recognized)
