"""Plugins that ship inside the core, registered like any other plugin (and deniable the same way)."""

from __future__ import annotations

import importlib
from types import ModuleType

BUILTIN_PLUGINS: dict[str, str] = {
    "oneroster": "mypd_graph.importers.oneroster",
    "training_csv": "mypd_graph.importers.training",
    "catalog": "mypd_graph.providers.catalog",
}


def builtin_plugins() -> list[tuple[str, ModuleType]]:
    return [(name, importlib.import_module(module)) for name, module in BUILTIN_PLUGINS.items()]
