"""An event's result without graphql-core's executor, when the document allows it.

Per event the light path (graph/light_subscriptions.py) ran graphql-core's
execute_operation: collect the root field, resolve the union member, check its
`is_type_of`, collect the member's fields, then a Path and a completion per field
(about a third of the API's CPU per webhook, benchmarks/README.md "h/framefast"). For
one document and the variables its directives read, all of that but the values is the
same for every event of one member: here it is decided once, as a program per member's
Python class, (response name, how to read and complete the value) per selected field.

Fields are collected by graphql-core's own collect_fields / collect_subfields, with the
operation's fragments and coerced variables (so aliases, fragments, __typename and
@include/@skip are its), and values completed by graph/field_plans.py's
`leaf_completion`, the rule graph/fast_fields.py completes a plain field by, so a
program's result is the executor's. Whatever a program cannot answer that way gives
None, and the event runs on the executor, which also makes any error:
- a member whose selection holds a field that is no plain attribute (the completed
  event's `report`, read when delivered: a resolver), has arguments, is a list, an
  interface or a union, or is deferred: every event of that member;
- a value the plain completion does not expect (null for a non-null field, an
  exception, an awaitable, an object of another class, a value its scalar refuses):
  that event.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from graphql import (
    Executor,
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    Visitor,
    visit,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields
from graphql.language import DirectiveNode, DocumentNode, VariableNode
from graphql.pyutils import Undefined
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.cast import get_strawberry_type_cast
from strawberry.types.field import StrawberryField

from graph.field_plans import NOT_PLAIN, plan_for

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF

# What one selected field is: (response name, kind, attribute reader, attribute,
# non-null, detail). The kinds and their details:
_TYPENAME = 0  # the member's name
_LEAF = 1  # its completion (FieldPlan.complete_leaf)
_OBJECT = 2  # (the object's Python class, its program)
_Entry = tuple[str, int, Callable[[Any, str], Any], str, bool, Any]
_Program = tuple[_Entry, ...]


class _NotPlain(Exception):
    """A value the program does not complete as the executor would."""


class CompiledEvents:
    """One document's programs: each event member's, by its Python class."""

    __slots__ = ("_by_class", "_document", "_key")

    def __init__(self, document: DocumentNode, key: str, by_class: dict[type, _Program]) -> None:
        self._document = document  # kept: the cache is keyed by its id
        self._key = key
        self._by_class = by_class

    def data(self, event: Any) -> dict[str, Any] | None:
        """The result's data for the event (a graph/event_types.py object), or None
        when the executor must make it."""
        program = self._by_class.get(type(event))
        if program is None or get_strawberry_type_cast(event) is not None:
            return None
        try:
            return {self._key: _run(program, event)}
        except Exception:  # _NotPlain, or an attribute's reader raising: the executor's
            return None


def _run(program: _Program, source: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, kind, read, attribute, non_null, detail in program:
        if kind == _TYPENAME:
            result[name] = detail
            continue
        value = read(source, attribute)
        if value is None:
            if non_null:
                raise _NotPlain
            result[name] = None
        elif kind == _LEAF:
            completed = detail(value)
            if completed is NOT_PLAIN:
                raise _NotPlain
            result[name] = completed
        else:
            cls, sub_program = detail
            if type(value) is not cls:
                raise _NotPlain
            result[name] = _run(sub_program, value)
    return result


class CompiledEventsCache:
    """Programs shared by the subscriptions of one document, operation and values of
    the variables its directives read: thousands of clients send the same few."""

    MAX_ENTRIES = 256

    def __init__(self) -> None:
        # Each keyed by a document's id, the document kept alongside (so the id is not
        # reused while it is): the variables its directives read; the programs.
        self._directive_variables: dict[int, tuple[DocumentNode, tuple[str, ...]]] = {}
        self._compiled: dict[Hashable, tuple[DocumentNode, CompiledEvents | None]] = {}

    def get(
        self, executor: Executor[Any], document: DocumentNode, name: str | None
    ) -> CompiledEvents | None:
        """The programs for the executor's operation (one built with no root value)."""
        read = self._directive_variables.get(id(document))
        if read is None or read[0] is not document:
            read = (document, _directive_variables(document))
            _bounded(self._directive_variables)[id(document)] = read
        coerced = executor.variable_values.coerced
        key = (id(document), name, tuple(coerced.get(v, Undefined) for v in read[1]))
        try:
            found = self._compiled.get(key)
        except TypeError:  # an unhashable value: compiled for this subscription only
            return compile_events(executor, document)
        if found is None or found[0] is not document:
            found = (document, compile_events(executor, document))
            _bounded(self._compiled)[key] = found
        return found[1]


