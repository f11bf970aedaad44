"""A plugin with a misspelled hook name: the host must reject it, naming the hook."""

from mypd_graph.plugins import hookimpl


@hookimpl
def mypd_graph_register_framework(register):  # missing the final "s"
    raise AssertionError("never called")
