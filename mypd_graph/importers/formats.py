"""The ``--format`` option of the import commands, whose help lists the layouts of the importers
that are installed, read from the plugin registry, never from a list written by hand.

The plugins are loaded only when the help is shown or a shell completes the option, not when
the command line is parsed, so an import does not load them twice. Every layout is described,
with an example file, in ``docs/importing.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

if TYPE_CHECKING:  # the command line imports this module: plugins load only when help is shown
    from mypd_graph.plugins.manager import PluginSet


def installed_plugins() -> PluginSet:
    """The plugins an import would use (``MYPD_PLUGINS``, ``MYPD_DISABLE_PLUGINS``), or all of them
    when the settings cannot be read (help must not fail on a setting the import would refuse)."""
    from mypd_graph.plugins.manager import load_plugins
    from mypd_graph.settings import Settings

    try:
        settings = Settings.from_env()
    except Exception:
        return load_plugins()
    return load_plugins(settings.plugins_allow, settings.plugins_deny)


def layouts_by_importer(plugins: PluginSet, kind: str | None = None) -> dict[str, tuple[str, ...]]:
    """Each importer's layouts (of the importers that write ``kind``, when given), by name."""
    found = {}
    for name in sorted(plugins.importers):
        definition = plugins.importers[name].item
        if kind is None or kind in definition.record_kinds:
            found[name] = tuple(definition.layouts)
    return found


def layouts_help(plugins: PluginSet, kind: str | None = None) -> str:
    """``"csv-scores: nwea-map, caaspp-cers, ...; oneroster: oneroster-1.1"``."""
    layouts = layouts_by_importer(plugins, kind)
    listed = "; ".join(f"{name}: {', '.join(names)}" for name, names in layouts.items() if names)
    return listed or "no installed importer declares a layout"


class LayoutOption(click.Option):
    """``--format LAYOUT``: the help lists the installed importers' layouts (of those writing
    ``kind`` when given) and the shell completes them."""

    def __init__(
        self,
        *args: Any,
        kind: str | None = None,
        plugins: Callable[[], PluginSet] = installed_plugins,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("metavar", "LAYOUT")
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.plugins = plugins
        self.lead = self.help or "The layout of the file; detected from its header when not given."

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        listed = layouts_help(self.plugins(), self.kind)
        self.help = f"{self.lead} Layouts ({listed}) are described in docs/importing.md."
        return super().get_help_record(ctx)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        names: Sequence[str] = [
            layout
            for layouts in layouts_by_importer(self.plugins(), self.kind).values()
            for layout in layouts
        ]
        return [CompletionItem(name) for name in names if name.startswith(incomplete)]
