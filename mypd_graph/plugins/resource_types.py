"""Plugin data types for PD resource providers: records, the live search query, the provider.

Part of :mod:`mypd_graph.plugins.types`, which plugin authors import from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ResourceRecord:
    """A PD resource offered by a provider, aligned to element codes of one framework.

    ``external_id`` names it within its provider; ``identifier`` (optional) is a global name such
    as a DOI, ISBN or URN: live search merges results of several providers that share a URL or an
    identifier into one hit.
    """

    external_id: str
    title: str
    framework_key: str
    element_codes: tuple[str, ...]
    url: str = ""
    format: str = "course"
    description: str = ""
    subjects: tuple[str, ...] = ()
    grade_band: str = ""
    duration_minutes: int | None = None
    identifier: str = ""


@dataclass(frozen=True)
class ResourceQuery:
    """A live search put to every provider; an empty field means "any".

    ``element_codes`` are codes of ``framework_key`` (the asking district's active framework); a
    record fits when it is aligned to any of them. ``grade_band`` is a band such as ``K-5``: a
    record fits when its band overlaps it. A provider returns at most ``limit`` records, best first.
    """

    text: str = ""
    element_codes: tuple[str, ...] = ()
    framework_key: str = ""
    subject: str = ""
    grade_band: str = ""
    format: str = ""
    limit: int = 25


@runtime_checkable
class ResourceProvider(Protocol):
    """A catalog of PD resources; ``resources()`` lists every resource it offers (a sync stores
    them and retires what it no longer lists).

    Optional, looked up with ``getattr``: ``search(query: ResourceQuery)`` answers a live search
    (a plain or an ``async`` method returning records, best first); ``sample = True`` says the
    catalog is illustrative data, not a publisher's; ``notice`` is a sentence shown with it.
    """

    name: str
    title: str

    def resources(self) -> Iterable[ResourceRecord]: ...
