"""Issue 6, point 9: a cursor that decodes to an odd value gets the typed cursor error,
never a 500: bad dates, dates without a zone, huge numbers, non-UTF-8, NULs and the like."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.db.read_queries import InvalidCursor, decode_cursor
from tests.integration.harness import ApiHarness
from tests.security.helpers import new_user

PAGE = "query($after: String) { missionReports(after: $after) { nodes { id } } }"
CURSOR_ERROR = "after: not a cursor returned by this API"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


ID = "0b6f3e8e-6f7c-4a8e-9a4e-2f3c1d5b7a90"
ODD_CURSORS = {
    "not base64": "%%%",
    "no separator": b64(b"2024-01-01T00:00:00+00:00"),
    "date without a zone": b64(f"2024-01-01T00:00:00|{ID}".encode()),
    "date only": b64(f"2024-01-01|{ID}".encode()),
    "month 13": b64(f"2024-13-01T00:00:00+00:00|{ID}".encode()),
    "year 99999": b64(f"99999-01-01T00:00:00+00:00|{ID}".encode()),
    "a huge number": b64(f"{10**400}|{ID}".encode()),
    "a number for the id": b64(b"2024-01-01T00:00:00+00:00|" + str(10**400).encode()),
    "non-UTF-8": b64(b"\xff\xfe\x00|\xc3\x28"),
    "NUL in the id": b64(b"2024-01-01T00:00:00+00:00|abc\x00def"),
    "empty id": b64(b"2024-01-01T00:00:00+00:00|"),
    "JSON instead": b64(b'{"created": 1, "id": [1]}'),
    "far too long": b64(b"2024-01-01T00:00:00+00:00|" + b"a" * 5000),
}


@pytest.mark.parametrize("name", sorted(ODD_CURSORS))
def test_odd_cursors_are_invalid_cursors(name: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(ODD_CURSORS[name])


def test_a_cursor_of_ours_decodes() -> None:
    created = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert decode_cursor(b64(f"{created.isoformat()}|{ID}".encode())) == (created, ID)


def _decodes_cleanly(cursor: str) -> None:
    try:
        created, report_id = decode_cursor(cursor)
    except InvalidCursor:
        return
    assert created.tzinfo is not None and report_id


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=200).map(b64)))
def test_any_text_decodes_or_is_an_invalid_cursor(cursor: str) -> None:
    _decodes_cleanly(cursor)


@pytest.mark.parametrize("name", sorted(ODD_CURSORS))
async def test_over_graphql_an_odd_cursor_is_the_cursor_error(api: ApiHarness, name: str) -> None:
    body = await api.graphql(PAGE, {"after": ODD_CURSORS[name]}, user=new_user())
    assert [e["message"] for e in body["errors"]] == [CURSOR_ERROR]
