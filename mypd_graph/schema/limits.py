"""Query cost: a bound on how much work one operation may ask for, checked before it runs.

Depth, aliases and tokens are limited by Strawberry's own extensions; none of them stops a shallow
query that multiplies pages (``teachers(first: 100) { students(first: 100) { results } }``). Here
every field costs 1 and a field that takes ``first`` multiplies the cost of what it selects by the
page size asked for (its default when absent, the maximum when it comes from a variable).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)

from mypd_graph.services.common import MAX_PAGE_SIZE


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


def selection_cost(
    selection_set: SelectionSetNode | None,
    parent: Any,
    schema: Any,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: frozenset[str] = frozenset(),
) -> int:
    if selection_set is None or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            definition = parent.fields.get(selection.name.value)
            if definition is None:  # __typename, or an unknown field other rules report
                total += 1
                continue
            child = get_named_type(definition.type)
            inner = selection_cost(selection.selection_set, child, schema, fragments, visiting)
            total += 1 + _page_size(selection, definition) * inner
        elif isinstance(selection, InlineFragmentNode):
            typed = (
                schema.get_type(selection.type_condition.name.value)
                if selection.type_condition
                else parent
            )
            total += selection_cost(selection.selection_set, typed, schema, fragments, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                continue
            typed = schema.get_type(fragment.type_condition.name.value)
            total += selection_cost(
                fragment.selection_set, typed, schema, fragments, visiting | {name}
            )
    return total


def query_cost_rule(max_cost: int) -> type[ValidationRule]:
    class QueryCostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            schema = self.context.schema
            root = {
                "query": schema.query_type,
                "mutation": schema.mutation_type,
                "subscription": schema.subscription_type,
            }[node.operation.value]
            fragments = {
                definition.name.value: definition
                for definition in self.context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            cost = selection_cost(node.selection_set, root, schema, fragments)
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the maximum of {max_cost}: ask for smaller "
                        "pages (first) or fewer nested lists",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY"},
                    )
                )

    return QueryCostRule
