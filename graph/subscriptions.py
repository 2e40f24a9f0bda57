"""Subscription resolvers over graph.streams."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from starlette.websockets import WebSocket
from strawberry import Info

from graph.context import Context
from graph.event_types import MissionEvent, event_from_domain
from graph.http_responses import GraphQLSubResponse
from graph.streams import report_events, user_events
from infra.bus import Subscription as BusSubscription
from infra.publisher import user_channel

log = logging.getLogger(__name__)

# Close tasks are kept referenced until done, or the event loop may drop them.
_closing: set[asyncio.Task[None]] = set()


# Why a slow subscriber was hung up on, and what to do: the websocket's close reason,
# an HTTP stream's last error.
TOO_SLOW = "subscriber too slow; resume with afterSequence"


def hang_up_when_too_slow(subscription: BusSubscription, context: Context) -> None:
    """A client that stays behind is disconnected; it can resume with afterSequence.

    A websocket is closed with 1013; an SSE or multipart stream stops and ends as its
    protocol ends a failed one (the error, then the end marker: StreamResponse). Either
    client may be blocked in a write and never read its subscription again, so the
    hang-up cannot wait for that.
    """
    connection = context.request
    user = context.viewer.user_id if context.viewer is not None else "-"
    if isinstance(connection, WebSocket):

        def hang_up() -> None:
            log.warning("slow subscriber: closing the websocket of user %s (1013)", user)
            task = asyncio.get_running_loop().create_task(_close(connection))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

        subscription.on_closed = hang_up
    elif isinstance(context.response, GraphQLSubResponse):
        response = context.response

        def cut_off() -> None:
            log.warning("slow subscriber: cutting off the HTTP stream of user %s", user)
            if response.hang_up is not None:
                response.hang_up(TOO_SLOW)

        subscription.on_closed = cut_off


async def _close(connection: WebSocket) -> None:
    with contextlib.suppress(Exception):  # it may be closing already
        await connection.close(code=1013, reason=TOO_SLOW)


async def report_event_stream(
    info: Info[Context, None],
    report_id: Annotated[strawberry.ID, strawberry.argument(description="The report id.")],
    after_sequence: Annotated[
        int | None,
        strawberry.argument(description="The last sequence you have: resume after it."),
    ] = None,
) -> AsyncGenerator[MissionEvent, None]:
    viewer = info.context.require_viewer()
    state = info.context.state
    async with state.bus.subscribe(user_channel(viewer.user_id)) as subscription:
        hang_up_when_too_slow(subscription, info.context)
        stream = report_events(state, viewer, str(report_id), after_sequence, subscription)
        async for event in stream:
            info.context.fresh_loaders()
            yield event_from_domain(event)


async def user_event_stream(info: Info[Context, None]) -> AsyncGenerator[MissionEvent, None]:
    viewer = info.context.require_viewer()
    state = info.context.state
    async with state.bus.subscribe(user_channel(viewer.user_id)) as subscription:
        hang_up_when_too_slow(subscription, info.context)
        async for event in user_events(state, viewer, subscription):
            info.context.fresh_loaders()
            yield event_from_domain(event)


# Resolvers passed as `resolver=`: the decorator form is untyped for mypy.
@strawberry.type(description="Live events; each needs the same token as HTTP.")
class Subscription:
    mission_events = strawberry.subscription(
        resolver=report_event_stream,
        description="The report's current state (the logged event that set it, with its own "
        "sequence), then every later event in order; completes after a terminal event and the "
        "notification written with it. With afterSequence: the logged events after it.",
    )
    my_mission_events = strawberry.subscription(
        resolver=user_event_stream,
        description="Every event of all your reports, plus notifications.",
    )
