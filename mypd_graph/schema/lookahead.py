"""Resolving the dashboard's branches without a coroutine per field.

:func:`selects` tells what a query asks for below the field being resolved, so that a loader can
read a whole branch (a teacher's plans with their goals and elements) in one batch and the fields
below answer from memory instead of each awaiting a loader of its own. :func:`then` maps a
loader's future without a coroutine: graphql-core gathers what a resolver returns, and gathering
a coroutine schedules a task, a future none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types import Info

T = TypeVar("T")
U = TypeVar("U")


def selects(info: Info[Any, Any], *path: str) -> bool:
    """Whether the field being resolved selects the fields ``path`` below it, through fragments
    too: ``selects(info, "goals", "elements")`` in ``Teacher.plans``. A directive that skips the
    field still counts (the branch is read and not shown, never the other way round)."""
    raw = info._raw_info
    nodes: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        nodes = [
            field
            for node in nodes
            for field in _fields(node.selection_set, raw.fragments)
            if field.name.value == name
        ]
        if not nodes:
            return False
    return True


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, Any]
) -> Iterable[FieldNode]:
    """The fields of a selection set, fragments expanded (validation refused cycles)."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from _fields(fragments[selection.name.value].selection_set, fragments)


def then(future: asyncio.Future[T], convert: Callable[[T], U]) -> asyncio.Future[U]:
    """A future of ``convert(result)``: ``convert`` runs when ``future`` is done; an error of
    either is the new future's error."""
    mapped: asyncio.Future[U] = future.get_loop().create_future()

    def done(source: asyncio.Future[T]) -> None:
        if mapped.done():
            return
        if source.cancelled():
            mapped.cancel()
            return
        error = source.exception()
        if error is not None:
            mapped.set_exception(error)
            return
        try:
            mapped.set_result(convert(source.result()))
        except Exception as failure:  # noqa: BLE001  # the resolver's error, reported as such
            mapped.set_exception(failure)

    future.add_done_callback(done)
    return mapped
