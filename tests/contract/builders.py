"""Test data and short steps shared by the contract cases."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from domain.event_log import EventPayload, MissionEvent, ProgressPayload
from domain.notifications import Notification
from domain.plan import parse_plan_markdown
from domain.report import MissionReport, Plan, Progress, ReportError
from tests.contract.conftest import Backend
from tests.support.workflow_steps import GENERATE_MISSION_PLAN
from tests.unit.builders import (
    PLAN_MARKDOWN,
    T0,
    generating_report,
    mission_generation_definition,
)

# Microseconds on purpose: every backend must keep them.
NOW = T0 + timedelta(microseconds=123_456)
USER, OTHER_USER = "user-1", "user-2"


def report(report_id: str = "report-1", **changes: object) -> MissionReport:
    return generating_report(**{"id": report_id, "created_at": NOW, "updated_at": NOW, **changes})


def completed(report_id: str = "report-1") -> MissionReport:
    plan = Plan(PLAN_MARKDOWN, parse_plan_markdown(PLAN_MARKDOWN))
    return report(report_id, idempotency_key="k-done").completed(
        plan, NOW + timedelta(minutes=2), mission_generation_definition().final_progress()
    )


def failed(report_id: str = "report-1") -> MissionReport:
    progress = Progress(GENERATE_MISSION_PLAN, "Generating Mission Plan", 4, 6, 20.0)
    error = ReportError("LLM_TIMEOUT", "The model timed out.", retryable=True)
    running = dataclasses.replace(report(report_id), progress=progress, last_job_sequence=7)
    return running.failed(error, NOW + timedelta(minutes=3))


def event(
    sequence: int, report_id: str = "report-1", payload: EventPayload | None = None
) -> MissionEvent:
    if payload is None:
        progress = Progress("build_scenario_list", "Scénario ünïcode ✓", 2, 6, 12.5)
        payload = ProgressPayload(progress, attempt=1)
    return MissionEvent(report_id, USER, sequence, NOW + timedelta(seconds=sequence), payload)


def notification(notification_id: str = "note-1") -> Notification:
    return Notification(
        notification_id, USER, "report-1", "PLAN_READY", "Your plan is ready", "Read it.", NOW
    )


async def add_reports(backend: Backend, *reports: MissionReport) -> None:
    async with backend.uow() as uow:
        for each in reports:
            await uow.reports.add(each)
        await uow.commit()


async def read_report(backend: Backend, report_id: str) -> MissionReport | None:
    async with backend.uow() as uow:
        return await uow.reports.get(report_id)
