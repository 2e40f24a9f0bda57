"""Plain attribute fields without graphql-core's per-field machinery.

Most fields of our types are attributes of a dataclass (strawberry's "basic" fields:
no resolver, no arguments, no field extensions). graphql-core still builds a
GraphQLResolveInfo and a response Path for each, calls strawberry's wrapper around
`getattr`, and walks `complete_value` through NonNull to the leaf: that was half of
the dashboard's server CPU (20 reports x 10 fields). Here such a field is read with
strawberry's own default resolver and completed directly:

- a scalar or enum value by graph/field_plans.py's `leaf_completion` (the rule
  graph/compiled_events.py completes events' values by), which gives what
  `complete_leaf_value` does; what it leaves (null, errors, awaitables, refused
  values) is completed here as graphql-core does, with graphql-core's errors;
- an object value runs its sub-selection, when its type has no `is_type_of` check;
- a list of scalars or enums is completed at once, and a list of such objects item
  by item, when every item is an ordinary value (no null, error or awaitable);
- null for a non-null field raises graphql-core's own error, located the same way.

An object's fields are looked up once per selection and execution (`_program`), and
a field's response Path is made only when something needs it (an error, a resolver,
a sub-selection). Anything else (resolvers, arguments, abstract types, awaitable or
exception values, unusual list items, schema-wide middleware) takes graphql-core's
ordinary path, so answers and errors are the same; tests/unit/test_fast_fields.py
compares the two.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLOutputType
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.field_plans import COMPLETED_TYPES, NOT_PLAIN, FieldPlan, plan_for

# One field of a selection: response name, its field nodes, definition (None: not in
# the schema, left out as graphql-core does) and plan (None: the ordinary path).
_Entry = tuple[str, FieldDetailsList, GraphQLField | None, FieldPlan | None]


class FastFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # Plans by field (the field is kept alongside, so its id is never reused).
    _plans: dict[int, tuple[GraphQLField, FieldPlan | None]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # strawberry passes a manager with no middleware unless an extension hooks
        # every resolve; with one, every field must go through it.
        self._direct = manager is None or not manager.middlewares
        # Without the directive in the schema no list can be streamed (validation
        # refuses an unknown directive), so lists complete at once.
        self._no_stream = self.schema.get_directive("stream") is None
        # A selection's entries, for this execution (graphql-core memoizes the grouped
        # field sets per execution; each is kept alongside, so its id is not reused).
        self._programs: dict[int, tuple[GroupedFieldSet, GraphQLObjectType, list[_Entry]]] = {}

    def _plan(self, field_def: GraphQLField) -> FieldPlan | None:
        found = self._plans.get(id(field_def))
        if found is None:
            found = (field_def, plan_for(field_def))
            self._plans[id(field_def)] = found
        return found[1]

    def _program(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> list[_Entry]:
        found = self._programs.get(id(fields))
        if found is not None and found[0] is fields and found[1] is parent_type:
            return found[2]
        entries: list[_Entry] = []
        for response_name, field_details_list in fields.items():
            node = field_details_list[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            plan = self._plan(field_def) if field_def and not node.arguments else None
            entries.append((response_name, field_details_list, field_def, plan))
        self._programs[id(fields)] = (fields, parent_type, entries)
        return entries

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's execute_fields, with plain fields completed in place."""
        if not self._direct:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list, field_def, plan in self._program(
                parent_type, grouped_field_set
            ):
                if field_def is None:
                    continue
                if plan is None:
                    result = super().execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                else:
                    try:
                        value = plan.read(source_value, plan.attribute)
                    except Exception as raw_error:  # then completed as a returned error is
                        value = raw_error
                    # Most values are plain leaves, completed with no call more.
                    result = plan.complete_leaf(value)
                    if result is NOT_PLAIN:
                        result = self._direct_field(
                            plan,
                            value,
                            field_def,
                            parent_type,
                            field_details_list,
                            path,
                            response_name,
                            position_context,
                        )
                results[response_name] = result
                if type(result) not in COMPLETED_TYPES and is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            self._settle_started(results, awaitable_fields)
            raise
        return _all_awaited(results, awaitable_fields)

    def _direct_field(
        self,
        plan: FieldPlan,
        result: Any,
        field_def: GraphQLField,
        parent_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        parent_path: Path | None,
        response_name: Any,
        position_context: Any,
    ) -> Any:
        """What graphql-core's execute_field gives for a plain field whose value (or
        the error reading it) is `result`, when that is no plain leaf (the plan's
        complete_leaf left it); its Path is made from the parent's when needed."""
        path: Path | None = None
        try:
            # First a list of plain leaves, plainly no error, null or awaitable.
            if plan.items is not None and (type(result) is list or type(result) is tuple):
                completed_items = self._leaf_list(plan, result)
                if completed_items is not None:
                    return completed_items
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if plan.non_null:
                    raise TypeError(
                        "Cannot return null for non-nullable field"
                        f" {parent_type}.{field_details_list[0].node.name.value}."
                    )
                return None
            if plan.leaf is not None and not self.is_awaitable(result):
                # What complete_leaf left: graphql-core's value or error.
                return self.complete_leaf_value(plan.leaf, result)
            if path is None:
                path = Path(parent_path, response_name, parent_type.name)
            if self.is_awaitable(result):
                return self._complete_generic(
                    parent_type, field_def, field_details_list, path, result, position_context
                )
            completed: Any = None
            if plan.items is not None:
                completed = self._leaf_list(plan, result)
            elif plan.item_obj is not None:
                completed = self._object_list(
                    plan, field_details_list, path, result, position_context
                )
            elif plan.obj is not None:
                completed = self._object(
                    plan.obj, field_details_list, path, result, position_context
                )
            if completed is None:  # anything unusual: graphql-core's own path
                return self._complete_generic(
                    parent_type, field_def, field_details_list, path, result, position_context
                )
            if type(completed) not in COMPLETED_TYPES and self.is_awaitable(completed):
                return self._await_completed(completed, field_def.type, field_details_list, path)
            return completed
        except Exception as raw_error:
            if path is None:
                path = Path(parent_path, response_name, parent_type.name)
            self.handle_field_error(raw_error, field_def.type, field_details_list, path)
            return None

    def _object(
        self,
        obj: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """complete_object_value for a type without is_type_of, or None for
        graphql-core's path (deferred fragments)."""
        grouped_field_set, defer_usages, _ = self.collect_subfields(obj, field_details_list)
        if defer_usages or position_context is not None:
            return None
        return self.execute_fields(obj, result, path, grouped_field_set, None)

    def _object_list(
        self,
        plan: FieldPlan,
        field_details_list: FieldDetailsList,
        path: Path,
        items: Any,
        position_context: Any,
    ) -> Any:
        """complete_iterable_value for a list of plain objects, or None when any item
        needs graphql-core's handling (null, an error, an awaitable) or the list is
        no list or tuple, streamed or deferred. Decided before any item runs."""
        if (
            not self._no_stream
            or position_context is not None
            or (type(items) is not list and type(items) is not tuple)
        ):
            return None
        is_awaitable = self.is_awaitable
        for item in items:
            if item is None or isinstance(item, Exception) or is_awaitable(item):
                return None
        obj, item_type = plan.item_obj, plan.item_type
        assert obj is not None and item_type is not None
        grouped_field_set, defer_usages, _ = self.collect_subfields(obj, field_details_list)
        if defer_usages:
            return None
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = Path(path, index, None)
                try:
                    value = self.execute_fields(obj, item, item_path, grouped_field_set, None)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    value = None
                else:
                    if type(value) is not dict and is_awaitable(value):
                        value = self._await_completed(
                            value, item_type, field_details_list, item_path
                        )
                        awaitable_indices.append(index)
                completed.append(value)
        except Exception:
            self._settle_started(completed, awaitable_indices)
            raise
        return _all_awaited(completed, awaitable_indices)

    def _leaf_list(self, plan: FieldPlan, items: Any) -> list[Any] | None:
        """The completed items, or None when any item needs graphql-core's handling
        (one the plan's complete_item leaves) or the list is streamed."""
        if not self._no_stream or (type(items) is not list and type(items) is not tuple):
            return None
        complete_item = plan.complete_item
        completed = []
        for item in items:
            value = complete_item(item)
            if value is NOT_PLAIN:
                return None
            completed.append(value)
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
            return self._await_completed(completed, return_type, field_details_list, path)
        return completed

    def _settle_started(self, results: Any, awaitable_keys: list[Any]) -> None:
        """When an error ends a dict or list of `results` midway: the values at
        `awaitable_keys`, already started, settle in the background, as graphql-core's
        execute_fields and complete_iterable_value leave theirs."""
        if awaitable_keys:
            self.settle_in_background([results[key] for key in awaitable_keys])

    async def _await_completed(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None


def _all_awaited(results: Any, awaitable_keys: list[Any]) -> Any:
    """`results` (a dict or list) when nothing in it is awaitable, else an awaitable of
    it with the values at `awaitable_keys` awaited, as graphql-core's execute_fields
    and complete_iterable_value give theirs."""
    if not awaitable_keys:
        return results
    return _gathered(results, awaitable_keys)


async def _gathered(results: Any, awaitable_keys: list[Any]) -> Any:
    if len(awaitable_keys) == 1:
        key = awaitable_keys[0]
        results[key] = await results[key]
    else:
        awaited = await gather_with_cancel(*(results[key] for key in awaitable_keys))
        for key, value in zip(awaitable_keys, awaited, strict=True):
            results[key] = value
    return results
