"""missionEvents and myMissionEvents over graphql-transport-ws, without strawberry's stream.

Strawberry runs a subscription as its `_stream` generator (the extension runner and
its exit stacks), graphql-core's subscription executor and `map_async_iterable` around
the resolver's generator, all kept for the subscription's life: ~17 KiB of an idle
subscription and most of a subscribe's CPU besides the snapshot read
(benchmarks/README.md, "h/perfsub"). Here an operation whose one root field is one of
our two subscriptions, whose document parses and validates and whose variables and
arguments coerce, runs as our stream (graph/streams.py) plus, per event, graphql-core
executing its document with the event as root value: the same execution strawberry's
path does per event, with the same error logging and masking, so the same frames. Most
documents need no executor per event: a program compiled once per document gives the
same result (graph/compiled_events.py), and subscribers who get the same result share
its encoded frame (graph/shared_frames.py).

Anything else (other operations, any error before the stream starts) takes strawberry's
path, which answers it as it always did. SSE and multipart keep strawberry's path.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    default_field_resolver,
    default_type_resolver,
)
from graphql.execution.values import get_argument_values
from strawberry import Schema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation
from strawberry.types import ExecutionResult

from domain.event_log import MissionEvent
from graph.compiled_events import CompiledEvents, CompiledEventsCache
from graph.context import Context, NotAuthenticated
from graph.event_types import event_from_domain
from graph.fast_fields import FastFieldsExecutionContext
from graph.per_tick import PerTick
from graph.schema import GuardedOperation
from graph.shared_frames import SharedFrame
from graph.streams import report_events, user_events
from graph.subscriptions import hang_up_when_too_slow
from infra.auth import Viewer
from infra.publisher import user_channel

# The root fields served here, by their GraphQL names.
REPORT_EVENTS = "missionEvents"
USER_EVENTS = "myMissionEvents"


@dataclass(frozen=True, slots=True)
class LightPlan:
    """What one light subscription keeps: its checked document, its coerced variables
    and arguments, and what each event's executor is made of (built once, not per event:
    `Executor.build` coerced the variables again for every event)."""

    document: Any  # graphql DocumentNode, shared by every operation of the same text
    operation_name: str | None
    field: str
    report_id: str | None
    after_sequence: int | None
    operation: OperationDefinitionNode
    fragment_definitions: dict[str, Any]
    fragments: dict[str, Any]
    variable_values: Any  # graphql-core's coerced VariableValues
    # Who gets the same frame besides the event and the user (see LightPath._frame).
    share_key: Hashable
    # Each event's result without the executor, when the document allows it.
    compiled: CompiledEvents | None


def light_plan(
    guard: GuardedOperation,
    schema: Schema,
    programs: CompiledEventsCache,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> LightPlan | None:
    """The plan for an operation this path serves, or None for strawberry's path."""
    document = guard.checked_document(schema, query)
    if document is None:
        return None
    built = FastFieldsExecutionContext.build(
        schema._schema, document, raw_variable_values=variables, operation_name=operation_name
    )
    if isinstance(built, list):  # no such operation, or variables that do not coerce
        return None
    operation: OperationDefinitionNode = built.operation
    if operation.operation is not OperationType.SUBSCRIPTION or operation.directives:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    node = selections[0]
    field = node.name.value
    root_type = schema._schema.subscription_type
    if node.directives or field not in (REPORT_EVENTS, USER_EVENTS) or root_type is None:
        return None
    try:
        args = get_argument_values(root_type.fields[field], node, built.variable_values)
    except GraphQLError:
        return None
    return LightPlan(
        document,
        operation_name,
        field,
        args.get("reportId"),
        args.get("afterSequence"),
        operation,
        built.fragment_definitions,
        built.fragments,
        built.variable_values,
        (id(document), operation_name, _variables_key(variables)),
        programs.get(built, document, operation_name),
    )


def _variables_key(variables: dict[str, Any] | None) -> Hashable:
    if not variables:
        return None
    try:
        key = tuple(sorted(variables.items()))
        hash(key)
    except TypeError:  # a list or an object among them
        return json.dumps(variables, sort_keys=True)
    return key


