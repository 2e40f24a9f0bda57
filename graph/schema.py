"""The schema and its protective extensions."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry import Schema
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from graph.context import NotAuthenticated
from graph.events import (
    MissionCancelledEvent,
    MissionCompletedEvent,
    MissionFailedEvent,
    MissionProgressEvent,
    NotificationEvent,
)
from graph.mutations import Mutation
from graph.queries import Query
from graph.streams import ReportNotFoundError, TokenExpired
from graph.subscriptions import Subscription
from infra.bus import SlowSubscriber
from infra.db.queries import InvalidCursor

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000

# Errors whose message is meant for the client; everything else is masked.
PUBLIC_ERRORS = (NotAuthenticated, ReportNotFoundError, TokenExpired, InvalidCursor, SlowSubscriber)


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # syntax and validation errors: the client needs to see them
    return not isinstance(original, PUBLIC_ERRORS)


def build_schema(*, production: bool = False) -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            MissionProgressEvent,
            MissionCompletedEvent,
            MissionFailedEvent,
            MissionCancelledEvent,
            NotificationEvent,
        ],
        config=StrawberryConfig(disable_field_suggestions=production),
        extensions=[
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: MaskErrors(should_mask_error=should_mask),
        ],
    )


schema = build_schema()
