"""The built-in resource provider: a catalog file of PD resources, JSON or CSV.

A district points ``MYPD_CATALOG_FILE`` at its own catalog; without it the provider serves the CSTP
catalog shipped in this package (``cstp_catalog.json``), which is **sample data**: illustrative
titles, and links to the reserved ``.test`` domain (the file says so, ``"sample": true``, and so do
the provider and every resource in GraphQL). The file is checked when the plugin registers (a file
that cannot be read fails the plugin at start-up) and read again at every sync
(:mod:`mypd_graph.services.resources.catalogs`), so an edited catalog is picked up by
``mypd-graph resources sync`` without a restart, and the items it no longer lists are retired.

JSON: an object with ``resources`` (a list of objects with the fields of
:class:`~mypd_graph.plugins.types.ResourceRecord`, ``element_codes`` and ``subjects`` as lists) and
optionally ``name`` (the provider name, default ``catalog``), ``title``, ``framework_key`` (the
default for resources that name none, ``cstp-2009`` when absent), ``sample`` (true for
illustrative data) and ``notice`` (a sentence shown with the provider).

CSV: a header row with at least ``external_id``, ``title`` and ``element_codes``; optional
``framework_key``, ``url``, ``format``, ``description``, ``subjects``, ``grade_band``,
``duration_minutes`` and ``identifier``. Lists (element codes, subjects) are separated by ``;`` or ``|``. The provider
name is ``catalog``.

A file that cannot be read at all fails the plugin (reported by name and reason, the service keeps
running); a row that cannot become a record is logged and skipped, the rest of the catalog syncs.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import DefinitionError, ResourceRecord

log = logging.getLogger(__name__)

CATALOG_FILE_VARIABLE = "MYPD_CATALOG_FILE"
DEFAULT_CATALOG = Path(__file__).with_name("cstp_catalog.json")
DEFAULT_NAME = "catalog"
DEFAULT_FRAMEWORK = "cstp-2009"
REQUIRED_COLUMNS = ("external_id", "title", "element_codes")
TEXT_FIELDS = ("url", "format", "description", "grade_band", "framework_key", "identifier")
_LIST_SEPARATOR = re.compile(r"\s*[;|]\s*")


def catalog_path(environ: Mapping[str, str] | None = None) -> Path:
    """The catalog file to serve: ``MYPD_CATALOG_FILE`` when set, else the shipped CSTP catalog."""
    configured = (os.environ if environ is None else environ).get(CATALOG_FILE_VARIABLE, "")
    return Path(configured.strip()).expanduser() if configured.strip() else DEFAULT_CATALOG


@dataclass(frozen=True)
class CatalogProvider:
    """A :class:`~mypd_graph.plugins.types.ResourceProvider` over one parsed catalog file."""

    name: str
    title: str
    path: Path
    entries: tuple[tuple[int, Mapping[str, Any]], ...]  # (row or position, raw fields)
    framework_key: str = DEFAULT_FRAMEWORK
    sample: bool = False
    notice: str = ""

    def resources(self) -> Iterator[ResourceRecord]:
        """The catalog as the file says now (read again: syncs need no restart). A file that
        has become unreadable raises, so the sync reports this provider and retires nothing."""
        current = load_catalog(self.path)
        for where, entry in current.entries:
            try:
                yield _record(entry, current.framework_key)
            except (TypeError, ValueError) as error:
                log.warning("catalog %s: entry %s skipped: %s", self.path.name, where, error)


def load_catalog(path: Path) -> CatalogProvider:
    """Parse a catalog file; raises :class:`DefinitionError` when the file as a whole is unusable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise DefinitionError(f"catalog file {path} cannot be read: {error}") from error
    if path.suffix.lower() == ".json":
        return _from_json(path, text)
    if path.suffix.lower() == ".csv":
        return _from_csv(path, text)
    raise DefinitionError(f"catalog file {path} must end in .json or .csv")


def _from_json(path: Path, text: str) -> CatalogProvider:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"catalog file {path} is not valid JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise DefinitionError(f"catalog file {path} must be an object with a 'resources' list")
    header = {key: document.get(key) for key in ("name", "title", "framework_key", "notice")}
    for key, value in header.items():
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise DefinitionError(f"catalog file {path}: {key!r} must be a non-empty string")
    sample = document.get("sample", False)
    if not isinstance(sample, bool):
        raise DefinitionError(f"catalog file {path}: 'sample' must be true or false")
    return CatalogProvider(
        name=(header["name"] or DEFAULT_NAME).strip(),
        title=(header["title"] or f"PD catalog ({path.name})").strip(),
        path=path,
        entries=tuple(enumerate(document["resources"], start=1)),
        framework_key=(header["framework_key"] or DEFAULT_FRAMEWORK).strip(),
        sample=sample,
        notice=(header["notice"] or "").strip(),
    )


def _from_csv(path: Path, text: str) -> CatalogProvider:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise DefinitionError(f"catalog file {path} lacks the column(s) {', '.join(missing)}")
    rows = tuple(
        (number, {key.strip(): value for key, value in row.items() if key is not None})
        for number, row in enumerate(reader, start=2)  # the header is row 1
    )
    return CatalogProvider(DEFAULT_NAME, f"PD catalog ({path.name})", path, rows)


def _text(entry: Mapping[str, Any], key: str, default: str = "") -> str:
    value = entry.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text")
    return value.strip()


def _codes(value: Any, key: str) -> tuple[str, ...]:
    """A list in JSON, or ``a; b | c`` in a CSV cell."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part for part in _LIST_SEPARATOR.split(value.strip()) if part)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    raise ValueError(f"{key} must be a list of strings")


def _minutes(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("duration_minutes must be a whole number")
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"duration_minutes must be a whole number, got {value!r}") from None


def _record(entry: Mapping[str, Any], framework_key: str) -> ResourceRecord:
    if not isinstance(entry, Mapping):
        raise TypeError(f"expected an object, got {type(entry).__name__}")
    external_id, title = _text(entry, "external_id"), _text(entry, "title")
    if not external_id or not title:
        raise ValueError("external_id and title are required")
    codes = _codes(entry.get("element_codes"), "element_codes")
    if not codes:
        raise ValueError(f"{external_id}: element_codes is empty")
    return ResourceRecord(
        external_id=external_id,
        title=title,
        framework_key=_text(entry, "framework_key", framework_key),
        element_codes=codes,
        url=_text(entry, "url"),
        format=_text(entry, "format", "course"),
        description=_text(entry, "description"),
        subjects=_codes(entry.get("subjects"), "subjects"),
        grade_band=_text(entry, "grade_band"),
        duration_minutes=_minutes(entry.get("duration_minutes")),
        identifier=_text(entry, "identifier"),
    )


def shipped_catalog() -> CatalogProvider:
    """The CSTP catalog shipped in the package, whatever ``MYPD_CATALOG_FILE`` says (the demo)."""
    return load_catalog(DEFAULT_CATALOG)


@hookimpl
def mypd_graph_register_resource_providers(register: Any) -> None:
    register(load_catalog(catalog_path()))
