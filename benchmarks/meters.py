"""What the benchmarks measure besides their own clocks: processes' CPU and memory.

Read from /proc, so a figure is per process: the server's CPU per request holds up
better on a shared machine than requests per second do.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Server

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Profiler:
    """py-spy attached to a server for one measurement (collapsed stacks, text)."""

    def __init__(self, py_spy: str | None, out_dir: Path | None) -> None:
        self._py_spy = py_spy
        self._out_dir = out_dir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, server: Server, label: str, seconds: float) -> None:
        if self._out_dir is None:
            return
        if self._py_spy is None:
            raise SystemExit("--profile-dir needs py-spy (see benchmarks/README.md)")
        self._out_dir.mkdir(parents=True, exist_ok=True)
        out = self._out_dir / f"{label}.txt"
        argv = [self._py_spy, "record", "--pid", str(server.pid), "--output", str(out)]
        argv += ["--duration", str(int(seconds)), "--rate", "200", "--format", "raw"]
        argv += ["--full-filenames", "--nonblocking"]
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self._process is not None:
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL process (other users' queries included, if any)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().split(" (", 1)[1].startswith("postgres)"):
                found[int(stat.parent.name)] = cpu_seconds(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def machine_busy_seconds() -> float:
    """CPU seconds of all processes, plus what the hypervisor stole (from /proc/stat).

    Interrupts are left out: the benchmark's own loopback traffic is handled there.
    """
    ticks = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, steal = (int(ticks[i]) for i in (0, 1, 2, 7))
    return (user + nice + system + steal) / CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU seconds spent by a server, PostgreSQL, this (load generator) process, and others.

    `others` is the rest of the machine (other people's tests on a shared machine, and
    time the hypervisor stole): a run where it is high is noise, not a figure.
    """

    pid: int
    start: tuple[float, ...] = ()
    # More server processes counted into `server` (the API processes of a cluster) and
    # helpers counted apart into `helpers` (a throwaway redis-server), so they are not
    # taken for other people's load.
    more_servers: tuple[int, ...] = ()
    helper_pids: tuple[int, ...] = ()

    def __enter__(self) -> CpuMeter:
        self._postgres = postgres_cpu()
        self.start = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._now()
        self.wall, self.server, self.helpers, self.client, busy = (
            e - s for e, s in zip(end, self.start, strict=True)
        )
        # Backends that ended meanwhile are missed; those that started count whole.
        postgres_end = postgres_cpu()
        self.postgres = sum(t - self._postgres.get(pid, 0.0) for pid, t in postgres_end.items())
        self.busy = busy
        self.others = max(0.0, busy - self.server - self.helpers - self.postgres - self.client)

    def _now(self) -> tuple[float, ...]:
        return (
            time.monotonic(),
            sum(map(cpu_seconds, (self.pid, *self.more_servers))),
            sum(map(cpu_seconds, self.helper_pids)),
            time.process_time(),
            machine_busy_seconds(),
        )


async def wait_for_quiet(max_wait: float, threshold: float = 0.2) -> float:
    """Other processes' share of a CPU over 1 s; waits up to `max_wait` for it to fall below
    `threshold`. Returns the last figure (a shared machine's tests are the noise)."""
    deadline = time.monotonic() + max_wait
    while True:
        busy, own = machine_busy_seconds(), time.process_time()
        await asyncio.sleep(1.0)
        others = max(0.0, machine_busy_seconds() - busy - (time.process_time() - own))
        if others < threshold or time.monotonic() >= deadline:
            return others
        print(f"  other processes use {others:.0%} of a CPU; waiting for a quieter machine")


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"
