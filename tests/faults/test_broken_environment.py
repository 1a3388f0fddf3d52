"""A read-only database file and a corrupt model directory: one clear line, a recorded failure, nothing damaged."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from faults.processes import PANTAU, environment, run
from pantau.pipeline import jobs
from pantau.storage.db import make_engine, upgrade
from pantau.storage.models import JobRun, Post
from support import DEMO_STREAM, write_config

DEMO = {"name": "demo", "type": "demo", "enabled": True, "path": str(DEMO_STREAM), "max_posts_per_run": 40}


def unprivileged(command: list[str]) -> list[str]:
    """Root ignores file permissions; drop that power (CAP_DAC_OVERRIDE and friends) for the command."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only file cannot be made read-only for root")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *command]


def pantau_as_user(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = unprivileged([str(PANTAU), *args])
    return subprocess.run(command, capture_output=True, text=True, env=environment(config), timeout=300)


def snapshot(engine: Engine) -> tuple[int, list[tuple[str, str]]]:
    with Session(engine) as session:
        rows = session.execute(select(Post.external_id, Post.text_clean).order_by(Post.external_id)).all()
        runs = session.execute(select(func.count()).select_from(JobRun)).scalar_one()
    return runs, [tuple(row) for row in rows]


@pytest.mark.slow
def test_a_read_only_sqlite_file_is_refused_in_one_line_and_left_intact(tmp_path: Path) -> None:
    database = tmp_path / "pantau.db"
    config = write_config(tmp_path, f"sqlite:///{database}", sources=[DEMO])
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    jobs.collect_job(str(config), "demo")
    before = snapshot(engine)
    engine.dispose()
    assert len(before[1]) == 40 and not Path(f"{database}-wal").exists()

    database.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        cycle = pantau_as_user(config, "run", "--once")
        load = pantau_as_user(config, "import", str(DEMO_STREAM), "--source", "again")
    finally:
        database.chmod(stat.S_IRUSR | stat.S_IWUSR)
    for result in (cycle, load):
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"error: the database file {database} is read-only for this user; Pantau writes to it, "
            "and to its directory for the -wal and -shm files"
        )

    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    assert snapshot(engine) == before
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated weights", "garbage metadata"])
def test_a_corrupt_model_fails_classification_clearly_and_leaves_posts_pending(
    tmp_path: Path, model_copy: Path, damage: str
) -> None:
    if damage == "truncated weights":
        weights = model_copy / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:1000])
    else:
        (model_copy / "pantau.json").write_text("{ this is not json", encoding="utf-8")
    config = write_config(
        tmp_path,
        f"sqlite:///{tmp_path / 'pantau.db'}",
        sources=[DEMO],
        classifier={"model_dir": str(model_copy), "threads": 1},
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'pantau.db'}")
    upgrade(engine)
    classify = run(config, "classify", "--pending")
    cycle = run(config, "run", "--once")
    jobs.collect_job(str(config), "demo")  # as the scheduler runs it: collect, then classify what is pending

    assert classify.returncode == 1
    assert classify.stderr.strip().startswith(f"error: model directory {model_copy} is corrupt: ")
    assert "\n" not in classify.stderr.strip()
    assert cycle.returncode == 1 and "Traceback" not in cycle.stderr
    [failed] = [line for line in cycle.stderr.splitlines() if line.strip()]
    assert failed.startswith(f"[FAIL] classify: model directory {model_copy} is corrupt: ")
    assert failed.endswith("; posts stay pending")
    assert "[ok  ] collect demo: fetched 40, new 40" in cycle.stdout
    with Session(engine) as session:
        pending = session.execute(select(func.count()).where(Post.model_version.is_(None))).scalar_one()
        [job] = session.execute(select(JobRun).where(JobRun.job_id == "collect:demo")).scalars().all()
    assert pending == 80
    assert job.status == "failed" and "is corrupt" in (job.error or "")
    engine.dispose()
