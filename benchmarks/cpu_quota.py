"""Holds a benchmark's server process to a share of a CPU (a cgroup's CPU quota).

On a 2-vCPU machine two API processes, PostgreSQL, Redis and the load generator
all want the same two cores: uncapped, a second API process mostly takes CPU from
the first, so "2 processes vs 1" measures the machine, not how the service scales.
With each API process held to the same quota (say half a core) in both runs, the
second process brings CPU of its own, as a second machine would, and what the ratio
shows is what the design loses in spreading the work: the shared database, the bus
and its fan-out. Needs root (cgroup v1's cpu controller or cgroup v2's cpu.max);
the groups are removed at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

_PERIOD_US = 100_000
_V1 = Path("/sys/fs/cgroup/cpu")
_V2 = Path("/sys/fs/cgroup")


def _tree() -> tuple[Path, bool]:
    """The cgroup tree CPU quotas are made in, and whether it is cgroup v2."""
    v2 = (_V2 / "cgroup.controllers").exists()
    return (_V2 if v2 else _V1), v2


def available() -> bool:
    """Whether this process may make CPU quota groups (root, with a cpu controller)."""
    root, _ = _tree()
    return os.geteuid() == 0 and root.is_dir() and os.access(root, os.W_OK)


class CpuQuota:
    """One cgroup named `name` allowing `cores` CPUs; `add(pid)` moves a process in."""

    def __init__(self, name: str, cores: float) -> None:
        if cores <= 0:
            raise SystemExit("--cpu-per-process must be > 0")
        self._quota_us = max(1000, round(cores * _PERIOD_US))
        self._root, v2 = _tree()
        self.path = self._root / f"bench-{name}-{os.getpid()}"
        try:
            self.path.mkdir()
            if v2:
                (self.path / "cpu.max").write_text(f"{self._quota_us} {_PERIOD_US}")
            else:
                (self.path / "cpu.cfs_period_us").write_text(str(_PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(str(self._quota_us))
        except OSError as exc:
            self.remove()
            raise SystemExit(
                f"cannot make a CPU quota cgroup under {self._root} ({exc}); run as root "
                "on a machine with cgroup v1's cpu controller or cgroup v2, "
                "or leave out --cpu-per-process"
            ) from None

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def remove(self) -> None:
        """Moves what is left back to the root group, then removes the group."""
        if not self.path.exists():
            return
        try:
            for pid in (self.path / "cgroup.procs").read_text().split():
                (self._root / "cgroup.procs").write_text(pid)
            self.path.rmdir()
        except OSError:
            pass
