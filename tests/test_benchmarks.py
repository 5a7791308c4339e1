"""The benchmark scripts run from a clean checkout, at a tiny size: each ends with its
figures as key=value pairs, and the checks they print (no 5xx, no lost write) hold.

The figures themselves are not checked (tests never assert on time); README's performance
section has them at full size. With TEST_DATABASE_URL set, the scripts that can run on
PostgreSQL do (on 127.0.0.1:5432, as the scripts expect), in a database of their own that
is dropped afterwards.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "postgresql" if PG_URL else "sqlite"


def run(script: str, *args: str, timeout: int = 300) -> dict[str, str]:
    """Run benchmarks/<script> and return the key=value pairs of its last line."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    pairs = dict(pair.split("=", 1) for pair in last.split())
    assert pairs and all(pairs.values()), last
    return pairs


@pytest.fixture
def pg_database():
    """A PostgreSQL database name for a script that keeps its database; dropped after."""
    name = f"careloop_bench_test_{uuid.uuid4().hex[:10]}"
    yield name
    engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def test_complaints_queue(tmp_path, request):
    where = (request.getfixturevalue("pg_database") if DATABASE == "postgresql"
             else str(tmp_path / "queue.sqlite3"))
    args = ("--database", DATABASE, "--db", where, "--cases", "120", "--events", "300",
            "--discharges", "500", "--repeat", "10")
    figures = run("complaints_queue.py", *args)
    assert figures["database"] == DATABASE and figures["cases"] == "120"
    for key in ("queue_ms", "case_ms", "floor_ms", "ratio", "cpu_ratio"):
        assert float(figures[key]) > 0, key
    again = run("complaints_queue.py", *args)   # --db: the database is reused, not rebuilt
    assert again["cases"] == "120" and float(again["ratio"]) > 0


def test_load_with_its_checks():
    figures = run("load.py", "--database", DATABASE, "--requests", "40", "--clients", "2",
                  "--rounds", "1")
    assert figures["database"] == DATABASE and figures["workers"] == "4"
    assert figures["5xx"] == figures["calls_5xx"] == figures["floor_5xx"] == "0"
    assert figures["rows_written"] == figures["rows_acknowledged"]
    assert figures["lost_writes"] == "0" and figures["half_written_tasks"] == "0"
    assert figures["ok"] == "1"
    for key in ("rps", "p50_ms", "p95_ms", "p99_ms", "calls_rps", "floor_rps", "ratio"):
        assert float(figures[key]) > 0, key
    if DATABASE == "sqlite":
        assert figures["integrity_check"] == "ok"


def test_dashboard_writes():
    args = ("--db", f"{PG_SERVER}/postgres") if DATABASE == "postgresql" else ()
    figures = run("dashboard_writes.py", "--calls", "20", "--discharges", "800", *args)
    assert figures["db"] == DATABASE and figures["calls"] == "20"
    assert float(figures["with_summaries_median_cpu_ms"]) > 0


def test_import_discharges(tmp_path, request):
    if DATABASE == "postgresql":
        name = request.getfixturevalue("pg_database")
        engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as con:
            con.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        where = ("--database-url", f"{PG_SERVER}/{name}")
    else:
        where = ("--db", str(tmp_path / "import.sqlite3"))
    figures = run("import_discharges.py", "--discharges", "1000", *where)
    assert figures["database"].startswith(DATABASE) and figures["rows"] == "1000"
    assert float(figures["rows_per_s"]) > 0 and float(figures["peak_rss_mb"]) > 0


@pytest.mark.skipif(DATABASE != "sqlite", reason="SQLite-only scripts: run in the SQLite suite")
@pytest.mark.parametrize(("script", "args", "keys"), [
    ("worklist.py", ("--discharges", "1000", "--due", "50", "--reps", "5"),
     ("worklist_ms", "floor_ms", "attempt_ms")),
    ("dashboard.py", ("--discharges", "2000", "--runs", "1"),
     ("leader_all_dashboard_ms", "leader_all_floor_ms", "leader_all_ratio")),
    ("survey_results.py", ("--responses", "200", "--discharges", "500", "--runs", "1"),
     ("results_ms", "floor_ms", "ratio")),
], ids=lambda v: v if isinstance(v, str) and v.endswith(".py") else "")
def test_sqlite_benchmarks(tmp_path, script, args, keys):
    figures = run(script, *args, "--db", str(tmp_path / "bench.sqlite3"))
    for key in keys:
        assert float(figures[key]) > 0, key
