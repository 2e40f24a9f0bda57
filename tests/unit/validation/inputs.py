"""The builders' valid input with one field changed, and what the check says of it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from domain.field_errors import FieldError, InvalidMissionInput
from domain.validation import validate_mission_input
from domain.wizard import MissionPlanInput
from tests.unit.builders import valid_input


def with_location(**changes: Any) -> MissionPlanInput:
    return valid_input(location=dataclasses.replace(valid_input().location, **changes))


def with_member(index: int, **changes: Any) -> MissionPlanInput:
    members = list(valid_input().family_members)
    members[index] = dataclasses.replace(members[index], **changes)
    return valid_input(family_members=tuple(members))


def errors_of(candidate: MissionPlanInput) -> list[tuple[str, str]]:
    with pytest.raises(InvalidMissionInput) as raised:
        validate_mission_input(candidate)
    return [(error.field, error.code) for error in raised.value.errors]


def only_error(candidate: MissionPlanInput) -> FieldError:
    with pytest.raises(InvalidMissionInput) as raised:
        validate_mission_input(candidate)
    assert len(raised.value.errors) == 1, raised.value.errors
    return raised.value.errors[0]
