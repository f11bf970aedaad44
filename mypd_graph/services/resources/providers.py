"""Calling provider plugins: each one on its own, bounded by a timeout, its failure pinned on it.

Providers are third-party code that may block on a vendor's API. A plain method runs in a daemon
thread of its own (never the event loop, never the shared executor: a provider that hangs past its
timeout is abandoned, and neither a request nor the command's exit waits for it); an ``async``
method is awaited and cancelled at the timeout. Every provider is asked at once, so one slow
provider costs the others nothing, and each answer says whether it came, failed or timed out.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mypd_graph.plugins.manager import Contribution, PluginSet
from mypd_graph.plugins.types import ResourceProvider

log = logging.getLogger(__name__)

# Every member the host reads from a provider; docs/plugins.md has a section for each (a test
# fails when one is missing). The last three are optional.
PROVIDER_MEMBERS = ("name", "title", "resources", "search", "sample", "notice")


class Outcome(enum.StrEnum):
    """How a provider answered one call."""

    ANSWERED = "answered"
    FAILED = "failed"  # it raised: the message says what
    TIMED_OUT = "timed_out"  # no answer within the timeout; it was cut off


@dataclass(frozen=True)
class Answer:
    """One provider's answer to one call: its records when it answered, else why not."""

    provider: str
    plugin: str
    outcome: Outcome
    records: tuple[object, ...] = ()
    message: str = ""
    seconds: float = 0.0

    @property
    def answered(self) -> bool:
        return self.outcome is Outcome.ANSWERED


@dataclass(frozen=True)
class ProviderInfo:
    """What a provider says about itself (the optional attributes of the protocol)."""

    name: str
    title: str
    plugin: str
    sample: bool
    notice: str
    searches_live: bool = field(default=False)


def describe(name: str, contribution: Contribution[ResourceProvider]) -> ProviderInfo:
    provider = contribution.item
    notice = getattr(provider, "notice", "")
    return ProviderInfo(
        name=name,
        title=str(getattr(provider, "title", name)),
        plugin=contribution.plugin,
        sample=getattr(provider, "sample", False) is True,
        notice=notice if isinstance(notice, str) else "",
        searches_live=callable(getattr(provider, "search", None)),
    )


def provider_infos(plugins: PluginSet) -> list[ProviderInfo]:
    """Every installed provider, by name."""
    return [describe(name, c) for name, c in sorted(plugins.resource_providers.items())]


def _in_thread(call: Callable[[], Iterable[object]]) -> asyncio.Future[tuple[object, ...]]:
    """Run a blocking call in a daemon thread; the future gets its records or its exception."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[tuple[object, ...]] = loop.create_future()

    def settle(result: tuple[object, ...] | None, error: BaseException | None) -> None:
        if future.done():  # cut off already: nobody waits for this answer any more
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or ())

    def run() -> None:
        try:
            records = tuple(call())
        except BaseException as error:  # a provider's failure travels to the caller
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, None, error)
            return
        with contextlib.suppress(RuntimeError):  # the loop closed while it took its time
            loop.call_soon_threadsafe(settle, records, None)

    threading.Thread(target=run, name="resource-provider", daemon=True).start()
    return future


async def _records(method: Callable[..., Any], args: tuple[Any, ...]) -> tuple[object, ...]:
    if inspect.iscoroutinefunction(method):
        result = await method(*args)
        if hasattr(result, "__aiter__"):
            return tuple([item async for item in result])
        return tuple(result)
    return await _in_thread(lambda: method(*args))


async def _ask(
    name: str,
    contribution: Contribution[ResourceProvider],
    method_name: str,
    args: tuple[Any, ...],
    timeout: float,
) -> Answer:
    started = time.monotonic()
    plugin = contribution.plugin

    def took() -> float:
        return round(time.monotonic() - started, 3)

    try:
        method = getattr(contribution.item, method_name)
        records = await asyncio.wait_for(_records(method, args), timeout)
    except TimeoutError:
        message = f"no answer within {timeout:g} seconds"
        log.error("resource provider %s (plugin %s) %s: %s", name, plugin, method_name, message)
        return Answer(name, plugin, Outcome.TIMED_OUT, message=message, seconds=took())
    except Exception as error:  # a provider's bug or outage is reported, never raised
        log.error(
            "resource provider %s (plugin %s) failed in %s: %r", name, plugin, method_name, error
        )
        message = f"{type(error).__name__}: {error}"[:500]
        return Answer(name, plugin, Outcome.FAILED, message=message, seconds=took())
    return Answer(name, plugin, Outcome.ANSWERED, records=records, seconds=took())


async def ask_all(
    providers: Sequence[tuple[str, Contribution[ResourceProvider]]],
    method_name: str,
    args: tuple[Any, ...],
    timeout: float,
) -> list[Answer]:
    """Call ``method_name(*args)`` on every provider at once; answers in the order given."""
    return list(
        await asyncio.gather(
            *(_ask(name, item, method_name, args, timeout) for name, item in providers)
        )
    )
