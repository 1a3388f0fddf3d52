"""A private PostgreSQL server for tests that stop and restart it, so the shared one is never touched.

initdb, pg_ctl and postgres run as the `postgres` user when the tests run as root (PostgreSQL refuses
to run as root). The cluster lives in a temporary directory and is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ThrowawayPostgres:
    directory: Path
    bindir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.directory / "data"), "-w", "-t", "60", *args]
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=90)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.directory / "server.log"), "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def find_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").is_file():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def create() -> ThrowawayPostgres | None:
    """A started private cluster, or None when this machine cannot make one (no binaries, no postgres user)."""
    bindir = find_bindir()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        return None
    directory = Path(tempfile.mkdtemp(prefix="pantau-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres")
        initdb = [str(bindir / "initdb"), "-D", str(directory / "data"), "-A", "trust", "-U", "postgres", "--no-sync"]
        subprocess.run(_as_postgres(initdb), check=True, capture_output=True, timeout=120)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        cluster = ThrowawayPostgres(directory, bindir, port)
        cluster.start()
        return cluster
    except (OSError, LookupError, subprocess.SubprocessError):
        shutil.rmtree(directory, ignore_errors=True)
        return None


@dataclass
class SharedPostgres:
    """Fallback when no private cluster can be made: the shared server, stopped as briefly as possible."""

    url: str
    version: str

    def start(self) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", "start"], check=False)
        subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-t", "60"], check=False)

    def stop(self) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", "stop"], check=True)

    def remove(self) -> None:
        self.start()


def shared(url: str) -> SharedPostgres | None:
    versions = (
        sorted(path.name for path in Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    )
    return SharedPostgres(url, versions[-1]) if versions and shutil.which("pg_ctlcluster") else None
