"""Benchmark: the nurse's worklist and one logged attempt, against the raw SQL floor.

    python benchmarks/worklist.py [--discharges N] [--due 5000] [--db PATH] [--reps 40]

Builds (or reuses, with --db PATH) a SQLite database with N discharges of history spread
over the past year on 8 wards (one patient each, one closed D+3 task and one call attempt
each) plus `--due` discharges on ward W01 whose tasks are due today. Then, through
app.test_client() signed in as a W01 nurse:

- worklist_ms: GET /followups/?tab=today as htmx fragment and as full page (median; p95 shown);
- attempt_ms: POST one "no answer" (htmx), a different task each time;
- floor_ms: the SQL statements the worklist request ran, replayed on a raw sqlite3 connection;
- ratio = worklist_ms / floor_ms;
- healthz_ms: GET /healthz, for scale: what any request costs here (WSGI, session, headers);
- cpu_*: the same worklist and floor runs in CPU time of this process: on a machine shared
  with other work, wall times also hold waits for a CPU, which fall unevenly on runs of
  different lengths; `cpu_ratio` is the same comparison without them.

CSRF and rate limits are off in this app instance (the measured work is the view). The last
line prints the figures as key=value pairs.
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BATCH = 20_000
WARDS = [f"W{i:02d}" for i in range(1, 9)]
CLOSED = (("completed", "reached_patient", 0.80), ("completed", "reached_family", 0.05),
          ("lost", "no_answer", 0.10), ("cancelled", "readmitted", 0.05))


def make_app(path: str):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                       "SECRET_KEY": "benchmark-secret-key-0123456789abcdef0123",
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                       "RATELIMIT_STORAGE_URI": "memory://", "TESTING": True})


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _pick_closed(rng: random.Random):
    x = rng.random()
    for status, outcome, share in CLOSED:
        if x < share:
            return status, outcome
        x -= share
    return CLOSED[0][:2]


def migrate(path: str) -> None:
    from flask_migrate import upgrade

    app = make_app(path)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))


def build(path: str, discharges: int, due: int, seed: int = 7) -> None:
    """Schema from the migrations, accounts through the ORM, history by bulk inserts."""
    from flask_migrate import upgrade

    from portal.auth.models import User
    from portal.auth.passwords import hash_password
    from portal.extensions import db
    from portal.followups.models import FollowUpRule
    from portal.timeutil import local_today
    from portal.wards.models import Ward

    app = make_app(path)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        wards = [Ward(code=c, name=f"病区{c}", name_en=f"Ward {c}") for c in WARDS]
        db.session.add_all(wards)
        db.session.flush()
        pw = hash_password("benchmark-pass-2026")
        nurse = User(username="bench-nurse", role="nurse", password_hash=pw, wards=[wards[0]])
        db.session.add(nurse)
        rules = [FollowUpRule(ward_id=w.id, label="D+3", days_after=3, window_days=2,
                              call_script="您好，这里是病区随访。") for w in wards]
        db.session.add_all(rules)
        db.session.commit()
        ward_ids = [w.id for w in wards]
        rule_ids = {r.ward_id: r.id for r in rules}
        nurse_id = nurse.id
        today = local_today()
        db.engine.dispose()

    rng = random.Random(seed)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now = _ts(datetime.now(UTC))
    total = discharges + due
    t0 = time.perf_counter()
    con.execute("BEGIN")
    for start in range(0, total, BATCH):
        ids = range(start + 1, min(start + BATCH, total) + 1)
        patients, disch, tasks, attempts = [], [], [], []
        for i in ids:
            history = i <= discharges
            sex = "F" if i % 2 else "M"
            patients.append((i, f"B{i:09d}", f"患者{i}", sex, 20 + i % 70, f"13{i % 10}{i:08d}"[:11],
                             1, now, now))
            if history:
                ward = ward_ids[i % len(ward_ids)]
                out = today - timedelta(days=5 + rng.randrange(360))
            else:
                ward, out = ward_ids[0], today - timedelta(days=3)
            due_on = out + timedelta(days=3)
            disch.append((i, i, ward, (out - timedelta(days=7)).isoformat(), out.isoformat(),
                          "冠状动脉粥样硬化性心脏病", "", now))
            if history:
                status, outcome = _pick_closed(rng)
                at = _ts(datetime.combine(due_on, datetime.min.time(), UTC) + timedelta(hours=2))
                tasks.append((i, i, rule_ids[ward], ward, "ward", due_on.isoformat(),
                              (due_on + timedelta(days=2)).isoformat(), status, 1, outcome, at,
                              now, 2))
                attempts.append((i, i, nurse_id, at, outcome, "", "", "", uuid4().hex))
            else:
                tasks.append((i, i, rule_ids[ward], ward, "ward", due_on.isoformat(),
                              (due_on + timedelta(days=2)).isoformat(), "pending", 0, None, None,
                              now, 1))
        con.executemany("INSERT INTO patients (id, mrn, name, sex, age_years, phone, consent,"
                        " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", patients)
        con.executemany("INSERT INTO discharges (id, patient_id, ward_id, admitted_on,"
                        " discharged_on, diagnosis, attending_nurse, created_at)"
                        " VALUES (?,?,?,?,?,?,?,?)", disch)
        con.executemany("INSERT INTO followup_tasks (id, discharge_id, rule_id, ward_id, kind,"
                        " due_on, window_end, status, attempts, last_outcome, completed_at,"
                        " created_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", tasks)
        if attempts:
            con.executemany("INSERT INTO call_attempts (id, task_id, nurse_id, at, outcome,"
                            " concerns, compliments, notes, idempotency_key)"
                            " VALUES (?,?,?,?,?,?,?,?,?)", attempts)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    print(f"built {discharges} history + {due} due discharges in "
          f"{time.perf_counter() - t0:.0f}s", file=sys.stderr)


def existing_size(path: str) -> int:
    if not os.path.exists(path):
        return -1
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM discharges").fetchone()[0]
    except sqlite3.Error:
        return -1
    finally:
        con.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def measure(path: str, reps: int) -> dict[str, float]:
    """Requests run outside any app context, as in a server: each gets its own context."""
    from sqlalchemy import event, select

    from portal.auth.models import User
    from portal.extensions import db
    from portal.followups import worklist
    from tests.conftest import sign_in_session

    app = make_app(path)
    client = app.test_client()
    with app.app_context():
        nurse = db.session.scalar(select(User).where(User.username == "bench-nurse"))
        sign_in_session(client, nurse)
        pending = sorted(((r.id, r.version) for r in worklist.worklist_rows(nurse, "today")),
                         reverse=True)[:reps + 5]
        engine = db.engine
        db.session.remove()

    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    headers = {"HX-Request": "true"}
    for _ in range(3):   # warm up caches and the statement cache
        assert client.get("/followups/?tab=today", headers=headers).status_code == 200
    event.listen(engine, "before_cursor_execute", capture)
    client.get("/followups/?tab=today", headers=headers)
    event.remove(engine, "before_cursor_execute", capture)

    cpu: dict[str, list[float]] = {"worklist": [], "floor": []}

    def timed(fn, cpu_key: str | None = None) -> float:
        t, c = time.perf_counter(), time.process_time()
        fn()
        if cpu_key:
            cpu[cpu_key].append((time.process_time() - c) * 1000)
        return (time.perf_counter() - t) * 1000

    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")

    def replay():
        raw.execute("BEGIN")
        for sql, params in statements:
            raw.execute(sql, params).fetchall()
        raw.execute("COMMIT")

    for _ in range(3):
        replay()
    # interleaved, so that load from other processes falls on app and floor alike
    frag, page, floor, base = [], [], [], []
    for _ in range(reps):
        frag.append(timed(lambda: client.get("/followups/?tab=today", headers=headers),
                          "worklist"))
        page.append(timed(lambda: client.get("/followups/?tab=today")))
        floor.append(timed(replay, "floor"))
        base.append(timed(lambda: client.get("/healthz")))
    raw.close()

    attempt = []
    for task_id, version in pending[:reps]:
        data = {"outcome": "no_answer", "key": uuid4().hex, "version": str(version)}
        resp = None

        def post(task_id=task_id, data=data):
            nonlocal resp
            resp = client.post(f"/followups/tasks/{task_id}/attempts", data=data,
                               headers=headers)

        attempt.append(timed(post))
        assert resp.status_code == 200, resp.status_code
    return {
        "worklist_ms": statistics.median(frag), "worklist_p95_ms": pct(frag, .95),
        "page_ms": statistics.median(page), "page_p95_ms": pct(page, .95),
        "attempt_ms": statistics.median(attempt), "attempt_p95_ms": pct(attempt, .95),
        "floor_ms": statistics.median(floor), "statements": len(statements),
        "healthz_ms": statistics.median(base),
        "cpu_worklist_ms": statistics.median(cpu["worklist"]),
        "cpu_floor_ms": statistics.median(cpu["floor"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discharges", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=5_000)
    parser.add_argument("--db", default="")
    parser.add_argument("--reps", type=int, default=40)
    args = parser.parse_args()
    path = args.db or f"/tmp/careloop-worklist-{args.discharges}.sqlite3"
    if existing_size(path) != args.discharges + args.due:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        build(path, args.discharges, args.due)
    else:
        print(f"reusing {path}", file=sys.stderr)
        migrate(path)   # a database built by an older revision gets the newer indexes
    r = measure(path, args.reps)
    r["ratio"] = r["worklist_ms"] / r["floor_ms"]
    r["cpu_ratio"] = r["cpu_worklist_ms"] / r["cpu_floor_ms"]
    print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in {"discharges": args.discharges, "due": args.due, **r}.items()))


if __name__ == "__main__":
    main()
