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

from benchmarks.load_server import PG_ADMIN
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = PG_ADMIN.format(port=5432)   # where the scripts look for PostgreSQL
PG_SERVER = ADMIN_URL.rsplit("/", 1)[0]
DATABASE = "postgresql" if PG_URL else "sqlite"


def run(script: str, *args: str, timeout: int = 300) -> tuple[dict[str, str], str]:
    """Run benchmarks/<script>: the key=value pairs of its last line, and what it logged."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    pairs = dict(pair.split("=", 1) for pair in last.split())
    assert pairs and all(pairs.values()), last
    return pairs, done.stderr


@pytest.fixture
def pg_database():
    """A new, empty PostgreSQL database for a script that uses one it is given; dropped
    after."""
    name = f"careloop_bench_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    yield name
    with engine.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def test_complaints_queue(tmp_path, request):
    where = (request.getfixturevalue("pg_database") if DATABASE == "postgresql"
             else str(tmp_path / "queue.sqlite3"))
    args = ("--database", DATABASE, "--db", where, "--cases", "120", "--events", "300",
            "--discharges", "500", "--repeat", "10")
    figures, log = run("complaints_queue.py", *args)
    assert figures["database"] == DATABASE and figures["cases"] == "120"
    assert "built in" in log and "reusing the database" not in log
    for key in ("queue_ms", "case_ms", "floor_ms", "ratio", "cpu_ratio"):
        assert float(figures[key]) > 0, key
    again, log = run("complaints_queue.py", *args)   # --db: the database is reused
    assert "reusing the database" in log and "built in" not in log
    assert again["cases"] == "120" and float(again["ratio"]) > 0


def test_load_with_its_checks():
    figures, _ = run("load.py", "--database", DATABASE, "--requests", "40", "--clients", "2",
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
    args = ("--db", ADMIN_URL) if DATABASE == "postgresql" else ()
    figures, _ = run("dashboard_writes.py", "--calls", "20", "--discharges", "800", *args)
    assert figures["db"] == DATABASE and figures["calls"] == "20"
    assert float(figures["with_summaries_median_cpu_ms"]) > 0


def test_import_discharges(tmp_path, request):
    if DATABASE == "postgresql":
        where = ("--database-url", f"{PG_SERVER}/{request.getfixturevalue('pg_database')}")
    else:
        where = ("--db", str(tmp_path / "import.sqlite3"))
    figures, _ = run("import_discharges.py", "--discharges", "1000", *where)
    assert figures["database"].startswith(DATABASE) and figures["rows"] == "1000"
    assert float(figures["rows_per_s"]) > 0 and float(figures["peak_rss_mb"]) > 0


@pytest.mark.skipif(DATABASE != "sqlite", reason="SQLite-only scripts: run in the SQLite suite")
@pytest.mark.parametrize(("script", "args", "keys"), [
    pytest.param("worklist.py", ("--discharges", "1000", "--due", "50", "--reps", "5"),
                 ("worklist_ms", "floor_ms", "attempt_ms"), id="worklist"),
    pytest.param("dashboard.py", ("--discharges", "2000", "--runs", "1"),
                 ("leader_all_dashboard_ms", "leader_all_floor_ms", "leader_all_ratio"),
                 id="dashboard"),
    pytest.param("survey_results.py", ("--responses", "200", "--discharges", "500",
                                       "--runs", "1"),
                 ("results_ms", "floor_ms", "ratio"), id="survey_results"),
])
def test_sqlite_benchmarks(tmp_path, script, args, keys):
    figures, _ = run(script, *args, "--db", str(tmp_path / "bench.sqlite3"))
    for key in keys:
        assert float(figures[key]) > 0, key
