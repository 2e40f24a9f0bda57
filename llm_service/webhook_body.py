"""The webhook body format (docs/llm-service-api.md#webhooks) and its stable id."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def webhook_id(job_id: str, sequence: int) -> str:
    """Derived from (job, sequence), which is never reused, so it is stable and unique."""
    return f"msg_{job_id.replace('-', '')}_{sequence}"


def webhook_body(
    *,
    event_type: str,
    job_id: str,
    workflow_name: str,
    sequence: int,
    occurred_at: datetime,
    metadata: Mapping[str, Any] | None,
    data: Mapping[str, Any],
) -> str:
    """The JSON text the receiver gets, signed as it is stored."""
    body = {
        "type": event_type,
        "job_id": job_id,
        "workflow_name": workflow_name,
        "sequence": sequence,
        "occurred_at": occurred_at.isoformat(),
        "metadata": dict(metadata or {}),
        "data": dict(data),
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
