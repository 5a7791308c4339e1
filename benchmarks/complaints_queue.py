"""The quality queue and a case page, through the app and as their raw SQL.

    python benchmarks/complaints_queue.py [--database sqlite|postgresql] [--db PATH|NAME]
                                          [--discharges 1000000] [--cases 50000]
                                          [--events 200000] [--repeat 30]

Builds (or reuses, with --db of an earlier run) a database migrated with `flask db upgrade`:
SQLite (--db: the file; default a temporary one) or PostgreSQL, the production database, on
127.0.0.1:5432 (--db: the database name, default careloop_bench_queue; created when missing
and kept, so the next run reuses it; drop it by hand). It holds --cases complaints (on 8
wards, every state, deadlines around today), --events timeline entries and --discharges
discharges (bulk-inserted here: the demo-data generator is not bulk). Then, signed in as quality staff:
  queue_ms  median time of GET /complaints?view=queue through the Flask app (test client:
            routing, session, access rules, ORM, templates), each request in its own app
            context as in a server (its own database session and transaction, its signed-in
            user loaded from the database);
  case_ms   median time of GET /complaints/<id> for a case with 20 timeline entries;
  floor_ms  median time of the SAME SQL statements the queue page issued (BEGIN, the user,
            the page, the count), captured from the engine and replayed on a raw DB-API
            cursor and ended with a rollback (no ORM, no templates), in blocks of
            10 that take turns with blocks of 10 page requests (a shared machine's speed
            drifts during a run; each side runs back to back within its block);
  case_floor_ms  the same for the case page;
  ratio     queue_ms / floor_ms;  case_ratio  case_ms / case_floor_ms;
  cpu_ratio the queue ratio in process CPU time instead of wall-clock time (same runs): on a
            shared, loaded machine a longer task is preempted more, which inflates the wall
            ratio; CPU time is what the app itself spends.
The last line holds key=value pairs.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = "bench-secret-key-0123456789abcdef0123456789"
STATES = ("received", "assigned", "investigating", "responded", "corrective_action",
          "verified", "closed", "closed", "closed", "withdrawn")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def database_url(args) -> str:
    if args.database == "sqlite":
        path = args.db or os.path.join(tempfile.mkdtemp(prefix="complaints-bench-"),
                                       "bench.sqlite3")
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine, text

    from benchmarks.load_server import PG_ADMIN

    admin = PG_ADMIN.format(port=5432)
    name = args.db or "careloop_bench_queue"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        if not con.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            con.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{admin.rsplit('/', 1)[0]}/{name}"


def make_app(url: str):
    from portal import create_app

    return create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url,
                       "RATELIMIT_STORAGE_URI": "memory://", "TESTING": False})


def build(app, args) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select

    from portal.auth.models import User
    from portal.complaints.models import Complaint, ComplaintEvent, complaint_wards
    from portal.extensions import db
    from portal.wards.models import Ward

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if db.session.scalar(select(func.count(Complaint.id))) >= args.cases:
            log("reusing the database")
            return
        t0 = time.perf_counter()
        rng = random.Random(2026)
        wards = [Ward(code=f"W{i:02d}", name=f"病区{i}") for i in range(1, 9)]
        users = [User(username=u, role=r, password_hash="x", display_name=u)
                 for u, r in (("bench_quality", "quality"), ("bench_head", "head_nurse"))]
        db.session.add_all(wards + users)
        db.session.flush()
        q, h = users
        now = datetime.now(UTC)
        today = now.date()
        _discharges(db, args.discharges, [w.id for w in wards], rng)
        rows, links = [], []
        for i in range(1, args.cases + 1):
            received = now - timedelta(minutes=rng.randint(0, 60 * 24 * 720))
            state = rng.choice(STATES)
            due = None if state in ("verified", "closed", "withdrawn") else \
                today + timedelta(days=rng.randint(-20, 15))
            rows.append({"id": i, "reference": f"TS-{received.year}-{i:06d}", "kind": "complaint",
                         "source": "telephone", "received_at": received, "receiver_id": h.id,
                         "filed_by_id": h.id, "category_id": rng.randint(1, 9),
                         "severity": rng.choice(("low", "medium", "high")), "state": state,
                         "complainant_name": "张女士", "complainant_relation": "女儿",
                         "complainant_phone": "13812345678", "staff_names": "",
                         "description": "家属反映呼叫铃响应慢。" * 5, "response_text": "",
                         "ack_due_on": due, "response_due_on": due, "next_due_on": due,
                         "is_repeat": rng.random() < 0.1, "version": 1,
                         "created_at": received, "updated_at": received})
            links.append({"complaint_id": i, "ward_id": wards[i % 8].id})
            if i % 7 == 0:
                links.append({"complaint_id": i, "ward_id": wards[(i + 3) % 8].id})
        for chunk in range(0, len(rows), 10_000):
            db.session.execute(insert(Complaint), rows[chunk:chunk + 10_000])
        db.session.execute(insert(complaint_wards), links)
        events = []
        for n in range(args.events):
            case_id = 1 if n < 20 else rng.randint(1, args.cases)
            events.append({"complaint_id": case_id, "user_id": q.id, "kind": "comment",
                           "field": "", "old_value": "", "new_value": "已电话回访家属。",
                           "version": 1, "at": now - timedelta(minutes=n)})
            if len(events) == 20_000:
                db.session.execute(insert(ComplaintEvent), events)
                events = []
        if events:
            db.session.execute(insert(ComplaintEvent), events)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # what autovacuum does to a server's
            with db.engine.connect().execution_options(   # tables after bulk loading
                    isolation_level="AUTOCOMMIT") as con:
                con.exec_driver_sql("VACUUM ANALYZE")
        log(f"built in {time.perf_counter() - t0:.1f}s")


def _discharges(db, n: int, ward_ids: list[int], rng) -> None:
    from datetime import date

    from sqlalchemy import insert

    from portal.followups.models import Discharge, Patient

    now = datetime.now(UTC)
    start = date.today() - timedelta(days=365)
    for chunk in range(0, n, 20_000):
        size = min(20_000, n - chunk)
        db.session.execute(insert(Patient), [
            {"id": chunk + k + 1, "mrn": f"B{chunk + k:09d}", "name": "患者", "sex": "U",
             "consent": True, "created_at": now, "updated_at": now} for k in range(size)])
        db.session.execute(insert(Discharge), [
            {"patient_id": chunk + k + 1, "ward_id": rng.choice(ward_ids),
             "discharged_on": start + timedelta(days=rng.randint(0, 364)), "diagnosis": "",
             "attending_nurse": "", "created_at": now} for k in range(size)])


BLOCK = 10


def measure(app, url: str, repeat: int) -> tuple[float, float, float, float]:
    """(median app ms, median raw-SQL ms, the same two in process CPU ms) for one GET.

    The statements the page issues are captured from one request; then blocks of BLOCK
    page requests through the app and BLOCK replays of those statements on a raw cursor
    take turns, so a machine that speeds up or slows down during the run weighs on both
    alike, while each side runs back to back within its block (its caches warm)."""
    from sqlalchemy import event, select

    from portal.auth.models import User
    from portal.extensions import db
    from tests.conftest import sign_in_session

    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "bench_quality"))
        sign_in_session(client, user)
        engine = db.engine
        db.session.remove()
    # requests run outside any app context, as in a server: each gets its own context
    # (its own session, transaction and signed-in user, loaded from the database)
    for _ in range(3):  # warm up (statements, templates, the calendar)
        assert client.get(url).status_code == 200
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    client.get(url)
    event.remove(engine, "before_cursor_execute", capture)
    raw = engine.raw_connection()
    app_times, app_cpu, raw_times, raw_cpu = [], [], [], []
    try:
        for _ in range(max(1, repeat // BLOCK)):
            for _ in range(BLOCK):
                t0, c0 = time.perf_counter(), time.process_time()
                response = client.get(url)
                app_times.append((time.perf_counter() - t0) * 1000)
                app_cpu.append((time.process_time() - c0) * 1000)
                assert response.status_code == 200, response.status_code
            for _ in range(BLOCK):
                t0, c0 = time.perf_counter(), time.process_time()
                cursor = raw.cursor()
                for statement, parameters in captured:  # BEGIN included (SQLite)
                    cursor.execute(statement, parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
                cursor.close()
                raw.rollback()  # as the request's session ends its read transaction
                raw_times.append((time.perf_counter() - t0) * 1000)
                raw_cpu.append((time.process_time() - c0) * 1000)
    finally:
        raw.close()
    log(f"{url}: {len(captured)} statements")
    return (statistics.median(app_times), statistics.median(raw_times),
            statistics.median(app_cpu), statistics.median(raw_cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discharges", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--db", help="SQLite file, or PostgreSQL database name, to create "
                                     "or reuse")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    app = make_app(database_url(args))
    build(app, args)
    queue_ms, floor_ms, queue_cpu, floor_cpu = measure(app, "/complaints?view=queue", args.repeat)
    case_ms, case_floor_ms, _, _ = measure(app, "/complaints/1", args.repeat)
    print(f"database={args.database} cases={args.cases} events={args.events} "
          f"discharges={args.discharges} "
          f"queue_ms={queue_ms:.1f} case_ms={case_ms:.1f} floor_ms={floor_ms:.1f} "
          f"case_floor_ms={case_floor_ms:.1f} ratio={queue_ms / floor_ms:.2f} "
          f"case_ratio={case_ms / case_floor_ms:.2f} cpu_ratio={queue_cpu / floor_cpu:.2f}")


if __name__ == "__main__":
    main()
