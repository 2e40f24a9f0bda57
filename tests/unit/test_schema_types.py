"""The schema a frontend generates types from: enums for known sets, one Error interface."""

from __future__ import annotations

import pytest
from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLUnionType, get_named_type

from domain.failures import MissionErrorCode, report_error
from domain.plan_sections import RiskLevel, SkillPriority
from graph.schema import schema

TYPES = schema._schema.type_map


def field_type(type_name: str, field: str) -> str:
    object_type = TYPES[type_name]
    assert isinstance(object_type, GraphQLObjectType)
    return get_named_type(object_type.fields[field].type).name


def result_unions() -> list[GraphQLUnionType]:
    return [
        t
        for name, t in TYPES.items()
        if isinstance(t, GraphQLUnionType) and name.endswith("Result")
    ]


def test_every_error_member_of_every_result_union_implements_error() -> None:
    unions = result_unions()
    assert len(unions) == 5
    for union in unions:
        errors = [member for member in union.types if not member.name.endswith("Success")]
        assert errors, union.name
        for member in errors:
            assert [i.name for i in member.interfaces] == ["Error"], (union.name, member.name)
    success = {m.name for u in unions for m in u.types if m.name.endswith("Success")}
    assert all(not TYPES[name].interfaces for name in success)  # type: ignore[attr-defined]


def test_the_error_interface_has_only_the_message() -> None:
    error = TYPES["Error"]
    assert list(error.fields) == ["message"]  # type: ignore[attr-defined]
    assert str(error.fields["message"].type) == "String!"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("type_name", "field", "enum"),
    [
        ("RiskAssessment", "level", "RiskLevel"),
        ("Skill", "priority", "SkillPriority"),
        ("Notification", "kind", "NotificationKind"),
        ("MissionError", "code", "MissionErrorCode"),
        ("NotRetryableError", "errorCode", "MissionErrorCode"),
        ("FieldError", "code", "FieldErrorCode"),
        ("NotRetryableError", "reason", "NotRetryableReason"),
    ],
)
def test_known_sets_are_enums(type_name: str, field: str, enum: str) -> None:
    assert field_type(type_name, field) == enum


def enum_values(name: str) -> dict[str, str | None]:
    enum = TYPES[name]
    assert isinstance(enum, GraphQLEnumType)
    return {value_name: value.description for value_name, value in enum.values.items()}


def test_enum_values_are_the_domain_sets() -> None:
    assert list(enum_values("RiskLevel")) == ["LOW", "MODERATE", "HIGH", "SEVERE", "UNKNOWN"]
    assert list(enum_values("SkillPriority")) == ["HIGH", "MEDIUM", "LOW"]
    assert list(enum_values("NotificationKind")) == ["PLAN_READY"]


def test_each_mission_error_code_is_described_by_the_message_a_user_reads() -> None:
    values = enum_values("MissionErrorCode")
    assert list(values) == [code.name for code in MissionErrorCode]
    for code in MissionErrorCode:
        assert values[code.name] == report_error(code.value).message


@pytest.mark.parametrize("stored", ["LLM_TIMEOUT", "step_timeout", "job_lost"])
def test_stored_codes_read_as_their_member(stored: str) -> None:
    assert MissionErrorCode.of(stored).value == stored


def test_unknown_stored_values_read_as_the_fallbacks() -> None:
    assert MissionErrorCode.of("made_up") is MissionErrorCode.GENERATION_FAILED
    assert report_error("made_up").code == "generation_failed"
    assert RiskLevel.of("APOCALYPTIC") is RiskLevel.UNKNOWN
    assert SkillPriority.of("whenever") is SkillPriority.MEDIUM
