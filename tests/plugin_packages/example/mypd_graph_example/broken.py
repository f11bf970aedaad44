"""A plugin whose import fails: the host must report it by name and carry on."""

raise ImportError("example plugin cannot find its vendor library")
