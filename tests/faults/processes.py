"""Real `pantau` processes for fault tests: start one, wait for a condition, kill it with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

PANTAU = Path(sys.executable).with_name("pantau")


def environment(config: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PANTAU_CONFIG": str(config), "PYTHONUNBUFFERED": "1", **extra}
    env.pop("PANTAU_DATABASE_URL", None)
    return env


def start(config: Path, *args: str, **extra_env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(PANTAU), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(config, **extra_env),
    )


def run(config: Path, *args: str, timeout: float = 600, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PANTAU), *args], capture_output=True, text=True, env=environment(config, **extra_env), timeout=timeout
    )


def wait_until(
    condition: Callable[[], bool], process: subprocess.Popen[str], *, timeout: float, poll: float = 0.05
) -> None:
    """Poll `condition` until it holds; fail if the process ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"process ended ({process.returncode}) before the condition held: {stderr[-2000:]}")
        time.sleep(poll)
    process.kill()
    raise AssertionError(f"condition not reached within {timeout} s")


def kill9(process: subprocess.Popen[str]) -> None:
    """SIGKILL: no handler, no finally block, no commit runs."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc); empty elsewhere."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.parent.name))
    return found
