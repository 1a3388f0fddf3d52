"""What the benchmarks share: fresh databases, configs, the real CLI as a measured child process."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
PANTAU = Path(sys.executable).with_name("pantau")
DEFAULT_POSTGRES = os.environ.get("PANTAU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(slots=True)
class Measured:
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def fresh_database(backend: str, workdir: Path, postgres_url: str = DEFAULT_POSTGRES) -> str:
    """A new empty SQLite file, or a new PostgreSQL schema (selected through search_path)."""
    if backend == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}"
    schema = f"pantau_bench_{uuid.uuid4().hex[:10]}"
    base = make_url(postgres_url).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        database = Path(str(parsed.database))
        for lock in database.parent.glob(f"{database.name}.*.lock"):  # storage/locks.py's lock files
            lock.unlink(missing_ok=True)
        return
    schema = parsed.query["options"].split("=", 1)[1]
    admin = create_engine(parsed.difference_update_query(["options"]), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def write_config(workdir: Path, database_url: str, **overrides: Any) -> Path:
    """The shipped config pointed at `database_url`, with its data directory in `workdir`."""
    document = yaml.safe_load((PACKAGE_ROOT / "config.yaml").read_text(encoding="utf-8"))
    document["database"]["url"] = database_url
    document["data_dir"] = str(workdir / "data")
    document["digest"]["output_dir"] = str(workdir / "data" / "digests")
    document["sources"] = [{"name": "demo", "type": "demo", "enabled": False}]
    document.update(overrides)
    path = workdir / f"config-{uuid.uuid4().hex[:8]}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def upgrade(database_url: str) -> None:
    from pantau.storage.db import make_engine
    from pantau.storage.db import upgrade as upgrade_schema

    engine = make_engine(database_url)
    upgrade_schema(engine)
    engine.dispose()


def measure(command: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `command` through a fresh helper process, so peak RSS and CPU are this command's alone."""
    helper = [sys.executable, "-m", "pantau.bench.common", "--measure", *command]
    result = subprocess.run(helper, capture_output=True, text=True, env=env or os.environ.copy(), check=False)
    lines = result.stdout.strip().splitlines()
    if not lines:
        raise SystemExit(f"measuring {command} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(lines[-1])
    return Measured(
        seconds=figures["seconds"],
        cpu_seconds=figures["cpu_seconds"],
        peak_rss_mb=figures["peak_rss_mb"],
        returncode=figures["returncode"],
        stdout="\n".join(lines[:-1]),
        stderr=result.stderr,
    )


def _measure_child(command: list[str]) -> int:
    started = time.perf_counter()
    child = subprocess.run(command, check=False, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stdout.write(child.stdout)
    sys.stderr.write(child.stderr[-5000:])
    figures = {
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "returncode": child.returncode,
    }
    print(json.dumps(figures))
    return 0


def machine_note() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} CPU(s), load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)"


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "--measure":
    raise SystemExit(_measure_child(sys.argv[2:]))
