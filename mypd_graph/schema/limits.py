"""Bounds on what one GraphQL document may ask for, checked in one linear pass before validation.

A document is refused when it is too large (more selections or fragment spreads than a sane client
sends), too deep, has too many aliases, or costs too much: every field costs 1 and a field that
takes ``first`` multiplies the cost of what it selects by the page size asked for (its default when
absent, the maximum when it comes from a variable), so a shallow query that multiplies pages
(``teachers(first: 100) { students(first: 100) { results } }``) is refused too.

**Why one pass, and before validation.** Validation runs on the event loop. A rule that walks a
fragment again at every spread is exponential in the document: 23 fragments each spreading the
next twice (884 bytes) took 24 s, and at 25 levels 13 minutes, with nothing else served meanwhile.
Here each fragment's depth, aliases and cost are measured once and reused at every spread
(:class:`DocumentMeasure`), and a document over the size bounds is refused before anything walks
it, the standard validation rules included. Text that no database can store (NUL bytes, unpaired
surrogates) is refused here too, in literals and variables alike, before any resolver sees it.
The schema extension that runs these checks, and keeps the documents that pass them, is
:class:`mypd_graph.schema.documents.CachedDocuments`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    get_named_type,
    visit,
)
from graphql.language.visitor import BREAK

from mypd_graph.services.common import MAX_PAGE_SIZE


@dataclass(frozen=True)
class DocumentLimits:
    max_depth: int
    max_aliases: int
    max_cost: int
    max_selections: int
    max_fragment_spreads: int


@dataclass(frozen=True, slots=True)
class Measure:
    """What a selection set asks for: its depth, its aliases and its cost, spreads expanded."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0


def count_nodes(document: DocumentNode) -> tuple[int, int]:
    """(selections, fragment spreads) written in the document, each node counted once."""
    selections = spreads = 0
    stack: list[SelectionSetNode] = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while stack:
        for selection in stack.pop().selections:
            selections += 1
            if isinstance(selection, FragmentSpreadNode):
                spreads += 1
            elif selection.selection_set is not None:
                stack.append(selection.selection_set)
    return selections, spreads


def _page_size(field: FieldNode, definition: Any) -> int:
    if "first" not in definition.args:
        return 1
    for argument in field.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return MAX_PAGE_SIZE  # a variable: assume the worst
    default = definition.args["first"].default_value
    return default if isinstance(default, int) and default > 0 else MAX_PAGE_SIZE


class DocumentMeasure:
    """Measures selection sets, each fragment definition once (``walks`` counts the walks).

    Spreads of a fragment that is being measured (a cycle, which validation refuses later) and of
    unknown fragments count as nothing; unknown fields cost 1, as validation reports them anyway.
    """

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.measured: dict[str, Measure] = {}
        self.walks: dict[str, int] = {}
        self._open: set[str] = set()

    def fragment(self, name: str) -> Measure:
        if name in self.measured:
            return self.measured[name]
        definition = self.fragments.get(name)
        if definition is None or name in self._open:
            return Measure()
        self._open.add(name)
        self.walks[name] = self.walks.get(name, 0) + 1
        parent = self.schema.get_type(definition.type_condition.name.value)
        measure = self.selection_set(definition.selection_set, parent)
        self._open.discard(name)
        self.measured[name] = measure
        return measure

    def selection_set(self, selection_set: SelectionSetNode | None, parent: Any) -> Measure:
        depth = aliases = cost = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                inner = self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                typed = self.schema.get_type(condition.name.value) if condition else parent
                inner = self.selection_set(selection.selection_set, typed)
            else:
                inner = self.fragment(selection.name.value)
            depth = max(depth, inner.depth)
            aliases += inner.aliases
            cost += inner.cost
        return Measure(depth, aliases, cost)

    def _field(self, field: FieldNode, parent: Any) -> Measure:
        alias = 1 if field.alias else 0
        if field.name.value.startswith("__"):  # introspection: no depth, as Strawberry counted
            return Measure(0, alias, 1)
        fields = getattr(parent, "fields", None)
        definition = fields.get(field.name.value) if fields is not None else None
        child = get_named_type(definition.type) if definition is not None else None
        if not isinstance(child, GraphQLObjectType | GraphQLInterfaceType):
            child = None
        inner = self.selection_set(field.selection_set, child) if field.selection_set else None
        if inner is None:
            return Measure(0, alias, 1)
        size = _page_size(field, definition) if definition is not None else 1
        return Measure(1 + inner.depth, alias + inner.aliases, 1 + size * inner.cost)


def _root(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Any:
    return {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]


def _error(message: str, code: str, node: Node | None = None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code})


def check_document(
    schema: GraphQLSchema, document: DocumentNode, limits: DocumentLimits
) -> GraphQLError | None:
    """The first bound the document breaks, or None. Linear in the document's size."""
    selections, spreads = count_nodes(document)
    if selections > limits.max_selections or spreads > limits.max_fragment_spreads:
        return _error(
            f"the document has {selections} selections and {spreads} fragment spreads; at most "
            f"{limits.max_selections} and {limits.max_fragment_spreads} are allowed",
            "DOCUMENT_TOO_LARGE",
        )
    measure = DocumentMeasure(schema, document)
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        found = measure.selection_set(operation.selection_set, _root(schema, operation))
        name = operation.name.value if operation.name else "anonymous"
        if found.depth > limits.max_depth:
            return _error(
                f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                "QUERY_TOO_DEEP",
                operation,
            )
        if found.aliases > limits.max_aliases:
            return _error(
                f"{found.aliases} aliases found. Allowed: {limits.max_aliases}",
                "TOO_MANY_ALIASES",
                operation,
            )
        if found.cost > limits.max_cost:
            return _error(
                f"query cost {found.cost} exceeds the maximum of {limits.max_cost}: ask for "
                "smaller pages (first) or fewer nested lists",
                "QUERY_TOO_COSTLY",
                operation,
            )
    return None


# Text no database can store: PostgreSQL refuses NUL, and neither driver encodes a lone surrogate.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BAD_TEXT = "text must not contain NUL bytes or unpaired surrogates"


def _bad_variable(value: object, path: list[str]) -> list[str] | None:
    """The path of the first unstorable string in a variable's value (a linear walk), if any."""
    stack: list[tuple[object, list[str]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str) and _UNSTORABLE.search(item):
            return where
        if isinstance(item, dict):
            stack.extend((inner, [*where, str(key)]) for key, inner in item.items())
        elif isinstance(item, list):
            stack.extend((inner, [*where, str(index)]) for index, inner in enumerate(item))
    return None


def check_variables(variables: dict[str, object] | None) -> GraphQLError | None:
    """Refuse, with the place named, a variable no database can store (checked per request)."""
    for key, value in (variables or {}).items():
        where = _bad_variable(value, [key])
        if where is not None:
            error = _error(f"{_BAD_TEXT} (${'.'.join(where)})", "BAD_TEXT")
            error.extensions["field"] = where
            return error
    return None


def check_literals(document: DocumentNode) -> GraphQLError | None:
    """Refuse a string literal no database can store (checked once per document text)."""
    found: list[StringValueNode] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: object) -> object:
            if _UNSTORABLE.search(node.value):
                found.append(node)
                return BREAK
            return None

    visit(document, Strings())
    return _error(_BAD_TEXT, "BAD_TEXT", found[0]) if found else None


def check_text(document: DocumentNode, variables: dict[str, object] | None) -> GraphQLError | None:
    """Refuse, with the place named, a string literal or variable no database can store."""
    return check_variables(variables) or check_literals(document)
