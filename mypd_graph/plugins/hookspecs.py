"""Hook specifications: the whole contract between mypd_graph and its plugins.

Every hook is called with keyword arguments. An implementation may accept fewer arguments than the
spec lists, so specs can grow without breaking plugins. Plugins hand their contributions to a
``register`` callback; the core validates each item as it arrives and names both plugins when two
offer the same key. Each hook is documented in ``docs/plugins.md``; a test fails when one is not.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from mypd_graph.plugins.types import (
    CasePackage,
    FrameworkDefinition,
    ImporterDefinition,
    ResourceProvider,
)

PROJECT_NAME = "mypd_graph"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)

# -------------------------------------------------------------------------
# Standards frameworks
# -------------------------------------------------------------------------


@hookspec
def mypd_graph_register_frameworks(register: Callable[[FrameworkDefinition], None]) -> None:
    """Offer standards frameworks that a district can activate.

    :param register: call once per :class:`~mypd_graph.plugins.types.FrameworkDefinition`.
        The core validates the definition and syncs it into the database idempotently
        (by ``key`` and ``version``).
    """


@hookspec
def mypd_graph_register_case_packages(register: Callable[[CasePackage], None]) -> None:
    """Offer frameworks shipped as CASE packages (CFPackage JSON), with optional crosswalks.

    :param register: call once per :class:`~mypd_graph.plugins.types.CasePackage`. Keys are
        unique across this hook and :func:`mypd_graph_register_frameworks`. The core imports
        each package through its CASE importer at start-up, idempotently (an unchanged package
        writes nothing), then loads its crosswalk files.
    """


# -------------------------------------------------------------------------
# Importers
# -------------------------------------------------------------------------


@hookspec
def mypd_graph_register_importers(register: Callable[[ImporterDefinition], None]) -> None:
    """Offer importers that turn files districts export into validated records.

    :param register: call once per :class:`~mypd_graph.plugins.types.ImporterDefinition`.
        Importer names are unique across all plugins.
    """


# -------------------------------------------------------------------------
# Resource providers
# -------------------------------------------------------------------------


@hookspec
def mypd_graph_register_resource_providers(register: Callable[[ResourceProvider], None]) -> None:
    """Offer catalogs of PD resources (courses, videos, workshops) aligned to elements.

    :param register: call once per object following
        :class:`~mypd_graph.plugins.types.ResourceProvider`. Provider names are unique.
        The host calls ``resources()`` to sync the catalog (items it no longer lists are
        retired) and, when present, ``search(query)`` for live search; every call is bounded
        by a timeout and a provider that raises or times out is reported by name while the
        others answer (docs/plugins.md, docs/resources.md).
    """
