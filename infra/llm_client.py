"""The httpx client of the LLM service: the same code for embedded and remote."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from domain.errors import LLMServiceUnavailable
from domain.jobs import JobCleanup, JobUpdate
from domain.workflow import WorkflowDefinition
from infra.llm_payloads import job_status_to_update

# The workflow definition changes only on deploy; re-read it now and then.
DEFINITION_TTL_SECONDS = 300.0
# Callers check names against the known workflows; the bound holds even if one forgets.
MAX_CACHED_DEFINITIONS = 16


def path_part(value: str) -> str:
    """`value` percent-encoded as one URL path segment: "../jobs/x" stays one segment."""
    # quote() keeps dots, and httpx resolves a ".." segment before sending: encode them too.
    return quote(value, safe="").replace(".", "%2E")


# The statuses the admin cleanup removes; the service refuses active ones anyway.
FINISHED_STATUSES = ("completed", "failed", "cancelled")


class HttpLLMService:
    def __init__(self, client: httpx.AsyncClient, api_secret: str, webhook_url: str) -> None:
        self._client = client
        self._headers = {"X-API-Secret": api_secret}
        self._webhook_url = webhook_url
        self._definitions: dict[str, tuple[float, WorkflowDefinition]] = {}

    async def submit_workflow(
        self, workflow_name: str, input_data: dict[str, Any], metadata: dict[str, Any]
    ) -> str:
        body = {
            "workflow_name": workflow_name,
            "input_data": input_data,
            "webhook_url": self._webhook_url,
            "metadata": metadata,
        }
        response = await self._request("POST", "/api/v1/workflow", json=body)
        if response.status_code != 202:
            raise LLMServiceUnavailable(f"submit answered {response.status_code}")
        return str(response.json()["job_id"])

    async def get_job(self, job_id: str) -> JobUpdate | None:
        response = await self._request("GET", f"/api/v1/jobs/{path_part(job_id)}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise LLMServiceUnavailable(f"job status answered {response.status_code}")
        try:
            answer = response.json()
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
            answer = None
        return job_status_to_update(answer, job_id)

    async def cancel_jobs(self, job_ids: Sequence[str]) -> int:
        response = await self._request(
            "DELETE", "/api/v1/jobs/bulk", json={"job_ids": list(job_ids)}
        )
        if response.status_code != 200:
            raise LLMServiceUnavailable(f"cancel answered {response.status_code}")
        return int(response.json().get("deleted", 0))

    async def cleanup_finished_jobs(
        self, older_than_days: int, cutoff: datetime, dry_run: bool
    ) -> JobCleanup:
        # `created_before` makes the service use our cutoff to the microsecond; a service
        # that does not know it still honours `older_than_days`.
        body = {
            "older_than_days": older_than_days,
            "created_before": cutoff.isoformat(),
            "statuses": list(FINISHED_STATUSES),
            "dry_run": dry_run,
        }
        response = await self._request("POST", "/api/v1/jobs/cleanup", json=body)
        if response.status_code != 200:
            raise LLMServiceUnavailable(f"cleanup answered {response.status_code}")
        try:
            counts = response.json()
            return JobCleanup(
                matched=int(counts["matched"]),
                deleted=int(counts["deleted"]),
                deliveries_matched=int(counts.get("deliveries_matched", 0)),
                deliveries_deleted=int(counts.get("deliveries_deleted", 0)),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise LLMServiceUnavailable("cleanup answered an unreadable body") from exc

    async def get_workflow(self, name: str) -> WorkflowDefinition:
        cached = self._definitions.get(name)
        if cached and time.monotonic() - cached[0] < DEFINITION_TTL_SECONDS:
            return cached[1]
        response = await self._request("GET", f"/api/v1/workflows/{path_part(name)}")
        if response.status_code != 200:
            if cached:
                return cached[1]
            raise LLMServiceUnavailable(f"workflow definition answered {response.status_code}")
        try:
            definition = WorkflowDefinition.from_dict(response.json())
        except (ValueError, KeyError, TypeError) as exc:  # InvalidWorkflowDefinition among them
            if cached:
                return cached[1]
            raise LLMServiceUnavailable("workflow definition is malformed") from exc
        self._remember(name, definition)
        return definition

    def cached_definitions(self) -> int:
        return len(self._definitions)

    def _remember(self, name: str, definition: WorkflowDefinition) -> None:
        self._definitions.pop(name, None)
        while len(self._definitions) >= MAX_CACHED_DEFINITIONS:
            # Dicts keep insertion order: the first entry is the one cached longest ago.
            del self._definitions[next(iter(self._definitions))]
        self._definitions[name] = (time.monotonic(), definition)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(method, path, headers=self._headers, **kwargs)
        except httpx.HTTPError as exc:
            raise LLMServiceUnavailable(type(exc).__name__) from exc
