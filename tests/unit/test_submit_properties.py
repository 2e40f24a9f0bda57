"""Property: through the submit operation, every invalid wizard is a typed error that
creates nothing, and every valid one is accepted (DEVELOPERS: bad input changes nothing)."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.operations import submit_mission_plan
from domain.wizard import MissionPlanInput
from tests.unit.fakes import make_fakes
from tests.unit.test_validation_properties import MUTATIONS, Mutation, valid_inputs


@settings(max_examples=60, deadline=None)
@given(valid_inputs, st.sampled_from(MUTATIONS), st.data())
def test_an_invalid_wizard_is_a_typed_error_and_creates_nothing(
    candidate: MissionPlanInput, mutation: Mutation, data: st.DataObject
) -> None:
    mutated, field = mutation(candidate, data)
    fakes = make_fakes()
    try:
        asyncio.run(submit_mission_plan(fakes.deps, "user-1", mutated))
    except InvalidInput as invalid:
        assert field in [error.field for error in invalid.errors]
    else:
        raise AssertionError(f"{mutation.__name__} was accepted")
    assert fakes.store.reports == {} and fakes.store.events == []
    assert fakes.llm.submitted == [] and fakes.publisher.published == []


@settings(max_examples=40, deadline=None)
@given(valid_inputs)
def test_a_valid_wizard_is_accepted_and_submitted(candidate: MissionPlanInput) -> None:
    fakes = make_fakes()
    report = asyncio.run(submit_mission_plan(fakes.deps, "user-1", candidate))
    assert report.job_id is not None
    assert list(fakes.store.reports) == [report.id]
    assert len(fakes.llm.submitted) == 1
