"""The streaming-plans benchmark's ladder: doubling, then halving the gap after a miss."""

from __future__ import annotations

from benchmarks.streaming_plans import between, plan_counts


def test_the_ladder_doubles_up_to_its_limit() -> None:
    assert plan_counts(10, 320) == [10, 20, 40, 80, 160, 320]


def test_the_gap_after_a_miss_is_halved_in_tens_while_it_is_wide() -> None:
    assert between(80, 160) == 120
    assert between(120, 160) == 140
    assert between(80, 120) == 100
    assert between(150, 160) == 155


def test_nothing_is_left_to_try_between_neighbours() -> None:
    assert between(0, 2) == 1
    assert between(1, 2) is None
    assert between(0, 1) is None
