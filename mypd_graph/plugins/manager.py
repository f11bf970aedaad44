"""Build a plugin manager and collect what plugins offer, reporting every failure by plugin name.

A fresh :class:`PluginSet` is built by :func:`load_plugins` (never a global at import time): hook specs,
then entry points of group ``mypd_graph`` filtered by the allowlist and denylist, then any plugins
passed in by the caller (tests, built-ins). A plugin that fails to import, implements an unknown hook,
raises inside a hook or offers an invalid or clashing definition is left out and listed in
``failures`` with the reason; the others keep working.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar

import pluggy

from mypd_graph.plugins import hookspecs
from mypd_graph.plugins.builtins import builtin_plugins
from mypd_graph.plugins.types import (
    CasePackage,
    DefinitionError,
    FrameworkDefinition,
    ImporterDefinition,
    ResourceProvider,
)

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
BUILT_IN = "built in"
T = TypeVar("T")


@dataclass(frozen=True)
class PluginFailure:
    plugin: str
    reason: str


@dataclass(frozen=True)
class Contribution(Generic[T]):
    """One item a plugin registered, with the plugin it came from."""

    plugin: str
    item: T


@dataclass
class PluginInfo:
    name: str
    distribution: str = ""
    version: str = ""
    hooks: list[str] = field(default_factory=list)


@dataclass
class PluginSet:
    """The loaded plugins and everything they offer; built once per process by :func:`load_plugins`."""

    manager: pluggy.PluginManager
    plugins: list[PluginInfo] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)
    frameworks: dict[str, Contribution[FrameworkDefinition]] = field(default_factory=dict)
    # Frameworks shipped as CASE packages; their keys never repeat one of ``frameworks``.
    case_packages: dict[str, Contribution[CasePackage]] = field(default_factory=dict)
    importers: dict[str, Contribution[ImporterDefinition]] = field(default_factory=dict)
    resource_providers: dict[str, Contribution[ResourceProvider]] = field(default_factory=dict)

    def offered_by(self, plugin: str) -> dict[str, list[str]]:
        """What one plugin provides, by kind, for ``mypd-graph plugins list`` (a framework
        shipped as a CASE package is a framework like any other)."""
        kinds: dict[str, list[dict[str, Contribution[Any]]]] = {
            "frameworks": [self.frameworks, self.case_packages],
            "importers": [self.importers],
            "resource_providers": [self.resource_providers],
        }
        return {
            kind: sorted(key for items in groups for key, c in items.items() if c.plugin == plugin)
            for kind, groups in kinds.items()
        }


def _fail(plugins: PluginSet, name: str, reason: str) -> None:
    log.error("plugin %s failed: %s", name, reason)
    plugins.failures.append(PluginFailure(name, reason))


def _unknown_hooks(manager: pluggy.PluginManager, plugin: object) -> list[str]:
    """Names marked as hook implementations that match no spec (a misspelled hook, say)."""
    return sorted(
        name
        for name in dir(plugin)
        if manager.parse_hookimpl_opts(plugin, name) is not None and not hasattr(manager.hook, name)
    )


def _register(plugins: PluginSet, name: str, plugin: object, info: PluginInfo) -> None:
    manager = plugins.manager
    unknown = _unknown_hooks(manager, plugin)
    if unknown:
        _fail(plugins, name, f"implements unknown hook(s): {', '.join(unknown)}")
        return
    try:
        manager.register(plugin, name=name)
    except (ValueError, pluggy.PluginValidationError) as error:
        _fail(plugins, name, str(error))
        return
    info.hooks = sorted(impl.name for impl in manager.get_hookcallers(plugin) or [])
    plugins.plugins.append(info)


def _entry_points(allow: tuple[str, ...], deny: tuple[str, ...]) -> Iterable[Any]:
    for entry_point in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name
    ):
        if allow and entry_point.name not in allow:
            log.info("plugin %s not in the allowlist; skipped", entry_point.name)
            continue
        if entry_point.name in deny:
            log.info("plugin %s disabled by configuration", entry_point.name)
            continue
        yield entry_point


def load_plugins(
    allow: tuple[str, ...] = (),
    deny: tuple[str, ...] = (),
    extra: Iterable[tuple[str, ModuleType | object]] = (),
    entry_points: bool = True,
    builtins: bool = True,
) -> PluginSet:
    """Discover, register and collect plugins; see the module docstring for what is reported.

    The allowlist applies to installed (entry-point) plugins; built-in plugins load unless denied.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    plugins = PluginSet(manager=manager)

    for entry_point in _entry_points(allow, deny) if entry_points else ():
        try:
            plugin = entry_point.load()
        except Exception as error:  # a broken plugin must not take the service down
            _fail(plugins, entry_point.name, f"failed to load {entry_point.value}: {error!r}")
            continue
        dist = entry_point.dist
        info = PluginInfo(
            entry_point.name,
            distribution=dist.name if dist else "",
            version=dist.version if dist else "",
        )
        _register(plugins, entry_point.name, plugin, info)

    in_process = [
        (name, plugin, BUILT_IN) for name, plugin in (builtin_plugins() if builtins else [])
    ]
    in_process += [(name, plugin, "registered in process") for name, plugin in extra]
    for name, plugin, origin in in_process:
        if name in deny:
            continue
        _register(plugins, name, plugin, PluginInfo(name, distribution=origin))

    manager.check_pending()
    _collect(plugins, "mypd_graph_register_frameworks", plugins.frameworks, _key_framework)
    _collect(
        plugins,
        "mypd_graph_register_case_packages",
        plugins.case_packages,
        _key_case_package,
        also=plugins.frameworks,
    )
    _collect(plugins, "mypd_graph_register_importers", plugins.importers, _key_importer)
    _collect(
        plugins,
        "mypd_graph_register_resource_providers",
        plugins.resource_providers,
        _key_provider,
    )
    return plugins


