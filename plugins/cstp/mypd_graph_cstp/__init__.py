"""mypd_graph plugin: the California Standards for the Teaching Profession (CSTP, 2009).

Installed as its own distribution so a district that uses another state's framework never has to
carry this one; mypd_graph finds it through the ``mypd_graph`` entry point group.
"""

from __future__ import annotations

from collections.abc import Callable

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import FrameworkDefinition
from mypd_graph_cstp.framework import FRAMEWORK_KEY, build_framework

__all__ = ["FRAMEWORK_KEY", "build_framework", "mypd_graph_register_frameworks"]


@hookimpl
def mypd_graph_register_frameworks(register: Callable[[FrameworkDefinition], None]) -> None:
    """Offer the CSTP (2009) framework; the core validates and syncs it by key and version."""
    register(build_framework())
