"""A report row's wizard input (infra.db.mapping): decoded once per report while its
stored value stays the same, afresh when it changes, in a cache of bounded size."""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.wizard import MissionPlanInput
from infra.db import mapping
from tests.unit.builders import valid_input


def stored(plan_input: MissionPlanInput) -> dict[str, Any]:
    """The column's value as the driver gives it: decoded JSON, a new dict each read."""
    decoded: dict[str, Any] = json.loads(json.dumps(plan_input.to_dict()))
    return decoded


def test_a_row_read_again_gives_the_same_input() -> None:
    first = mapping._stored_input("report-a", stored(valid_input()))
    again = mapping._stored_input("report-a", stored(valid_input()))
    assert first == again == valid_input()
    assert again is first  # not built again


def test_a_changed_input_is_decoded_afresh() -> None:
    mapping._stored_input("report-b", stored(valid_input()))
    changed = mapping._stored_input("report-b", stored(valid_input(pet_count=3)))
    assert changed == valid_input(pet_count=3)
    other = mapping._stored_input("report-c", stored(valid_input(duration_days=7)))
    assert other == valid_input(duration_days=7)


def test_the_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapping, "STORED_INPUTS_KEPT", 5)
    monkeypatch.setattr(mapping, "_stored_inputs", {})
    for n in range(20):
        assert mapping._stored_input(f"r{n}", stored(valid_input(pet_count=n))).pet_count == n
    assert list(mapping._stored_inputs) == [f"r{n}" for n in range(15, 20)]
