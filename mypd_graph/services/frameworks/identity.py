"""Stable CASE identifiers for what has none of its own.

A plugin framework carries no UUIDs, so its framework, elements, levels and isChildOf links get
identifiers derived with uuid5 from the framework key and the code (or level key). Derived, not
random: every database, restart and new version of the same key computes the same identifier, with
nothing to keep in sync; they are also stored on the rows so the CASE endpoints find them by index.
A CASE package brings its own identifiers and keeps them; a copy of a package imported under a new
key (whose identifiers another framework already holds) gets identifiers derived from its key and
the originals, so importing the copy again is still a no-op.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:mypd-graph:case")


def derived(key: str, *parts: str) -> str:
    """``framework:<key>[:<part>...]`` as a UUID (the migration 20261208 freezes this formula)."""
    return str(uuid.uuid5(NAMESPACE, ":".join(("framework", key, *parts))))


def framework_id(key: str) -> str:
    return derived(key)


def item_id(key: str, code: str) -> str:
    return derived(key, "item", code)


def level_id(key: str, level_key: str) -> str:
    return derived(key, "level", level_key)


def child_link_id(key: str, code: str) -> str:
    return derived(key, "isChildOf", code)


def copy_id(key: str, original: str) -> str:
    """The identifier a copy imported under ``key`` gives what the original package calls
    ``original``."""
    return derived(key, "copy", original)


def rubric_id(framework_identifier: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{framework_identifier}:rubric"))


def criterion_id(framework_identifier: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{framework_identifier}:rubric:criterion"))
