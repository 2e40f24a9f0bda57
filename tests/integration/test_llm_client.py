"""The LLM-service client's handling of workflow definitions it cannot use."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.errors import LLMServiceUnavailable
from infra import llm_client
from infra.llm_client import HttpLLMService

GOOD = {"name": "mission_generation", "steps": [{"id": "only", "display_name": "Only"}]}


def client(answers: list[dict[str, Any]]) -> HttpLLMService:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers.pop(0))

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://llm")
    return HttpLLMService(http, "secret", "http://api/webhook")


@pytest.mark.parametrize(
    "body",
    [{"name": "mission_generation", "steps": []}, {"name": "mission_generation"}, {"steps": 3}],
)
async def test_a_definition_without_usable_steps_is_unavailable_not_a_crash(
    body: dict[str, Any],
) -> None:
    # No steps would make every progress read "step 0 of 0".
    with pytest.raises(LLMServiceUnavailable, match="malformed"):
        await client([body]).get_workflow("mission_generation")


async def test_a_malformed_refresh_keeps_the_definition_already_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = client([GOOD, {"name": "mission_generation", "steps": []}])
    first = await service.get_workflow("mission_generation")
    monkeypatch.setattr(llm_client, "DEFINITION_TTL_SECONDS", 0.0)

    assert await service.get_workflow("mission_generation") == first
    assert first.step_count == 1
