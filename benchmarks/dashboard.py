"""Benchmark: the dashboards through the app beside the same aggregates as plain SQL.

    python benchmarks/dashboard.py [--discharges 1000000] [--db /tmp/bench.sqlite3] [--runs 5]
                                   [--history]

Generates (or reuses, with --db) N discharges over 3 years with tasks and attempts, 0.3·N
survey responses and 0.05·N complaint and praise cases (bulk inserts), fills the dashboard's
summary tables from them (`rebuild`, timed), then times the leadership dashboard for a
12-month period (all wards, then one ward) and the quality dashboard, each through the Flask
test client as a signed-in user, beside plain SQL over the base tables that computes the
same aggregates (the floor). With --history it also builds a database with two years of the
same density (2N/3 discharges: the 12-month period and the year before it, which the
comparison with the previous period reads) and times the all-wards dashboard there: the
dashboard should not slow down with the extra year outside both. Wall and process CPU medians
(the CPU figure is the steadier one on a shared host). Last line: key=value pairs.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import dashboard_data, dashboard_extra, dashboard_floor  # noqa: E402

SURVEY_SHARE, CASE_SHARE = 0.3, 0.05  # 300,000 responses and 50,000 cases per 1M discharges


def build(path: str, n: int, years: int = 3) -> None:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.timeutil import local_today
    from tests import factories

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench" * 8,
                      "RATELIMIT_STORAGE_URI": "memory://", "PASSWORD_HASH_METHOD": "pbkdf2"})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        wards = factories.wards(*[f"W{i:02d}" for i in range(1, 21)])
        nurse = factories.user("nurse", wards="W01", username="bench-nurse")
        db.session.commit()
        ward_ids, nurse_id = [w.id for w in wards], nurse.id
        today = local_today()
        db.engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    dashboard_data.generate(conn, n, ward_ids, nurse_id, today, years=years)
    conn.execute("ANALYZE")
    conn.close()


def add_extras(path: str, n: int, years: int = 3, rebuild: bool = False) -> dict:
    """Migrate a reused database to the current schema; fill survey/complaint tables once;
    fill the summary tables when anything was added. Returns the data sizes."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.timeutil import local_today

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench" * 8,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        db.engine.dispose()
    conn = sqlite3.connect(path)
    ward_ids = [r[0] for r in conn.execute("SELECT id FROM wards ORDER BY code")]
    user_id = conn.execute("SELECT min(id) FROM users").fetchone()[0]
    today = local_today()
    if dashboard_extra.empty(conn, "survey_responses"):
        dashboard_extra.surveys(conn, int(n * SURVEY_SHARE), ward_ids, today, years=years)
        rebuild = True
    if dashboard_extra.empty(conn, "complaints"):
        dashboard_extra.complaints(conn, int(n * CASE_SHARE), ward_ids, user_id, today,
                                   years=years)
        rebuild = True
    sizes = {name: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
             for name, table in (("discharges", "discharges"), ("tasks", "followup_tasks"),
                                 ("attempts", "call_attempts"), ("responses", "survey_responses"),
                                 ("cases", "complaints"))}
    conn.close()
    if rebuild:  # the bulk inserts above bypass the app: fill its summaries from them
        with app.app_context():
            from portal.dashboard import summaries

            t0 = time.perf_counter()
            summaries.rebuild(db.session.connection())
            db.session.commit()
            sizes["rebuild_s"] = round(time.perf_counter() - t0, 1)
            db.engine.dispose()
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    conn.close()
    return sizes


CPU: dict[str, float] = {}  # the last timed() call's median process CPU time (ms)


def timed(fn, runs: int) -> float:
    """Median wall time (ms); the median CPU time goes to CPU["ms"] (everything runs in this
    process, SQLite included: on a shared, loaded host the steadier figure)."""
    fn()  # warm caches (both sides get the same warm-up)
    samples, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    CPU["ms"] = statistics.median(cpu)
    return statistics.median(samples)


def prepare(path: str, n: int, years: int = 3) -> dict:
    built = False
    if not os.path.exists(path):
        t0 = time.perf_counter()
        build(path, n, years)
        built = True
        print(f"generated {n} discharges over {years} years in {time.perf_counter() - t0:.0f}s"
              f" -> {path}")
    sizes = add_extras(path, n, years, rebuild=built)
    print(" ".join(f"{k}={v}" for k, v in sizes.items()))
    return sizes


