"""The plugin system: hook specifications, the plugin manager factory, and plugin data types.

Plugins import :data:`hookimpl` from here and the dataclasses from :mod:`mypd_graph.plugins.types`.
"""

import pluggy

from mypd_graph.plugins.hookspecs import PROJECT_NAME

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "hookimpl"]
