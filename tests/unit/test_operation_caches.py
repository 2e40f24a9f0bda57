"""Repeated operations are parsed and validated once (graph.schema's shared caches)."""

from __future__ import annotations

from graphql import parse, specified_rules
from graphql.validation import NoSchemaIntrospectionCustomRule

from graph import schema as schema_module
from graph.schema import build_schema

QUERY = "query CacheProbe { __typename }"


async def test_the_same_operation_twice_hits_the_parse_and_validation_caches() -> None:
    schema = build_schema()
    await schema.execute(QUERY)
    parsed = schema_module._cached_parse.cache_info().hits
    validated = schema_module._cached_validate.hits
    result = await schema.execute(QUERY)
    assert result.errors is None
    assert schema_module._cached_parse.cache_info().hits == parsed + 1
    assert schema_module._cached_validate.hits == validated + 1


async def test_the_limits_still_apply_to_a_cached_document() -> None:
    deep = "query Deep { missionReports(first: 1) { edges { node { id } } } }"
    schema = build_schema(max_depth=2)
    for _ in range(2):
        result = await schema.execute(deep)
        assert result.errors is not None
        assert "exceeds maximum operation depth" in result.errors[0].message


def test_validation_is_kept_per_document_object_schema_and_rules_and_bounded() -> None:
    graphql_schema = build_schema()._schema
    cache = schema_module._ValidationByDocument(size=2)
    plain, strict = tuple(specified_rules), (*specified_rules, NoSchemaIntrospectionCustomRule)
    document = parse("{ __schema { queryType { name } } }")

    assert cache(graphql_schema, document, plain) == []
    assert cache(graphql_schema, document, strict)  # other rules: validated again, refused
    assert cache(graphql_schema, parse("{ __schema { queryType { name } } }"), strict)
    assert cache.hits == 0  # an equal document parsed again is another object
    assert cache(graphql_schema, document, plain) == []  # evicted (size 2): validated again
    assert cache.hits == 0
    assert cache(graphql_schema, document, plain) == []
    assert cache.hits == 1
