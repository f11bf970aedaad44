"""The CASE importer as the framework sync takes it: whoever syncs plugin frameworks (the app at
start-up, the commands that load the demo or create a district) hands this in, so plugins'
CASE packages load the same way everywhere while services never import :mod:`mypd_graph.case`."""

from __future__ import annotations

from mypd_graph.case.parse import parse_package
from mypd_graph.case.store import import_package
from mypd_graph.services.frameworks.registry import CaseImporter


def case_importer() -> CaseImporter:
    return CaseImporter(parse_package, import_package)
