"""A validation rule bounding how much an operation can ask for.

Depth and alias limits alone let 15 aliased `missionReports(first: 100)` turn
a 4 KB request into a 5 MB answer. The cost of an operation is the number of
values its answer can hold: each field counts once per item of every list
around it. A field with a `first` argument returns that many items (clamped
to the page size, as the resolver does; the page size when `first` is a
variable, since validation runs before variables are known and is cached per
document); the `edges` and `nodes` of the connection it returns are those
items, not a further list. Any other list of objects counts as
ASSUMED_LIST_SIZE items. Introspection (`__schema`, `__type`) is bounded by
graphql-core's own rule and not counted.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_composite_type,
)

ASSUMED_LIST_SIZE = 10


class QueryTooCostly(GraphQLError):
    pass


def create_cost_rule(max_cost: int, max_page_size: int) -> type[ValidationRule]:
    class CostLimitRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            counter = _CostCounter(self.context, max_page_size)
            cost = counter.selection_cost(node.selection_set, _root_type(self.context, node))
            if cost > max_cost:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    QueryTooCostly(
                        f"'{name}' asks for up to {cost} values; the limit is {max_cost}. "
                        "Ask for fewer items (a smaller `first`), fewer fields or fewer aliases.",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": max_cost},
                    )
                )

    return CostLimitRule


def _root_type(
    context: ValidationContext, node: OperationDefinitionNode
) -> GraphQLNamedType | None:
    return context.schema.get_root_type(node.operation)


class _CostCounter:
    def __init__(self, context: ValidationContext, max_page_size: int) -> None:
        self._context = context
        self._max_page_size = max_page_size
        # A fragment costs the same wherever it is spread: counting it once keeps
        # fragments that spread each other twice, level after level, linear.
        self._fragment_costs: dict[str, int] = {}
        self._in_progress: set[str] = set()

    def selection_cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                typed = self._type(condition.name.value) if condition else parent
                total += self.selection_cost(selection.selection_set, typed)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment_cost(selection.name.value)
        return total

    def _field_cost(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        if node.name.value.startswith("__"):
            return 0
        definition = None
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            definition = parent.fields.get(node.name.value)
        if definition is None:
            return 1  # unknown field: another rule reports it
        child_type = get_named_type(definition.type)
        items = self._items(node, definition, parent)
        return 1 + items * self.selection_cost(node.selection_set, child_type)

    def _items(self, node: FieldNode, definition: Any, parent: GraphQLNamedType | None) -> int:
        if "first" in definition.args:
            return self._page_size(node, definition.args["first"].default_value)
        if parent is not None and parent.name.endswith("Connection"):
            return 1  # edges and nodes: sized by the `first` that returned the connection
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        if isinstance(field_type, GraphQLList) and is_composite_type(get_named_type(field_type)):
            return ASSUMED_LIST_SIZE
        return 1

    def _page_size(self, node: FieldNode, default: Any) -> int:
        value = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if value is None:
            first = default if isinstance(default, int) else self._max_page_size
        elif isinstance(value, IntValueNode):
            first = int(value.value) if len(value.value) < 12 else self._max_page_size
        else:
            first = self._max_page_size  # a variable (or null: the default, at most this)
        return max(0, min(first, self._max_page_size))

    def _fragment_cost(self, name: str) -> int:
        if name in self._fragment_costs:
            return self._fragment_costs[name]
        fragment = self._context.get_fragment(name)
        if fragment is None or name in self._in_progress:
            return 0  # unknown or cyclic: other rules report those
        self._in_progress.add(name)
        cost = self.selection_cost(
            fragment.selection_set, self._type(fragment.type_condition.name.value)
        )
        self._in_progress.discard(name)
        self._fragment_costs[name] = cost
        return cost

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self._context.schema.get_type(name)
