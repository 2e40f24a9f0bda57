"""How a plain field is read and completed (`plan_for`), decided once per field, with
the one rule completing its scalar or enum values (`leaf_completion`) that
graph/fast_fields.py (queries, subscriptions) and graph/compiled_events.py (events)
both use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple
from uuid import UUID

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from graphql.pyutils import Undefined
from graphql.type.scalars import serialize_id, serialize_string
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.field import StrawberryField

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
# What a directly completed field gives when it needs no awaiting: checked by exact
# type first, so the awaitable check runs only for anything else.
COMPLETED_TYPES = frozenset({str, int, float, bool, dict, list, type(None)})
# Leaf values of these exact types are no exception, null or awaitable.
PLAIN_LEAF_VALUES = frozenset({str, int, float, bool, datetime, date, time, Decimal, UUID})


class FieldPlan(NamedTuple):
    attribute: str
    read: Callable[[Any, str], Any]
    non_null: bool
    leaf: GraphQLLeafType | None
    # The value's completion: the leaf's `leaf_completion`, else NOT_PLAIN for any value.
    complete_leaf: Callable[[Any], Any]
    obj: GraphQLObjectType | None
    # A list of scalars or enums (`[Scenario!]!`): its item type and their completion.
    items: GraphQLLeafType | None
    complete_item: Callable[[Any], Any]
    # A list of objects (`[MissionReport!]!`): the item type as declared (an item's
    # error is located against it) and its object type.
    item_type: GraphQLOutputType | None
    item_obj: GraphQLObjectType | None


class NotPlain:
    """What a leaf completion gives for a value the executor must complete."""

    __slots__ = ()


NOT_PLAIN = NotPlain()


def leaf_completion(leaf_type: GraphQLLeafType) -> Callable[[Any], Any]:
    """The completion of the type's values: a value as graphql-core's
    complete_leaf_value gives it, or NOT_PLAIN when that needs the executor (null, an
    exception, an awaitable, a value of no plain type, one the type refuses: the
    executor then makes the error; the completion never raises). A str for String or
    ID is itself; an enum member its name by a dict lookup (strawberry scans every
    value). Made once per field: the function's own variables are quicker to read
    than a plan's fields."""
    coerce = leaf_type.coerce_output_value
    str_is_itself = coerce in (serialize_string, serialize_id)
    enum_class, enum_names = _enum_lookup(leaf_type)

    def complete_leaf(value: Any) -> Any:
        kind = type(value)
        if kind is str and str_is_itself:
            return value
        try:
            if isinstance(value, enum_class):
                # `_value_` is what `.value` returns, without its descriptor's call.
                return enum_names.get(value._value_, NOT_PLAIN)
            if kind in PLAIN_LEAF_VALUES:
                coerced = coerce(value)
                if coerced is not None and coerced is not Undefined:
                    return coerced
        except Exception:  # refused: the executor's error
            pass
        return NOT_PLAIN

    return complete_leaf


def _not_a_leaf(value: Any) -> Any:
    return NOT_PLAIN  # an object's or a list's value: completed by the caller's own path


class _NotAnEnum(Enum):
    """The enum class of a type that is no enum: no value is one of its members."""


def plan_for(field_def: GraphQLField) -> FieldPlan | None:
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
    obj = _plain_object(inner)
    items = item_type = item_obj = None
    if isinstance(inner, GraphQLList):
        item_type = inner.of_type
        item: Any = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        items = item if is_leaf_type(item) else None
        item_obj = _plain_object(item)
    if leaf is None and obj is None and items is None and item_obj is None:
        return None  # lists of lists, interfaces, unions, objects with is_type_of
    return FieldPlan(
        definition.python_name,
        definition.default_resolver,
        non_null,
        leaf,
        leaf_completion(leaf) if leaf is not None else _not_a_leaf,
        obj,
        items,
        leaf_completion(items) if items is not None else _not_a_leaf,
        item_type if item_obj is not None else None,
        item_obj,
    )


def _plain_object(graphql_type: Any) -> GraphQLObjectType | None:
    if isinstance(graphql_type, GraphQLObjectType) and not graphql_type.is_type_of:
        return graphql_type
    return None


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
    if hasattr(wrapped, "__await__"):  # its members would need the awaitable check
        return _NotAnEnum, {}
    return wrapped, names
