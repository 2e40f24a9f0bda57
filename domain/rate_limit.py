"""The per-user submission rate limit: a sliding window over started attempts.

Counted from the database (the attempts table), so it holds across API processes,
and cancelled plans count: a submit-and-cancel loop is exactly what it stops.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SubmissionRateLimit:
    """At most `max_attempts` submits and retries per user in any `window`; 0 turns it off."""

    max_attempts: int = 10
    window: timedelta = timedelta(seconds=60)

    @property
    def enabled(self) -> bool:
        return self.max_attempts > 0

    def window_start(self, now: datetime) -> datetime:
        return now - self.window

    def retry_after_seconds(self, now: datetime, recent: Sequence[datetime]) -> int | None:
        """None when one more attempt fits; else the whole seconds until one does.

        `recent`: the user's attempts inside the window, oldest first.
        """
        if not self.enabled or len(recent) < self.max_attempts:
            return None
        # The window frees a place when the oldest attempt in it leaves.
        frees_at = recent[-self.max_attempts] + self.window
        return max(1, math.ceil((frees_at - now).total_seconds()))
