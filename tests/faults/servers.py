"""Throwaway PostgreSQL and Redis servers that the fault tests own and may break.

Each one lives in a temp dir of its own, listens on 127.0.0.1 on a free port and is
removed at the end, so stopping or killing it touches nobody else's server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import free_port

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60
# PostgreSQL refuses to run as root: a root test run hands the cluster to this OS user.
POSTGRES_OS_USER = "postgres"
POSTGRES_SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    # Nothing here has to survive a crash of the machine: trade durability for speed.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "'32MB'",
}


class ServerUnavailable(Exception):
    """A binary or OS user the throwaway servers need is missing (skip, or fail in CI)."""


def _postgres_bin_dir() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if all(Path(candidate, tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    raise ServerUnavailable("PostgreSQL binaries (initdb, pg_ctl, postgres) not found")


def _version(bin_dir: str) -> tuple[int, ...]:
    name = Path(bin_dir).parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _as_postgres_user() -> tuple[list[str], pwd.struct_passwd | None]:
    if os.geteuid() != 0:
        return [], None
    try:
        account = pwd.getpwnam(POSTGRES_OS_USER)
    except KeyError:
        raise ServerUnavailable(f"running as root and no {POSTGRES_OS_USER!r} OS user") from None
    return ["runuser", "-u", POSTGRES_OS_USER, "--"], account


@dataclass
class ThrowawayPostgres:
    """A cluster of our own: `initdb` into a temp dir, trust auth, one free port."""

    root: Path
    bin_dir: Path
    run_as: list[str]
    port: int = field(default_factory=free_port)

    @classmethod
    def create(cls) -> ThrowawayPostgres:
        bin_dir = _postgres_bin_dir()
        run_as, account = _as_postgres_user()
        root = Path(tempfile.mkdtemp(prefix="mp-faults-pg-"))
        if account is not None:
            os.chown(root, account.pw_uid, account.pw_gid)
        cluster = cls(root=root, bin_dir=bin_dir, run_as=run_as)
        try:
            cluster._initdb()
            cluster.start()
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres", driver: str = "postgresql") -> str:
        return f"{driver}://postgres@{HOST}:{self.port}/{database}"

    def start(self) -> None:
        """Starts the cluster (again) on its port; returns once it accepts connections."""
        self._pg_ctl("start", "-l", str(self.log_path), "-t", str(START_TIMEOUT_SECONDS))

    def create_database(self, name: str) -> None:
        self._run("createdb", "--host", HOST, "--port", str(self.port), "-U", "postgres", name)

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def destroy(self) -> None:
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _initdb(self) -> None:
        self._run(
            "initdb", "--no-sync", "--encoding=UTF8", "--locale=C", "--auth=trust",
            "--username=postgres", "--pgdata", str(self.data_dir),
        )  # fmt: skip
        settings = {
            **POSTGRES_SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
        }
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def _pg_ctl(self, action: str, *args: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data_dir), "-w", *args)

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.run_as, str(self.bin_dir / tool), *args]
        done = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}\n"
                f"{self.log_tail()}"
            )


@dataclass
class ThrowawayRedis:
    """`redis-server` of our own on a free port, persisting nothing."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls) -> ThrowawayRedis:
        if shutil.which("redis-server") is None:
            raise ServerUnavailable("redis-server not found")
        server = cls(root=Path(tempfile.mkdtemp(prefix="mp-faults-redis-")))
        try:
            server.start()
        except BaseException:
            server.destroy()
            raise
        return server

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def start(self) -> None:
        """Starts the server (again) on its port; returns once it answers PING."""
        command = [
            "redis-server", "--port", str(self.port), "--bind", HOST, "--save", "",
            "--appendonly", "no", "--dir", str(self.root),
            "--logfile", str(self.root / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._answers_ping():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server not answering on port {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the server is gone at once, with whatever it held."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def destroy(self) -> None:
        try:
            self.kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
