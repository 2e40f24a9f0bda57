"""The idle re-read of the log: one query per chunk of watched reports, not per subscription."""

from __future__ import annotations

from collections.abc import Sequence

from graph.report_watch import CHUNK, ReportWatch
from infra.bus import Resync, Subscription
from infra.db.read_queries import ReadQueries


class FakeLatestSequences:
    """ReadQueries.latest_sequences over a dict; records each read."""

    def __init__(self, latest: dict[str, int]) -> None:
        self.latest = latest
        self.reads: list[list[str]] = []

    async def latest_sequences(self, report_ids: Sequence[str]) -> dict[str, int]:
        self.reads.append(list(report_ids))
        return {r: self.latest[r] for r in report_ids if r in self.latest}


def watch_over(fake: FakeLatestSequences) -> ReportWatch:
    queries: ReadQueries = fake  # type: ignore[assignment]  # the one method it uses
    return ReportWatch(queries, interval_seconds=30)


async def test_only_streams_behind_the_log_are_woken_with_one_read() -> None:
    fake = FakeLatestSequences({"a": 6, "b": 7})
    watch = watch_over(fake)
    behind = [Subscription("u", 10, 3) for _ in range(3)]
    current = Subscription("u", 10, 3)
    with (
        watch.watching("a", behind[0], 5),
        watch.watching("a", behind[1], 5),
        watch.watching("a", behind[2], 5),
        watch.watching("b", current, 7),
    ):
        assert await watch.wake_streams_behind() == 3
        assert len(fake.reads) == 1 and sorted(fake.reads[0]) == ["a", "b"]
    for subscription in behind:
        assert isinstance(await subscription.get(timeout=0.1), Resync)
    assert await current.get(timeout=0.01) is None
    assert watch.watched_reports == 0  # a closed stream is no longer watched


async def test_many_reports_are_read_in_bounded_chunks() -> None:
    ids = [f"r{i}" for i in range(CHUNK * 2 + 1)]
    fake = FakeLatestSequences(dict.fromkeys(ids, 1))
    watch = watch_over(fake)
    subscriptions = [Subscription("u", 10, 3) for _ in ids]
    streams = [watch.watching(r, s, 1) for r, s in zip(ids, subscriptions, strict=True)]
    for stream in streams:
        stream.__enter__()
    try:
        assert await watch.wake_streams_behind() == 0
        assert [len(read) for read in fake.reads] == [CHUNK, CHUNK, 1]
    finally:
        for stream in streams:
            stream.__exit__(None, None, None)
