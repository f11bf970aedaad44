"""mypd_graph plugin: student-score importer for the delimited files assessment vendors export.

One importer, ``csv-scores``, with presets for real layouts (NWEA MAP Growth, CAASPP CERS and
TOMS, i-Ready Diagnostic) and a generic preset driven by a column mapping. It only parses: the
core decodes the file, stages, upserts and records the import. See README.md for the layouts,
their sources and the options.
"""

from __future__ import annotations

from collections.abc import Callable

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import ImporterDefinition
from mypd_graph_csv_scores.parse import LAYOUTS, PRESETS, parse

__all__ = ["IMPORTER", "LAYOUTS", "PRESETS", "mypd_graph_register_importers", "parse"]

IMPORTER = ImporterDefinition(
    name="csv-scores",
    title="Student scores from delimited files (NWEA MAP, CAASPP, i-Ready, any CSV)",
    layouts=LAYOUTS,
    record_kinds=("assessment_results", "students"),
    parse=parse,
    description=(
        "Layouts: "
        + "; ".join(f"{name} ({preset.title})" for name, preset in PRESETS.items())
        + ". Comma, tab or caret delimited; a zip for NWEA's Comprehensive Data File and the "
        "TOMS extract."
    ),
)


@hookimpl
def mypd_graph_register_importers(register: Callable[[ImporterDefinition], None]) -> None:
    """Offer the csv-scores importer."""
    register(IMPORTER)
