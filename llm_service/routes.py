"""HTTP handlers of docs/llm-service-api.md; all SQL lives in the store, all work in the runner."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from llm_service.db import utcnow
from llm_service.http_body import BodyTooLarge, read_capped_body
from llm_service.job_runner import JobRunner
from llm_service.job_store import JobRecord, JobStore, NewJob
from llm_service.outbox import AttemptRecord, DeliverySummary, OutboxStore
from llm_service.tables import TERMINAL_STATUSES
from llm_service.workflows import WorkflowNotFoundError, load_workflow

log = logging.getLogger(__name__)
T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]
_MAX_BULK_IDS = 1000
# The API caps its own requests at 1 MiB, so no call it makes comes near this.
MAX_BODY_BYTES = 1024 * 1024
# Ten years, as the API's admin cleanup allows; `now - timedelta` stays a valid date.
MAX_OLDER_THAN_DAYS = 3650


@dataclass(frozen=True)
class ServiceState:
    """What the handlers need, put on `app.state.llm_service` by the lifespan."""

    api_secret: str
    store: JobStore
    runner: JobRunner
    outbox: OutboxStore


class BadRequestError(Exception):
    pass


def _service(request: Request) -> ServiceState:
    service: ServiceState = request.app.state.llm_service  # Starlette types app.state as Any
    return service


def refused(request: Request, status: int, body: dict[str, Any]) -> JSONResponse:
    """A 4xx answer and the one log line it leaves (no traceback: the caller erred)."""
    detail = body.get("detail", "")
    log.info(
        "refused %s %s: %d %s %.200s",
        request.method,
        request.url.path,
        status,
        body["error"],
        detail,
    )
    return JSONResponse(body, status_code=status)


def requires_secret(handler: Handler) -> Handler:
    async def guarded(request: Request) -> Response:
        service: ServiceState | None = getattr(request.app.state, "llm_service", None)
        if service is None:
            return JSONResponse({"error": "not_started"}, status_code=503)
        supplied = request.headers.get("x-api-secret", "").encode()
        if not hmac.compare_digest(supplied, service.api_secret.encode()):
            return refused(request, 401, {"error": "unauthorized"})
        try:
            return await handler(request)
        except BadRequestError as exc:
            return refused(request, 422, {"error": "invalid_request", "detail": str(exc)})
        except BodyTooLarge:
            return refused(request, 413, {"error": "body_too_large", "limit_bytes": MAX_BODY_BYTES})

    return guarded


async def submit_workflow(request: Request) -> Response:
    body = await _json_object(request)
    name = _field(body, "workflow_name", str)
    input_data = _field(body, "input_data", dict)
    webhook_url = _optional(body, "webhook_url", str)
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        raise BadRequestError("webhook_url must be an http(s) URL")
    try:
        workflow = load_workflow(name)
    except WorkflowNotFoundError:
        return refused(request, 404, {"error": "workflow_not_found"})
    job = NewJob(
        id=str(uuid4()),
        workflow_name=workflow.name,
        step_ids=workflow.step_ids,
        input_data=input_data,
        metadata=_optional(body, "metadata", dict) or {},
        webhook_url=webhook_url,
    )
    record = await _service(request).runner.submit(job)
    return JSONResponse({"job_id": record.id, "status": record.status}, status_code=202)


async def get_job(request: Request) -> Response:
    service = _service(request)
    record = await service.store.get_job(request.path_params["job_id"])
    if record is None:
        return refused(request, 404, {"error": "job_not_found"})
    deliveries = await service.outbox.delivery_summary(record.id)
    return JSONResponse({**job_view(record), "deliveries": deliveries_view(deliveries)})


async def delete_jobs(request: Request) -> Response:
    job_ids = _field(await _json_object(request), "job_ids", list)
    if len(job_ids) > _MAX_BULK_IDS or not all(isinstance(i, str) for i in job_ids):
        raise BadRequestError(f"job_ids must be at most {_MAX_BULK_IDS} strings")
    deleted = await _service(request).runner.cancel_and_delete(job_ids)
    return JSONResponse({"deleted": deleted})


async def cleanup_jobs(request: Request) -> Response:
    body = await _json_object(request)
    days = _optional(body, "older_than_days", int)
    statuses = _optional(body, "statuses", list) or list(TERMINAL_STATUSES)
    dry_run = _optional(body, "dry_run", bool) or False
    if days is None:
        days = 7
    if isinstance(days, bool) or not 0 <= days <= MAX_OLDER_THAN_DAYS:
        raise BadRequestError(f"older_than_days must be an integer from 0 to {MAX_OLDER_THAN_DAYS}")
    if not all(isinstance(s, str) and s in TERMINAL_STATUSES for s in statuses):
        # Active jobs are stopped with DELETE /jobs/bulk, never swept away under a runner.
        raise BadRequestError(f"statuses must be among {', '.join(TERMINAL_STATUSES)}")
    cutoff = _created_before(body) or utcnow() - timedelta(days=days)
    counts = await _service(request).store.cleanup(
        statuses=statuses, older_than=cutoff, dry_run=dry_run
    )
    return JSONResponse(
        {
            "matched": counts.matched,
            "deleted": counts.deleted,
            "deliveries_matched": counts.deliveries_matched,
            "deliveries_deleted": counts.deliveries_deleted,
        }
    )


def _created_before(body: dict[str, Any]) -> datetime | None:
    """The caller's exact cutoff, when given: an ISO 8601 time with its offset."""
    value = _optional(body, "created_before", str)
    if value is None:
        return None
    try:
        cutoff = datetime.fromisoformat(value) if len(value) <= 64 else None
    except ValueError:
        cutoff = None
    if cutoff is None or cutoff.tzinfo is None:
        raise BadRequestError("created_before must be an ISO 8601 time with a UTC offset")
    return cutoff


