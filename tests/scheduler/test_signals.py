"""`pantau run` as a real process: it lists its jobs, and SIGTERM makes it stop cleanly with code 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pantau.core.config import load_settings
from pantau.storage.db import make_engine, upgrade
from support import write_config

PANTAU = Path(sys.executable).with_name("pantau")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_scheduler_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    config = write_config(
        tmp_path,
        f"sqlite:///{tmp_path / 'pantau.db'}",
        sources=[{"name": "demo", "type": "demo", "enabled": False}],
        digest={"formats": ["md"]},
    )
    engine = make_engine(load_settings(config).database_url)
    upgrade(engine)
    engine.dispose()
    environment = {**os.environ, "PANTAU_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}
    environment.pop("PANTAU_DATABASE_URL", None)
    process = subprocess.Popen(
        [str(PANTAU), "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )
    lines = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.strip().startswith("retention") or not line:
            break
    process.send_signal(signum)
    assert process.stderr is not None
    try:
        # Read through the same buffered stream as readline above: communicate() reads the raw pipe and would
        # drop job lines already buffered (the job order, and so what is buffered, depends on the time of day).
        stdout = process.stdout.read()
        stderr = process.stderr.read()
        process.wait(timeout=60)
    finally:
        process.kill()
    output = "".join(lines) + stdout
    assert process.returncode == 0, stderr
    assert "pantau scheduler started" in output
    assert "digest" in output and "next run" in output
    assert f"received {signum.name}" in output and output.rstrip().endswith("pantau scheduler stopped")
