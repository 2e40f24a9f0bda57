"""Who may see a report, its events and notifications, and when a report is stale.

Each rule is decided here once; the GraphQL reads, the subscriptions, the operations
and the sweeper all ask these functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, TypeGuard, TypeVar

from domain.report import MissionReport, MissionStatus


class Owned(Protocol):
    @property
    def user_id(self) -> str: ...


OwnedT = TypeVar("OwnedT", bound=Owned)


def can_see(item: OwnedT | None, user_id: str | None) -> TypeGuard[OwnedT]:
    """Only its owner sees a report, an event of it or a notification.

    To anyone else (or no one signed in) it is indistinguishable from a missing one:
    callers answer "not found", never "forbidden", so ids cannot be probed.
    """
    return item is not None and user_id is not None and item.user_id == user_id


def stale_cutoff(now: datetime, after: timedelta) -> datetime:
    """A GENERATING report last updated before this has had no news for `after`."""
    return now - after


def is_stale(report: MissionReport, now: datetime, after: timedelta) -> bool:
    """No news of a generating report for `after`: its webhooks may have been lost, so
    the LLM service is asked where its job is (on read, and by the sweeper)."""
    return report.status is MissionStatus.GENERATING and report.updated_at < stale_cutoff(
        now, after
    )
