"""The ``mypd-graph`` command. :mod:`.base` holds the group and the service's own commands; each
other module adds the commands of one concern to it."""

from mypd_graph.cli import districts, frameworks, jobs, privacy, resources, sign_in  # noqa: F401  (they register commands)
from mypd_graph.cli.base import main

__all__ = ["main"]
