"""The schema and its protective extensions."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    parse,
    specified_rules,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry import Schema
from strawberry.extensions import MaskErrors
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from domain.usage_summary import InvalidUsagePeriod, UsageSummaryNotAllowed
from domain.workflow import UnknownWorkflow
from graph.cleanup import CleanupMutation
from graph.context import NotAuthenticated
from graph.event_types import (
    MissionCancelledEvent,
    MissionCompletedEvent,
    MissionFailedEvent,
    MissionProgressEvent,
    NotificationEvent,
)
from graph.fast_fields import FastFieldsExecutionContext
from graph.mutations import Mutation
from graph.operation_limits import create_alias_rule, create_cost_rule, create_depth_rule
from graph.queries import InvalidPageSize, Query
from graph.streams import ReportNotFoundError
from graph.subscriptions import Subscription
from graph.usage import UsageQuery
from infra.bus import SlowSubscriber
from infra.db.read_queries import InvalidCursor

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
DEFAULT_MAX_COST = 5000
DEFAULT_MAX_PAGE_SIZE = 100

log = logging.getLogger("graph.errors")

# Errors whose message is meant for the client; everything else is masked.
PUBLIC_ERRORS = (
    NotAuthenticated,
    ReportNotFoundError,
    InvalidCursor,
    InvalidPageSize,
    UnknownWorkflow,
    UsageSummaryNotAllowed,
    InvalidUsagePeriod,
    SlowSubscriber,
    # Raised by graphql-core itself, e.g. a variable that is not a 32-bit Int.
    GraphQLError,
)


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False  # syntax and validation errors: the client needs to see them
    return not isinstance(original, PUBLIC_ERRORS)


class LoggedSchema(Schema):
    """Logs a request's client errors as one line without a traceback.

    Strawberry logs every error at ERROR level with its traceback, so one request of
    bad variables wrote dozens of tracebacks. Tracebacks stay for unexpected errors.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [error for error in errors if should_mask(error)]
        expected = len(errors) - len(unexpected)
        if expected:
            first = next(error for error in errors if not should_mask(error))
            log.info("GraphQL request refused: %d error(s), first: %.200s", expected, first.message)
        super().process_errors(unexpected, execution_context)


# Parsed documents and their validation errors, shared by every operation: thousands of
# clients send the same few subscriptions. Invalid documents raise, so are never cached.
CACHE_SIZE = 512
_cached_parse = lru_cache(maxsize=CACHE_SIZE)(parse)


class _ValidationByDocument:
    """validate_document's errors per parsed document, found by the document's identity.

    The parse cache hands out one DocumentNode per query text, so the object is the key;
    an lru_cache keyed on the document hashed its whole tree at every request instead
    (graphql-core hashes a node by all its fields, recursively). Each entry keeps its
    document and schema, so an id is never taken for a newer object's.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self.hits = 0
        self._found: dict[
            tuple[int, int, tuple[type[ASTValidationRule], ...]],
            tuple[object, DocumentNode, list[GraphQLError]],
        ] = {}

    def __call__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        key = (id(schema), id(document), rules)
        found = self._found.get(key)
        if found is not None and found[0] is schema and found[1] is document:
            self.hits += 1
            return found[2]
        errors = validate_document(schema, document, rules)
        if len(self._found) >= self._size:
            del self._found[next(iter(self._found))]  # the oldest
        self._found[key] = (schema, document, errors)
        return errors


_cached_validate = _ValidationByDocument(CACHE_SIZE)


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


class GuardedOperation(PublicErrors):
    """Strawberry's ParserCache, ValidationCache, AddValidationRules and MaxTokensLimiter,
    and PublicErrors, as one extension.

    A subscription keeps its extensions and their on_operation hooks for its whole
    life: five instances and three hook generators were ~5 KiB per idle subscription
    and a share of each subscribe's CPU (benchmarks/README.md, "Changes made for speed").

    Parsing: ParserCache parsed in its hook, before the try that turns a GraphQLError
    into a result, so a subscription's syntax error (or one over the token limit)
    escaped strawberry's websocket worker as a traceback and the client got a bare
    `complete`. Left unparsed here, the document is parsed again by strawberry where
    its error becomes the result.
    """

    def __init__(
        self,
        *,
        hide_suggestions: bool,
        validation_rules: Sequence[type[ASTValidationRule]],
        max_tokens: int,
    ) -> None:
        super().__init__(hide_suggestions=hide_suggestions)
        self._validation_rules = tuple(validation_rules)
        self._max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self._max_tokens
        context.validation_rules = context.validation_rules + self._validation_rules
        yield from super().on_operation()

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = _cached_parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None, "strawberry validates only a parsed document"
        context.pre_execution_errors = _cached_validate(
            context.schema._schema, document, context.validation_rules
        )
        yield

    def checked_document(self, schema: Schema, query: str) -> DocumentNode | None:
        """The query parsed and validated as on_parse and on_validate do, from the same
        caches (same options, same rules); None when it has any error, which strawberry's
        own path then answers (graph/light_subscriptions.py)."""
        try:
            document = _cached_parse(query, max_tokens=self._max_tokens)
        except GraphQLError:
            return None
        rules = tuple(specified_rules) + self._validation_rules
        return None if _cached_validate(schema._schema, document, rules) else document

    def masked(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """The errors as a client sees them (what on_stream_result does to a result)."""
        return self._process_errors(errors)


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


@strawberry.type(name="Query", description="What you can read.")
class RootQuery(Query, UsageQuery):
    pass


@strawberry.type(name="Mutation", description="What you can change.")
class RootMutation(Mutation, CleanupMutation):
    pass


def build_schema(
    *,
    production: bool = False,
    max_depth: int = MAX_DEPTH,
    max_cost: int = DEFAULT_MAX_COST,
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE,
    introspection: bool = True,
) -> Schema:
    # The rule classes are made once: made per request, as strawberry's limiter
    # extensions do, the ValidationCache, keyed on the rules, would never hit.
    # The depth rule skips introspection fields; `__Type.fields { type { fields ...
    # } }` is bounded by graphql-core's MaxIntrospectionDepthRule (a specified rule).
    limits: list[type[ASTValidationRule]] = [
        create_depth_rule(max_depth),
        create_alias_rule(MAX_ALIASES),
        create_cost_rule(max_cost, max_page_size),
    ]
    if not introspection:
        # __schema and __type are refused; __typename, which clients need, still answers.
        limits.append(NoSchemaIntrospectionCustomRule)
    return LoggedSchema(
        query=RootQuery,
        mutation=RootMutation,
        subscription=Subscription,
        types=[
            MissionProgressEvent,
            MissionCompletedEvent,
            MissionFailedEvent,
            MissionCancelledEvent,
            NotificationEvent,
        ],
        config=StrawberryConfig(disable_field_suggestions=production),
        execution_context_class=FastFieldsExecutionContext,
        extensions=[
            lambda: GuardedOperation(
                hide_suggestions=production, validation_rules=limits, max_tokens=MAX_TOKENS
            ),
        ],
    )


schema = build_schema()
