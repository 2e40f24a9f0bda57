"""The schema and its protective extensions."""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import Schema
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from domain.workflow import UnknownWorkflow
from graph.cleanup import CleanupMutation
from graph.context import NotAuthenticated
from graph.events import (
    MissionCancelledEvent,
    MissionCompletedEvent,
    MissionFailedEvent,
    MissionProgressEvent,
    NotificationEvent,
)
from graph.mutations import Mutation
from graph.queries import InvalidPageSize, Query
from graph.streams import ReportNotFoundError
from graph.subscriptions import Subscription
from infra.bus import SlowSubscriber
from infra.db.queries import InvalidCursor

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000

log = logging.getLogger("strawberry.execution")

# A client's mistake, told to the client: one log line, no traceback.
CLIENT_ERRORS = (
    NotAuthenticated,
    ReportNotFoundError,
    InvalidCursor,
    InvalidPageSize,
    UnknownWorkflow,
    SlowSubscriber,
)
# Errors whose message is meant for the client; everything else is masked.
PUBLIC_ERRORS = (
    *CLIENT_ERRORS,
    # Raised by graphql-core itself, e.g. a variable that is not a 32-bit Int.
    GraphQLError,
)


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # syntax and validation errors: the client needs to see them
    return not isinstance(original, PUBLIC_ERRORS)


# Strawberry's disable_field_suggestions covers fields only; graphql-core still
# suggests argument, type and enum value names, which maps the schema for a stranger.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class PublicErrors(MaskErrors):
    """Masks unexpected errors; with hide_suggestions also drops every "Did you mean ...?"."""

    def __init__(self, *, hide_suggestions: bool) -> None:
        super().__init__(should_mask_error=should_mask)
        self._hide_suggestions = hide_suggestions

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        if not self._hide_suggestions:
            return processed
        return [_without_suggestion(error) for error in processed]


def _without_suggestion(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


class MissionPlannerSchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if not isinstance(e.original_error, CLIENT_ERRORS)]
        for error in errors:
            if error not in unexpected:
                log.info("client error: %s", error.message)
        super().process_errors(unexpected, execution_context)


def build_schema(
    *, production: bool = False, max_depth: int = MAX_DEPTH, introspection: bool = True
) -> Schema:
    # The rule classes are made once: QueryDepthLimiter and MaxAliasesLimiter make new
    # ones per request, and the ValidationCache, keyed on the rules, then never hits.
    # QueryDepthLimiter skips introspection fields; `__Type.fields { type { fields ...
    # } }` is bounded by graphql-core's MaxIntrospectionDepthRule (a specified rule).
    limits = [depth_limit_rule(max_depth, should_ignore=None), alias_limit_rule(MAX_ALIASES)]
    if not introspection:
        # __schema and __type are refused; __typename, which clients need, still answers.
        limits.append(NoSchemaIntrospectionCustomRule)
    return MissionPlannerSchema(
        query=Query,
        mutation=merge_types("Mutation", (Mutation, CleanupMutation)),
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
            lambda: AddValidationRules(limits),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: PublicErrors(hide_suggestions=production),
        ],
    )


schema = build_schema()