def measure(path: str, runs: int, only=None) -> dict:
    """{case: (dashboard ms, floor ms)} for the leadership (all wards, one ward) and quality
    dashboards over the last 12 complete months."""

    from portal import create_app
    from portal.extensions import db
    from portal.timeutil import local_today
    from tests import factories
    from tests.conftest import sign_in_session

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench" * 8,
                      "RATELIMIT_STORAGE_URI": "memory://", "TESTING": True})
    results = {}
    with app.app_context():
        period = dashboard_floor.twelve_months(local_today())
        users = {}
        for role in ("leader", "quality"):
            users[role] = factories.user(role, username=f"bench-{role}-{time.time_ns()}")
        db.session.commit()
        ward_id = db.session.execute(db.text("SELECT id FROM wards WHERE code='W01'")).scalar()
        clients = {}
        for role, user in users.items():
            clients[role] = app.test_client()
            sign_in_session(clients[role], user)
        engine = db.engine
        db.session.remove()
    # requests run outside any app context, as in a server: each gets its own context
    # (its own session, transaction and signed-in user, loaded from the database)
    raw = sqlite3.connect(path)
    cases = [("leader_all", "leader", f"/dashboard?period={period.key}", None),
             ("leader_ward", "leader", f"/dashboard?period={period.key}&ward=W01", ward_id),
             ("quality", "quality", f"/dashboard/quality?period={period.key}", None)]
    for name, role, url, ward in cases:
        if only and name not in only:
            continue

        def page(url=url, client=clients[role]):
            resp = client.get(url)
            assert resp.status_code == 200, (url, resp.status_code)

        dash = timed(page, runs)
        dash_cpu = CPU["ms"]
        floor = timed(lambda ward=ward, name=name: dashboard_floor.run(
            raw, period, ward, quality=name == "quality"), runs)
        results[name] = (dash, floor, dash_cpu, CPU["ms"])
        print(f"{name}: dashboard_ms={dash:.1f} floor_ms={floor:.1f} ratio={dash / floor:.2f}"
              f" dashboard_cpu_ms={dash_cpu:.1f} floor_cpu_ms={CPU['ms']:.1f}"
              f" cpu_ratio={dash_cpu / CPU['ms']:.2f}")
    raw.close()
    engine.dispose()
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--discharges", type=int, default=1_000_000)
    ap.add_argument("--db", default="")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--history", action="store_true",
                    help="also time a database with 2 years of history at the same density")
    args = ap.parse_args()
    path = args.db or f"/tmp/careloop-bench-dashboard-{args.discharges}.sqlite3"
    sizes = prepare(path, args.discharges)
    results = measure(path, args.runs)
    parts = [f"{k}={v}" for k, v in sizes.items()]
    for name, (dash, floor, dash_cpu, floor_cpu) in results.items():
        parts += [f"{name}_dashboard_ms={dash:.1f}", f"{name}_floor_ms={floor:.1f}",
                  f"{name}_ratio={dash / floor:.2f}", f"{name}_dashboard_cpu_ms={dash_cpu:.1f}",
                  f"{name}_floor_cpu_ms={floor_cpu:.1f}"]
    if args.history:
        # one year of history would leave the previous period empty: cheaper for a reason
        # that is not history outside the period
        short = path.replace(".sqlite3", "") + "-2y.sqlite3"
        prepare(short, args.discharges * 2 // 3, years=2)
        two = measure(short, args.runs, only=("leader_all",))["leader_all"]
        three = results["leader_all"]
        parts += [f"history_2y_dashboard_ms={two[0]:.1f}",
                  f"history_3y_dashboard_ms={three[0]:.1f}",
                  f"history_3y_over_2y={three[0] / two[0]:.2f}",
                  f"history_2y_floor_ms={two[1]:.1f}", f"history_3y_floor_ms={three[1]:.1f}",
                  f"history_2y_dashboard_cpu_ms={two[2]:.1f}",
                  f"history_3y_dashboard_cpu_ms={three[2]:.1f}",
                  f"history_3y_over_2y_cpu={three[2] / two[2]:.2f}"]
    print(" ".join(parts))


if __name__ == "__main__":
    main()