async def get_workflow(request: Request) -> Response:
    try:
        workflow = load_workflow(request.path_params["name"])
    except WorkflowNotFoundError:
        return refused(request, 404, {"error": "workflow_not_found"})
    return JSONResponse(workflow.to_dict())


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def job_view(record: JobRecord) -> dict[str, Any]:
    try:
        definitions = [step.to_dict() for step in load_workflow(record.workflow_name).steps]
    except WorkflowNotFoundError:
        definitions = [{"id": step_id} for step_id in record.steps]
    return {
        "job_id": record.id,
        "workflow_name": record.workflow_name,
        "status": record.status,
        "current_step_id": record.current_step_id,
        "steps": [
            {**step, "status": record.steps.get(step["id"], "pending")} for step in definitions
        ],
        "progress": record.progress,
        "result": record.result,
        "error": record.error,
        "usage": record.usage,
        "metadata": record.metadata,
        "sequence": record.last_sequence,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def deliveries_view(summary: DeliverySummary) -> dict[str, Any]:
    last = summary.last_attempt
    return {
        "pending": summary.pending,
        "delivered": summary.delivered,
        "dead": summary.dead,
        "attempts": summary.attempts,
        "last_attempt": _attempt_view(last) if last else None,
    }


def _attempt_view(attempt: AttemptRecord) -> dict[str, Any]:
    next_at = attempt.next_attempt_at
    return {
        "delivery_id": attempt.delivery_id,
        "attempt": attempt.attempt,
        "started_at": attempt.started_at.isoformat(),
        "status": attempt.status,
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "next_attempt_at": next_at.isoformat() if next_at else None,
        "error_class": attempt.error_class,
    }


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await read_capped_body(request, MAX_BODY_BYTES)
    try:
        body = json.loads(raw)
    except RecursionError as exc:
        raise BadRequestError("body is not valid JSON: nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise BadRequestError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequestError("body must be a JSON object")
    return body


def _field(body: dict[str, Any], name: str, kind: type[T]) -> T:
    value = _optional(body, name, kind)
    if value is None:
        raise BadRequestError(f"{name} is required")
    return value


def _optional(body: dict[str, Any], name: str, kind: type[T]) -> T | None:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise BadRequestError(f"{name} must be of type {kind.__name__}")
    return value


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/api/v1/workflow", requires_secret(submit_workflow), methods=["POST"]),
    Route("/api/v1/jobs/bulk", requires_secret(delete_jobs), methods=["DELETE"]),
    Route("/api/v1/jobs/cleanup", requires_secret(cleanup_jobs), methods=["POST"]),
    Route("/api/v1/jobs/{job_id}", requires_secret(get_job), methods=["GET"]),
    Route("/api/v1/workflows/{name}", requires_secret(get_workflow), methods=["GET"]),
]