def _key_framework(item: object) -> str:
    if not isinstance(item, FrameworkDefinition):
        raise DefinitionError(f"expected a FrameworkDefinition, got {type(item).__name__}")
    item.validate()
    return item.key


def _key_case_package(item: object) -> str:
    if not isinstance(item, CasePackage):
        raise DefinitionError(f"expected a CasePackage, got {type(item).__name__}")
    item.validate()
    return item.key


def _key_importer(item: object) -> str:
    if not isinstance(item, ImporterDefinition):
        raise DefinitionError(f"expected an ImporterDefinition, got {type(item).__name__}")
    item.validate()
    return item.name


def _key_provider(item: object) -> str:
    if not isinstance(item, ResourceProvider):
        raise DefinitionError(
            f"expected a ResourceProvider (name, title, resources()), got {type(item).__name__}"
        )
    return item.name


def _collect(
    plugins: PluginSet,
    hook_name: str,
    into: dict[str, Contribution[Any]],
    key_of: Callable[[object], str],
    also: dict[str, Contribution[Any]] | None = None,
) -> None:
    """Call each implementation of one hook on its own, so a failure is pinned on its plugin.

    ``also`` holds keys another hook already took (a framework key is one key, however shipped).
    """
    taken = also if also is not None else {}
    caller = getattr(plugins.manager.hook, hook_name)
    for impl in sorted(caller.get_hookimpls(), key=lambda impl: impl.plugin_name):
        plugin_name = impl.plugin_name
        pending: dict[str, Contribution[Any]] = {}

        def register(
            item: object,
            plugin_name: str = plugin_name,
            pending: dict[str, Contribution[Any]] = pending,
        ) -> None:
            key = key_of(item)
            earlier = into.get(key) or taken.get(key)
            if earlier is not None:
                raise DefinitionError(
                    f"{key!r} is offered by both {earlier.plugin} and {plugin_name}"
                )
            if key in pending:
                raise DefinitionError(f"{key!r} registered twice by {plugin_name}")
            pending[key] = Contribution(plugin_name, item)

        arguments = {"register": register}
        try:
            impl.function(**{name: arguments[name] for name in impl.argnames})
        except Exception as error:  # one plugin's bug is reported, not raised
            _fail(plugins, plugin_name, f"{hook_name} raised {error!r}")
            continue
        into.update(pending)