def _bounded(cache: dict[Any, Any]) -> dict[Any, Any]:
    if len(cache) >= CompiledEventsCache.MAX_ENTRIES:
        cache.clear()
    return cache


class _DirectiveVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                self.names.add(argument.value.name.value)


def _directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables that decide a directive (@include, @skip) anywhere in the document."""
    visitor = _DirectiveVariables()
    visit(document, visitor)
    return tuple(sorted(visitor.names))


def compile_events(executor: Executor[Any], document: DocumentNode) -> CompiledEvents | None:
    """The programs of the executor's subscription, or None when its one root field is
    no strawberry subscription of a union or no member can have one."""
    schema = executor.schema
    root_type = schema.subscription_type
    if root_type is None:
        return None
    try:
        grouped, defer_usages, _ = collect_fields(
            schema, executor.fragments, executor.variable_values, root_type, executor.operation
        )
    except GraphQLError:  # e.g. @skip(if: null): the executor's error, for each event
        return None
    if defer_usages or len(grouped) != 1:
        return None
    ((key, details),) = grouped.items()
    field_def = schema.get_field(root_type, details[0].node.name.value)
    definition = (field_def.extensions or {}).get(_DEFINITION) if field_def else None
    # strawberry resolves a subscription field's event as itself.
    if not isinstance(definition, StrawberryField) or not definition.is_subscription:
        return None
    assert field_def is not None
    union: Any = field_def.type
    if isinstance(union, GraphQLNonNull):
        union = union.of_type
    if not isinstance(union, GraphQLUnionType) or not _plain_details(details):
        return None
    classes = {member: _origin(member) for member in union.types}
    by_class: dict[type, _Program] = {}
    for member, cls in classes.items():
        # strawberry's union resolves an event to the first member it is an instance
        # of: a class under another member's is left to the executor.
        if cls is None or any(
            other is not cls and other is not None and issubclass(cls, other)
            for other in classes.values()
        ):
            continue
        program = _program(executor, member, details)
        if program is not None:
            by_class[cls] = program
    return CompiledEvents(document, key, by_class) if by_class else None


def _program(
    executor: Executor[Any], obj: GraphQLObjectType, details: FieldDetailsList
) -> _Program | None:
    try:
        grouped, defer_usages, _ = executor.collect_subfields(obj, details)
    except GraphQLError:
        return None
    if defer_usages:
        return None
    entries: list[_Entry] = []
    for name, field_details in grouped.items():
        node = field_details[0].node
        if not _plain_details(field_details) or node.arguments:
            return None
        if node.name.value == "__typename":
            entries.append((name, _TYPENAME, getattr, "", True, obj.name))
            continue
        field_def = executor.schema.get_field(obj, node.name.value)
        if field_def is None:
            continue  # not in the schema: left out, as graphql-core does
        plan = plan_for(field_def)
        if plan is None:
            return None
        if plan.leaf is not None:
            kind: int = _LEAF
            detail: Any = plan.complete_leaf
        elif plan.obj is not None:
            cls = _origin(plan.obj)
            sub_program = _program(executor, plan.obj, field_details)
            if cls is None or sub_program is None:
                return None
            kind, detail = _OBJECT, (cls, sub_program)
        else:
            return None  # a list
        entries.append((name, kind, plan.read, plan.attribute, plan.non_null, detail))
    return tuple(entries)


def _plain_details(details: FieldDetailsList) -> bool:
    """No deferred fragment and no fragment arguments (experimental) reach the field."""
    return all(d.defer_usage is None and d.fragment_variable_values is None for d in details)


def _origin(obj: GraphQLObjectType) -> type | None:
    """The Python class of a strawberry object type."""
    definition = (obj.extensions or {}).get(_DEFINITION)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) else None
