"""Frameworks in GraphQL: the types (tree, scale, versions, crosswalks), importing CASE packages
(:mod:`.types`), and switching the district's framework (:mod:`.swap`)."""

from __future__ import annotations

from strawberry.tools import merge_types

from mypd_graph.schema.frameworks import swap, types
from mypd_graph.schema.frameworks.types import (
    CrosswalkLink,
    Element,
    Framework,
    FrameworkVersion,
    Indicator,
    RatingLevel,
    Standard,
    element_by_id,
    framework_by_id,
    level_by_id,
    standard_by_id,
)

Query = merge_types("FrameworksQuery", (types.Query, swap.Query))
Mutation = merge_types("FrameworksMutation", (types.Mutation, swap.Mutation))

__all__ = [
    "CrosswalkLink",
    "Element",
    "Framework",
    "FrameworkVersion",
    "Indicator",
    "Mutation",
    "Query",
    "RatingLevel",
    "Standard",
    "element_by_id",
    "framework_by_id",
    "level_by_id",
    "standard_by_id",
]
