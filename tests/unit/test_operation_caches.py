"""Repeated operations are parsed and validated once (graph.schema's shared caches)."""

from __future__ import annotations

from graph import schema as schema_module
from graph.schema import build_schema

QUERY = "query CacheProbe { __typename }"


async def test_the_same_operation_twice_hits_the_parse_and_validation_caches() -> None:
    schema = build_schema()
    await schema.execute(QUERY)
    parsed = schema_module._cached_parse.cache_info().hits
    validated = schema_module._cached_validate.cache_info().hits
    result = await schema.execute(QUERY)
    assert result.errors is None
    assert schema_module._cached_parse.cache_info().hits == parsed + 1
    assert schema_module._cached_validate.cache_info().hits == validated + 1


async def test_the_limits_still_apply_to_a_cached_document() -> None:
    deep = "query Deep { missionReports(first: 1) { edges { node { id } } } }"
    schema = build_schema(max_depth=2)
    for _ in range(2):
        result = await schema.execute(deep)
        assert result.errors is not None
        assert "exceeds maximum operation depth" in result.errors[0].message
