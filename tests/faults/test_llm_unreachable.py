"""The LLM service cannot be reached at submit: a typed error, and no orphan report."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.conftest import free_port
from tests.e2e.client import SUBMIT, WIZARD, graphql
from tests.e2e.server import RunningServer
from tests.faults.conftest import StartServer, new_user

pytestmark = pytest.mark.e2e

LEFT_BEHIND = """
{
  missionReports { nodes { id status } }
  activeMissions { id }
  notifications(includeDismissed: true) { id }
}
"""


@contextlib.contextmanager
def closed_port() -> Iterator[str]:
    yield f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused


@contextlib.asynccontextmanager
async def silent_listener() -> AsyncIterator[str]:
    """Accepts connections and never answers: the client's timeout has to end the call."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()


@contextlib.asynccontextmanager
async def unreachable(kind: str) -> AsyncIterator[str]:
    if kind == "connection-refused":
        with closed_port() as url:
            yield url
    else:
        async with silent_listener() as url:
            yield url


async def _submit(server: RunningServer, token: str, key: str | None = None) -> dict[str, Any]:
    body = await graphql(server, token, SUBMIT, {"input": WIZARD, "key": key})
    assert "errors" not in body, body
    return body["data"]["submitMissionPlan"]


async def _left_behind(server: RunningServer, token: str) -> dict[str, Any]:
    return (await graphql(server, token, LEFT_BEHIND))["data"]


NOTHING = {"missionReports": {"nodes": []}, "activeMissions": [], "notifications": []}


@pytest.mark.parametrize("kind", ["connection-refused", "no-answer"])
async def test_submit_with_the_llm_service_unreachable_leaves_nothing_behind(
    start_server: StartServer, kind: str
) -> None:
    async with unreachable(kind) as llm_url:
        server = start_server(LLM_SERVICE_URL=llm_url, LLM_TIMEOUT_SECONDS="1.5")
        token = server.token(new_user())
        for key in (None, "a-key", "a-key"):  # the key is not spent on a failure
            result = await _submit(server, token, key)
            assert result["__typename"] == "ServiceUnavailableError", result
            assert result["retryAfter"] > 0
            assert "unavailable" in result["message"]
            assert await _left_behind(server, token) == NOTHING


async def test_concurrent_submits_with_one_key_all_fail_when_the_llm_service_is_down(
    start_server: StartServer,
) -> None:
    async with silent_listener() as llm_url:
        server = start_server(LLM_SERVICE_URL=llm_url, LLM_TIMEOUT_SECONDS="1.5")
        token = server.token(new_user())
        results = await asyncio.gather(*(_submit(server, token, "one-key") for _ in range(3)))
        assert await _left_behind(server, token) == NOTHING
        for result in results:
            assert result["__typename"] == "ServiceUnavailableError", result
