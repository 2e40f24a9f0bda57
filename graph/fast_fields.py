"""Plain attribute fields without graphql-core's per-field machinery.

Most fields of our types are attributes of a dataclass (strawberry's "basic" fields:
no resolver, no arguments, no field extensions). graphql-core still builds a
GraphQLResolveInfo for each, calls strawberry's wrapper around `getattr`, and walks
`complete_value` through NonNull to the leaf: that was half of the dashboard's
server CPU (20 reports x 10 fields). Here such a field is read with strawberry's own
default resolver and completed directly:

- a scalar or enum value is coerced by its type, as `complete_leaf_value` does (an
  enum member by a dict lookup instead of strawberry's scan of every value);
- an object value runs its sub-selection, when its type has no `is_type_of` check;
- null for a non-null field raises graphql-core's own error, located the same way.

Anything else (resolvers, arguments, lists, abstract types, awaitable or exception
values, schema-wide middleware) takes graphql-core's ordinary path, so answers and
errors are the same; tests/unit/test_fast_fields.py compares the two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined, UndefinedType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.field import StrawberryField

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


class _Plan(NamedTuple):
    attribute: str
    read: Callable[[Any, str], Any]
    non_null: bool
    leaf: GraphQLLeafType | None
    obj: GraphQLObjectType | None
    # A list of scalars or enums (`[Scenario!]!`): its item type, completed the same way.
    items: GraphQLLeafType | None
    # For a strawberry enum: the python enum and each member value's GraphQL name.
    enum_class: type[Enum]
    enum_names: dict[Any, str]


class _NotAnEnum(Enum):
    """The enum_class of a field that is no enum: no value is one of its members."""


def plan_for(field_def: GraphQLField) -> _Plan | None:
    """How to read a field directly, or None when it needs the ordinary path."""
    definition = (field_def.extensions or {}).get(_DEFINITION)
    resolver = field_def.resolve
    if (
        not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        # strawberry marks the resolver it made for a basic field with no
        # exception handlers; any other resolver does more than read the attribute.
        or not getattr(resolver, "_is_default", False)
        or field_def.args
        or definition.python_name is None
    ):
        return None
    field_type: Any = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    inner: Any = field_type.of_type if non_null else field_type
    leaf = inner if is_leaf_type(inner) else None
    obj = inner if isinstance(inner, GraphQLObjectType) and not inner.is_type_of else None
    items = None
    if isinstance(inner, GraphQLList):
        item = inner.of_type
        item = item.of_type if isinstance(item, GraphQLNonNull) else item
        items = item if is_leaf_type(item) else None
    if leaf is None and obj is None and items is None:
        return None  # lists of objects, interfaces, unions, objects with is_type_of
    enum_class, enum_names = _enum_lookup(leaf or items)
    return _Plan(
        definition.python_name,
        definition.default_resolver,
        non_null,
        leaf,
        obj,
        items,
        enum_class,
        enum_names,
    )


def _enum_lookup(inner: Any) -> tuple[type[Enum], dict[Any, str]]:
    if not isinstance(inner, CustomGraphQLEnumType) or not isinstance(inner, GraphQLEnumType):
        return _NotAnEnum, {}
    names: dict[Any, str] = {}
    try:
        for name, value in inner.values.items():
            names.setdefault(value.value, name)  # the first name wins, as in strawberry's scan
    except TypeError:  # an unhashable value: keep strawberry's scan
        return _NotAnEnum, {}
    wrapped: Any = inner.wrapped_cls  # strawberry types it as EnumMeta
    return wrapped, names


class FastFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # Plans by field (the field is kept alongside, so its id is never reused).
    _plans: dict[int, tuple[GraphQLField, _Plan | None]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # strawberry passes a manager with no middleware unless an extension hooks
        # every resolve; with one, every field must go through it.
        self._direct = manager is None or not manager.middlewares
        # Without the directive in the schema no list can be streamed (validation
        # refuses an unknown directive), so lists complete at once.
        self._no_stream = self.schema.get_directive("stream") is None

    def _plan(self, field_def: GraphQLField) -> _Plan | None:
        found = self._plans.get(id(field_def))
        if found is None:
            found = (field_def, plan_for(field_def))
            self._plans[id(field_def)] = found
        return found[1]

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any | UndefinedType:
        node = field_details_list[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        plan = self._plan(field_def) if field_def and self._direct else None
        if plan is None or node.arguments:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        assert field_def is not None
        try:
            result = plan.read(source, plan.attribute)
            if isinstance(result, Exception):
                raise result
            if self.is_awaitable(result):
                return self._complete_generic(
                    parent_type, field_def, field_details_list, path, result, position_context
                )
            if result is None or result is Undefined:
                if plan.non_null:
                    raise TypeError(
                        "Cannot return null for non-nullable field"
                        f" {parent_type}.{node.name.value}."
                    )
                return None
            if plan.leaf is not None:
                if isinstance(result, plan.enum_class):
                    name = plan.enum_names.get(result.value)
                    if name is not None:
                        return name
                return self.complete_leaf_value(plan.leaf, result)
            if plan.items is not None:
                completed_items = self._leaf_list(plan, plan.items, result)
                if completed_items is None:  # anything unusual: graphql-core's own path
                    return self._complete_generic(
                        parent_type, field_def, field_details_list, path, result, position_context
                    )
                return completed_items
            assert plan.obj is not None
            completed = self.collect_and_execute_subfields(
                plan.obj, field_details_list, path, result, position_context
            )
            if self.is_awaitable(completed):
                return self._await_completed(completed, field_def, field_details_list, path)
            return completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_def.type, field_details_list, path)
            return None

    def _leaf_list(self, plan: _Plan, item_type: GraphQLLeafType, items: Any) -> list[Any] | None:
        """The completed items, or None when any item needs graphql-core's handling
        (null, an error, an awaitable, a value its type refuses, a stream)."""
        if not self._no_stream or (type(items) is not list and type(items) is not tuple):
            return None
        names, enum_class = plan.enum_names, plan.enum_class
        completed = []
        for item in items:
            if isinstance(item, enum_class):
                name = names.get(item.value)
                if name is None:
                    return None
                completed.append(name)
                continue
            if item is None or isinstance(item, Exception) or self.is_awaitable(item):
                return None
            try:
                completed.append(self.complete_leaf_value(item_type, item))
            except Exception:
                return None
        return completed

    def _complete_generic(
        self,
        parent_type: GraphQLObjectType,
        field_def: GraphQLField,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """What graphql-core's execute_field does with a resolved value (errors are
        handled by the caller's except, as there)."""
        return_type = field_def.type
        nodes = [details.node for details in field_details_list]
        info = self.build_resolve_info(field_def, nodes, parent_type, path)
        if self.is_awaitable(result):
            return self.complete_awaitable_value(
                return_type, field_details_list, info, path, result, position_context
            )
        completed = self.complete_value(
            return_type, field_details_list, info, path, result, position_context
        )
        if self.is_awaitable(completed):
            return self._await_completed(completed, field_def, field_details_list, path)
        return completed

    async def _await_completed(
        self,
        completed: Awaitable[Any],
        field_def: GraphQLField,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_def.type, field_details_list, path)
            return None