class LightPath:
    """The view's light path: its schema, the guard's masking, the results of events
    shared by subscribers who would get the same frame (same event, document,
    variables and user) in one loop iteration (graph/per_tick.py)."""

    def __init__(self, schema: Schema, guard: GuardedOperation) -> None:
        self.schema = schema
        self.guard = guard
        self._shared: PerTick[Hashable, SharedFrame] = PerTick()
        self._programs = CompiledEventsCache()

    def plan(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> LightPlan | None:
        return light_plan(self.guard, self.schema, self._programs, query, variables, operation_name)

    async def serve(
        self,
        context: Context,
        operation: Operation[Context, None],
        plan: LightPlan,
        send_text: Callable[[str], Awaitable[None]],
    ) -> None:
        """The subscription's frames until its stream ends or fails (one last error frame).

        As in strawberry's path: an error of the stream or of an event's execution (not
        found, expired session, slow subscriber) is one `next` with `data: null` and the
        error, logged and masked, sent once the bus subscription is closed; a failed
        send raises out of the operation. An event's frame, once encoded
        (graph/shared_frames.py), goes out through `send_text`, the socket's.
        """
        try:
            viewer = context.require_viewer()
        except NotAuthenticated as exc:
            failure: Exception | None = exc
        else:
            failure = await self._send_events(context, operation, plan, viewer, send_text)
        if failure is not None:
            error = failure if isinstance(failure, GraphQLError) else None
            if error is None:
                error = GraphQLError(str(failure), original_error=failure)
            self.schema._process_errors([error])
            masked = self.guard.masked([error])
            await operation.send_next(ExecutionResult(data=None, errors=masked))

    async def _send_events(
        self,
        context: Context,
        operation: Operation[Context, None],
        plan: LightPlan,
        viewer: Viewer,
        send_text: Callable[[str], Awaitable[None]],
    ) -> Exception | None:
        """One frame per event of the stream; returns what the stream or an execution raised."""
        state = context.state
        async with state.bus.subscribe(user_channel(viewer.user_id)) as subscription:
            hang_up_when_too_slow(subscription, context)
            if plan.field == REPORT_EVENTS:
                report_id = str(plan.report_id)  # ID!: coerced, or the plan refused it
                after = plan.after_sequence
                stream = report_events(state, viewer, report_id, after, subscription)
            else:
                stream = user_events(state, viewer, subscription)
            async with contextlib.aclosing(stream):
                while True:
                    try:
                        event = await anext(stream)
                        context.fresh_loaders()
                        frame = await self._frame(context, plan, viewer, event)
                    except StopAsyncIteration:
                        return None
                    except Exception as exc:  # the frame strawberry's _stream makes of it
                        return exc
                    text = frame.text(operation.id)
                    if text is None:
                        await operation.send_next(frame.result)
                    elif not operation.completed:  # as send_next skips it
                        await send_text(text)

    async def _frame(
        self, context: Context, plan: LightPlan, viewer: Viewer, event: MissionEvent
    ) -> SharedFrame:
        """The event's result and frame, shared with the subscribers who get the same now.

        The same event is the same object: subscribers woken by one bus message share
        its decoding (graph/streams.py). Only a result made without waiting is shared
        (most events: their fields are the event's own); one that reads (a completed
        event's report) is each subscriber's.
        """
        key = (id(event), plan.share_key, viewer.user_id)
        found = self._shared.get(key)
        if found is not None and found.event is event and found.document is plan.document:
            return found
        result, waited = await self._execute(context, plan, event)
        frame = SharedFrame(event, plan.document, result)
        if not waited:
            self._shared.put(key, frame)
        return frame

    async def _execute(
        self, context: Context, plan: LightPlan, event: MissionEvent
    ) -> tuple[ExecutionResult, bool]:
        """The document executed with the event as its root value; and whether it waited.

        The plan's compiled programs make it when they can (graph/compiled_events.py);
        else the executor, what `Executor.build` makes, from the parts the plan kept.
        """
        root = event_from_domain(event)
        if plan.compiled is not None:
            data = plan.compiled.data(root)
            if data is not None:
                return ExecutionResult(data=data, errors=None), False
        executor = FastFieldsExecutionContext(
            self.schema._schema,
            plan.fragment_definitions,
            plan.fragments,
            root,
            context,
            plan.operation,
            plan.variable_values,
            default_field_resolver,
            default_type_resolver,
            default_field_resolver,
        )
        result: Any = executor.execute_operation(False)
        waited = executor.is_awaitable(result)
        if waited:
            result = await result
        assert isinstance(result, GraphQLExecutionResult)
        errors = result.errors
        if errors:
            self.schema._process_errors(errors)
            errors = self.guard.masked(errors)
        return ExecutionResult(data=result.data, errors=errors), waited
