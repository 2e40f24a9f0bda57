"""Parallel test workers pick server ports from disjoint sets, so they never pick the same."""

from __future__ import annotations

import socket

import pytest

from benchmarks.common import free_port


@pytest.mark.parametrize("worker", ["gw0", "gw1", "gw2"])
def test_each_worker_keeps_to_its_own_ports(monkeypatch: pytest.MonkeyPatch, worker: str) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    assert {free_port() % 3 for _ in range(20)} == {int(worker[2:])}


def test_the_port_is_free_to_bind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))
