"""How graph/fast_fields.py completes a plain field (`plan_for`), decided once per field."""

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
    # String or ID: a str value is its own serialization.
    str_leaf: bool
    obj: GraphQLObjectType | None
    # A list of scalars or enums (`[Scenario!]!`): its item type, completed the same way.
    items: GraphQLLeafType | None
    # A list of objects (`[MissionReport!]!`): the item type as declared (an item's
    # error is located against it) and its object type.
    item_type: GraphQLOutputType | None
    item_obj: GraphQLObjectType | None
    # For a strawberry enum: the python enum and each member value's GraphQL name.
    enum_class: type[Enum]
    enum_names: dict[Any, str]


class _NotAnEnum(Enum):
    """The enum_class of a field that is no enum: no value is one of its members."""


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
    enum_class, enum_names = _enum_lookup(leaf or items)
    return FieldPlan(
        definition.python_name,
        definition.default_resolver,
        non_null,
        leaf,
        leaf is not None and leaf.serialize in (serialize_string, serialize_id),
        obj,
        items,
        item_type if item_obj is not None else None,
        item_obj,
        enum_class,
        enum_names,
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
