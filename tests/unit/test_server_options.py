"""What `python -m graph.serve` hands uvicorn comes from the settings, within bounds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from graph.serve import server_options
from infra.settings import Settings


def test_websocket_pings_default_to_every_45_seconds() -> None:
    options = server_options(Settings())
    assert (options["ws_ping_interval"], options["ws_ping_timeout"]) == (45.0, 20.0)


def test_websocket_pings_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WS_PING_SECONDS", "30")
    monkeypatch.setenv("WS_PING_TIMEOUT_SECONDS", "10")
    options = server_options(Settings())
    assert (options["ws_ping_interval"], options["ws_ping_timeout"]) == (30.0, 10.0)


def test_the_write_deadline_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    default = server_options(Settings())
    monkeypatch.setenv("HTTP_WRITE_STALL_SECONDS", "7.5")
    options = server_options(Settings())
    seconds = [
        (o["http"].write_stall_seconds, o["ws"].write_stall_seconds) for o in (default, options)
    ]
    assert seconds == [(60.0, 60.0), (7.5, 7.5)]


@pytest.mark.parametrize(
    "values",
    [
        {"WS_PING_SECONDS": "1"},  # a ping a second per socket is a flood, not a check
        {"WS_PING_SECONDS": "0"},
        {"WS_PING_TIMEOUT_SECONDS": "0"},
        {"HTTP_WRITE_STALL_SECONDS": "0"},
        {"DATABASE_POOL_SIZE": "0"},
        {"DATABASE_MAX_OVERFLOW": "-1"},
    ],
)
def test_out_of_range_values_are_refused_at_start(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)  # type: ignore[arg-type]
