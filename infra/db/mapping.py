"""Rows to domain objects and back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping

from domain.event_log import MalformedEvent, MissionEvent, payload_from_dict, payload_to_dict
from domain.notifications import Notification
from domain.plan import PlanSections
from domain.report import MissionReport, MissionStatus, Plan, Progress, ReportError
from domain.usage import AttemptUsage, StepUsage
from domain.wizard import Location, MissionPlanInput, Scenario, scenarios_from_list
from infra import json_text

log = logging.getLogger(__name__)


# Each column of a report's row from the report: one place for the full row (an insert)
# and for the columns a change touched (infra.db.report_writes).
REPORT_COLUMNS: dict[str, Callable[[MissionReport], Any]] = {
    "id": lambda r: r.id,
    "user_id": lambda r: r.user_id,
    "status": lambda r: r.status.value,
    "attempt": lambda r: r.attempt,
    "job_id": lambda r: r.job_id,
    "idempotency_key": lambda r: r.idempotency_key,
    "location_label": lambda r: r.location_label,
    "input": lambda r: r.input.to_dict(),
    "progress": lambda r: r.progress.to_dict(),
    "error": lambda r: r.error.to_dict() if r.error else None,
    "plan_markdown": lambda r: r.plan.content if r.plan else None,
    "plan_sections": lambda r: r.plan.sections.to_dict() if r.plan else None,
    "last_sequence": lambda r: r.last_sequence,
    "last_job_sequence": lambda r: r.last_job_sequence,
    "draft": lambda r: r.draft or None,
    "created_at": lambda r: r.created_at,
    "updated_at": lambda r: r.updated_at,
    "completed_at": lambda r: r.completed_at,
}


def report_to_row(report: MissionReport) -> dict[str, Any]:
    return {column: value(report) for column, value in REPORT_COLUMNS.items()}


def report_from_row(row: RowMapping) -> MissionReport:
    plan = None
    if row["plan_markdown"] is not None and row["plan_sections"] is not None:
        plan = Plan(row["plan_markdown"], PlanSections.from_dict(row["plan_sections"]))
    return _report(row, plan)


@dataclass(frozen=True, slots=True)
class ReportListing:
    """A report as a page lists it: what a list shows, without the plan (`has_plan`
    says whether there is one) and with the wizard input decoded whole only when
    asked for (`input`): a page rarely shows more of it than location and scenarios,
    and building every listed row's MissionPlanInput was a tenth of a dashboard
    request (benchmarks/README.md, "Branch h/dashfast")."""

    id: str
    status: MissionStatus
    attempt: int
    job_id: str | None
    location: Location
    scenarios: tuple[Scenario, ...]
    progress: Progress
    error: ReportError | None
    draft: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    has_plan: bool
    input_data: dict[str, Any]

    @property
    def input(self) -> MissionPlanInput:
        return MissionPlanInput.from_dict(self.input_data)


# The columns of a listing's row, in the order report_listing_from_row reads them; the
# page query selects these and then whether the row has a plan. Its JSON columns come
# as their text, decoded here by orjson: through the driver's codec (the json module)
# their decoding was a sixth of a dashboard request's instructions.
LISTING_JSON_COLUMNS = frozenset({"input", "progress", "error"})
LISTING_COLUMNS = (
    "id",
    "status",
    "attempt",
    "job_id",
    "input",
    "progress",
    "error",
    "draft",
    "created_at",
    "updated_at",
    "completed_at",
)


def report_listing_from_row(row: Sequence[Any]) -> ReportListing:
    """A row of LISTING_COLUMNS and has_plan (read by position: a RowMapping and its
    key look-ups cost more than the rest of the mapping)."""
    (
        report_id,
        status,
        attempt,
        job_id,
        input_text,
        progress_text,
        error_text,
        draft,
        created_at,
        updated_at,
        completed_at,
        has_plan,
    ) = row
    input_data = _json_value(input_text)
    progress = _json_value(progress_text)
    error = _json_value(error_text) if error_text is not None else None
    return ReportListing(
        id=report_id,
        status=MissionStatus(status),
        attempt=attempt,
        job_id=job_id,
        location=Location.from_dict(input_data["location"]),
        scenarios=scenarios_from_list(input_data["scenarios"]),
        progress=Progress.from_dict(progress),
        error=ReportError.from_dict(error) if error else None,
        draft=draft or "",
        created_at=created_at,
        updated_at=updated_at,
        completed_at=completed_at,
        has_plan=has_plan,
        input_data=input_data,
    )


def _json_value(text: str) -> Any:
    """A JSON column's text as the driver's codec reads it (infra.json_text); no number
    in these columns is beyond 64 bits (wizard answers are range-checked, progress comes
    from a workflow), where orjson would read a float."""
    return json_text.loads(text)


# A report's wizard input, as last decoded for its id: (the stored value, its
# MissionPlanInput). Every webhook reads its report's row whole, input included
# (infra.db.batch_opening), and building the MissionPlanInput again was three quarters
# of the row's mapping in a cProfile (benchmarks/README.md, "Branch h/routefast"). The
# stored value is compared, so a changed input is decoded afresh; the cache forgets its
# oldest entry past STORED_INPUTS_KEPT: its size stays bounded however many reports.
STORED_INPUTS_KEPT = 2048
_stored_inputs: dict[str, tuple[dict[str, Any], MissionPlanInput]] = {}


def _stored_input(report_id: str, stored: dict[str, Any]) -> MissionPlanInput:
    """MissionPlanInput.from_dict(stored), the same value each time: it is frozen, and
    from_dict reads equal values (`==`, as JSON decodes them) into equal fields."""
    known = _stored_inputs.get(report_id)
    if known is not None and known[0] == stored:
        return known[1]
    decoded = MissionPlanInput.from_dict(stored)
    if known is None and len(_stored_inputs) >= STORED_INPUTS_KEPT:
        del _stored_inputs[next(iter(_stored_inputs))]
    _stored_inputs[report_id] = (stored, decoded)
    return decoded


def _report(row: RowMapping, plan: Plan | None) -> MissionReport:
    return MissionReport(
        id=row["id"],
        user_id=row["user_id"],
        input=_stored_input(row["id"], row["input"]),
        status=MissionStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        attempt=row["attempt"],
        job_id=row["job_id"],
        idempotency_key=row["idempotency_key"],
        progress=Progress.from_dict(row["progress"]),
        error=ReportError.from_dict(row["error"]) if row["error"] else None,
        plan=plan,
        completed_at=row["completed_at"],
        last_sequence=row["last_sequence"],
        last_job_sequence=row["last_job_sequence"],
        draft=row["draft"] or "",
    )


def event_to_row(event: MissionEvent) -> dict[str, Any]:
    return {
        "report_id": event.report_id,
        "sequence": event.sequence,
        "user_id": event.user_id,
        "event_type": event.type.value,
        "payload": payload_to_dict(event.payload),
        "occurred_at": event.occurred_at,
    }


def event_from_row(row: RowMapping) -> MissionEvent:
    """Raises `MalformedEvent` for a row whose type and payload are not a shape we write."""
    return MissionEvent(
        report_id=row["report_id"],
        user_id=row["user_id"],
        sequence=row["sequence"],
        occurred_at=row["occurred_at"],
        payload=payload_from_dict(row["event_type"], row["payload"]),
    )


def events_from_rows(rows: Iterable[RowMapping]) -> list[MissionEvent]:
    """The rows' events; a corrupt row is logged and left out, so it ends no one's stream.

    Readers of a stream see a sequence gap where it was, as for an event the bus lost.
    """
    events = []
    for row in rows:
        try:
            events.append(event_from_row(row))
        except MalformedEvent as exc:
            log.error("skipping event %s/%s: %s", row["report_id"], row["sequence"], exc)
    return events


def notification_to_row(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "user_id": notification.user_id,
        "report_id": notification.report_id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "created_at": notification.created_at,
        "dismissed_at": notification.dismissed_at,
    }


def notification_from_row(row: RowMapping) -> Notification:
    return Notification(
        id=row["id"],
        user_id=row["user_id"],
        report_id=row["report_id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        created_at=row["created_at"],
        dismissed_at=row["dismissed_at"],
    )


def usage_to_row(usage: AttemptUsage) -> dict[str, Any]:
    return {
        "report_id": usage.report_id,
        "attempt": usage.attempt,
        "call_id": usage.call_id,
        "user_id": usage.user_id,
        "job_id": usage.job_id,
        "model": usage.model,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "duration_ms": usage.duration_ms,
        "cost_usd": Decimal(f"{usage.cost_usd:.6f}"),
        "steps": [step.to_dict() for step in usage.steps],
        "created_at": usage.created_at,
    }


def usage_from_row(row: RowMapping) -> AttemptUsage:
    return AttemptUsage(
        report_id=row["report_id"],
        attempt=row["attempt"],
        user_id=row["user_id"],
        job_id=row["job_id"],
        steps=tuple(StepUsage.from_dict(step) for step in row["steps"]),
        created_at=row["created_at"],
        call_id=row["call_id"],
    )
