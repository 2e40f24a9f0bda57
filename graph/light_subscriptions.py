"""missionEvents and myMissionEvents over graphql-transport-ws, without strawberry's stream.

Strawberry runs a subscription as its `_stream` generator (the extension runner and
its exit stacks), graphql-core's subscription executor and `map_async_iterable` around
the resolver's generator, all kept for the subscription's life: ~17 KiB of an idle
subscription and most of a subscribe's CPU besides the snapshot read
(benchmarks/README.md, "h/perfsub"). Here an operation whose one root field is one of
our two subscriptions, whose document parses and validates and whose variables and
arguments coerce, runs as our stream (graph/streams.py) plus, per event, graphql-core
executing its document with the event as root value: the same execution strawberry's
path does per event, with the same error logging and masking, so the same frames.

Anything else (other operations, any error before the stream starts) takes strawberry's
path, which answers it as it always did. SSE and multipart keep strawberry's path.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.values import get_argument_values
from strawberry import Schema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation
from strawberry.types import ExecutionResult

from domain.event_log import MissionEvent
from graph.context import Context, NotAuthenticated
from graph.event_types import event_from_domain
from graph.fast_fields import FastFieldsExecutionContext
from graph.schema import GuardedOperation
from graph.streams import report_events, user_events
from graph.subscriptions import hang_up_when_too_slow
from infra.auth import Viewer
from infra.publisher import user_channel

# The root fields served here, by their GraphQL names.
REPORT_EVENTS = "missionEvents"
USER_EVENTS = "myMissionEvents"


@dataclass(frozen=True, slots=True)
class LightPlan:
    """What one light subscription keeps: its checked document and coerced arguments."""

    document: Any  # graphql DocumentNode, shared by every operation of the same text
    operation_name: str | None
    variables: dict[str, Any] | None
    field: str
    report_id: str | None
    after_sequence: int | None


def light_plan(
    guard: GuardedOperation,
    schema: Schema,
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
        variables,
        field,
        args.get("reportId"),
        args.get("afterSequence"),
    )


async def serve(
    schema: Schema,
    guard: GuardedOperation,
    context: Context,
    operation: Operation[Context, None],
    plan: LightPlan,
) -> None:
    """The subscription's frames until its stream ends or fails (one last error frame).

    As in strawberry's path: an error of the stream or of an event's execution (not
    found, expired session, slow subscriber) is one `next` with `data: null` and the
    error, logged and masked, sent once the bus subscription is closed; a failed send
    raises out of the operation.
    """
    try:
        viewer = context.require_viewer()
    except NotAuthenticated as exc:
        failure: Exception | None = exc
    else:
        failure = await _send_events(schema, guard, context, operation, plan, viewer)
    if failure is not None:
        error = failure if isinstance(failure, GraphQLError) else None
        if error is None:
            error = GraphQLError(str(failure), original_error=failure)
        schema._process_errors([error])
        await operation.send_next(ExecutionResult(data=None, errors=guard.masked([error])))


async def _send_events(
    schema: Schema,
    guard: GuardedOperation,
    context: Context,
    operation: Operation[Context, None],
    plan: LightPlan,
    viewer: Viewer,
) -> Exception | None:
    """One frame per event of the stream; returns what the stream or an execution raised."""
    state = context.state
    async with state.bus.subscribe(user_channel(viewer.user_id)) as subscription:
        hang_up_when_too_slow(subscription, context)
        if plan.field == REPORT_EVENTS:
            report_id = str(plan.report_id)  # ID!: coerced, or the plan refused it
            stream = report_events(state, viewer, report_id, plan.after_sequence, subscription)
        else:
            stream = user_events(state, viewer, subscription)
        async with contextlib.aclosing(stream):
            while True:
                try:
                    event = await anext(stream)
                    context.fresh_loaders()
                    result = await _execute(schema, guard, context, plan, event)
                except StopAsyncIteration:
                    return None
                except Exception as exc:  # the frame strawberry's _stream makes of it
                    return exc
                await operation.send_next(result)


async def _execute(
    schema: Schema,
    guard: GuardedOperation,
    context: Context,
    plan: LightPlan,
    event: MissionEvent,
) -> ExecutionResult:
    """The event's result: the document executed with the event as its root value."""
    executor = FastFieldsExecutionContext.build(
        schema._schema,
        plan.document,
        root_value=event_from_domain(event),
        context_value=context,
        raw_variable_values=plan.variables,
        operation_name=plan.operation_name,
    )
    assert not isinstance(executor, list)  # the plan coerced the same variables
    result: Any = executor.execute_operation(False)
    if executor.is_awaitable(result):
        result = await result
    assert isinstance(result, GraphQLExecutionResult)
    errors = result.errors
    if errors:
        schema._process_errors(errors)
        errors = guard.masked(errors)
    return ExecutionResult(data=result.data, errors=errors)
