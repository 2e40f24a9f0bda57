"""Validation rules bounding an operation's depth, aliases and cost.

Each counts a fragment once, wherever it is spread. Strawberry's QueryDepthLimiter
and MaxAliasesLimiter expand every spread: thirty fragments each spreading the next
twice (1.5 KB of query, 2**30 paths) held the event loop indefinitely, and a spread
of an unknown fragment raised KeyError out of the depth limiter.

Depth and alias limits alone still let 15 aliased `missionReports(first: 100)` turn
a 4 KB request into a 5 MB answer. The cost of an operation is the number of values
its answer can hold: each field counts once per item of every list around it. A
field with a `first` argument returns that many items (clamped to the page size, as
the resolver does; the page size when `first` is a variable, since validation runs
before variables are known and is cached per document); the `edges` and `nodes` of
the connection it returns are those items, not a further list. Any other list of
objects counts as ASSUMED_LIST_SIZE items. Introspection (`__schema`, `__type`) is
bounded by graphql-core's own rule and counted by none of these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
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


def create_depth_rule(max_depth: int) -> type[ValidationRule]:
    """The longest chain of fields with selections, per operation."""

    class DepthLimitRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            depth = _Fragments(self.context).depth(node.selection_set)
            if depth > max_depth:
                message = f"'{_name(node)}' exceeds maximum operation depth of {max_depth}"
                self.report_error(GraphQLError(message, node))

    return DepthLimitRule


def create_alias_rule(max_aliases: int) -> type[ValidationRule]:
    """Aliased fields in the whole document (strawberry's rule and message)."""

    class AliasLimitRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            fragments = _Fragments(self.context)
            total = sum(
                fragments.aliases(definition.selection_set)
                for definition in node.definitions
                if isinstance(definition, OperationDefinitionNode)
            )
            if total > max_aliases:
                self.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return AliasLimitRule


def create_cost_rule(max_cost: int, max_page_size: int) -> type[ValidationRule]:
    class CostLimitRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            cost = _Fragments(self.context, max_page_size).cost(node.selection_set, root)
            if cost > max_cost:
                self.report_error(
                    QueryTooCostly(
                        f"'{_name(node)}' asks for up to {cost} values; the limit is {max_cost}. "
                        "Ask for fewer items (a smaller `first`), fewer fields or fewer aliases.",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": max_cost},
                    )
                )

    return CostLimitRule


def _name(node: OperationDefinitionNode) -> str:
    return node.name.value if node.name else "anonymous"


class _Fragments:
    """Walks selections, computing each fragment's measure once (a fragment's depth,
    aliases and cost per item do not depend on where it is spread)."""

    def __init__(self, context: ValidationContext, max_page_size: int = 0) -> None:
        self._context = context
        self._max_page_size = max_page_size
        self._memo: dict[tuple[str, str], int] = {}
        self._in_progress: set[tuple[str, str]] = set()

    def _fragment(self, name: str, measure: str, compute: Callable[[Any], int]) -> int:
        key = (measure, name)
        if key in self._memo:
            return self._memo[key]
        fragment = self._context.get_fragment(name)
        if fragment is None or key in self._in_progress:
            return 0  # unknown or cyclic: graphql-core's own rules report those
        self._in_progress.add(key)
        value = compute(fragment)
        self._in_progress.discard(key)
        self._memo[key] = value
        return value

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        deepest = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.selection_set is None or selection.name.value.startswith("__"):
                    continue
                depth = 1 + self.depth(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                depth = self.depth(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                depth = self._fragment(name, "depth", lambda f: self.depth(f.selection_set))
            else:  # graphql-core has no other kind of selection
                continue
            deepest = max(deepest, depth)
        return deepest

    def aliases(self, selection_set: SelectionSetNode | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += (selection.alias is not None) + self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                total += self._fragment(name, "aliases", lambda f: self.aliases(f.selection_set))
        return total

    def cost(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                typed = self._type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, typed)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, "cost", self._fragment_cost)
        return total

    def _fragment_cost(self, fragment: Any) -> int:
        return self.cost(fragment.selection_set, self._type(fragment.type_condition.name.value))

    def _field_cost(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        if node.name.value.startswith("__"):
            return 0
        definition = None
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            definition = parent.fields.get(node.name.value)
        if definition is None:
            return 1  # unknown field: graphql-core reports it
        items = self._items(node, definition, parent)
        return 1 + items * self.cost(node.selection_set, get_named_type(definition.type))

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
        elif isinstance(value, IntValueNode) and len(value.value) < 12:
            first = int(value.value)
        else:
            first = self._max_page_size  # a variable, null (the default) or a huge literal
        return max(0, min(first, self._max_page_size))

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self._context.schema.get_type(name)
