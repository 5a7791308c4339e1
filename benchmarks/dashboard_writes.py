"""The write-path cost of the dashboard summaries: CPU time of logging one call attempt
(record_attempt + commit, in-process) with the summary listeners and without them.

    python benchmarks/dashboard_writes.py [--calls 300] [--discharges 40000]
                                          [--db postgresql+psycopg://...]

Builds a fresh database (SQLite file by default, or a new PostgreSQL database created and
dropped by this script), 20 wards sharing --discharges discharges and their tasks, then logs
`--calls` attempts on distinct tasks, alternately with the summary events switched off and
on, and prints the median and mean process CPU time per call, the difference, and the CPU
time spent inside the summary listeners themselves (the least noisy figure).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _engine_url(arg: str) -> tuple[str, callable]:
    if not arg:
        path = os.path.join(tempfile.mkdtemp(prefix="careloop-writes-"), "w.sqlite3")
        return f"sqlite:///{path}", lambda: None
    from sqlalchemy import create_engine, text

    name = f"careloop_writes_{os.getpid()}"
    admin = create_engine(arg, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return arg.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--discharges", type=int, default=40_000, help="over 20 wards")
    ap.add_argument("--db", default="", help="PostgreSQL server URL (default: a SQLite file)")
    ap.add_argument("--profile", action="store_true",
                    help="print where the calls with summaries spend their time")
    args = ap.parse_args()
    if args.profile:
        import cProfile

        global PROFILE
        PROFILE = cProfile.Profile()
    url, drop = _engine_url(args.db)
    try:
        run(url, args.calls, args.discharges)
        if PROFILE is not None:
            import pstats

            pstats.Stats(PROFILE).sort_stats("cumulative").print_callees("summary_events.py")
    finally:
        drop()


SPENT: list[float] = []
WRAPPED: dict = {}
PROFILE = None  # --profile: a cProfile of the calls with summaries  # CPU seconds inside the summary listeners, per call


def _timed(fn):
    def wrapper(*args, **kwargs):
        t0 = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[-1] += time.process_time() - t0
    return wrapper


def _switch(on: bool) -> None:
    """Add or remove the summary session listeners (portal/dashboard/summary_events.py)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from portal.dashboard import summary_events as se

    wrapped = WRAPPED.setdefault("fns", {name: _timed(fn) for name, fn in se.LISTENERS})
    for name, fn in se.LISTENERS:
        if event.contains(Session, name, fn):
            event.remove(Session, name, fn)
        if on and not event.contains(Session, name, wrapped[name]):
            event.listen(Session, name, wrapped[name])
        elif not on and event.contains(Session, name, wrapped[name]):
            event.remove(Session, name, wrapped[name])


def run(url: str, calls: int, discharges: int) -> None:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.followups import attempts, services
    from portal.followups.models import Discharge, FollowUpRule, FollowUpTask, Patient
    from portal.timeutil import local_today
    from tests import factories

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench" * 8,
                      "RATELIMIT_STORAGE_URI": "memory://", "PASSWORD_HASH_METHOD": "pbkdf2"})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        wards = factories.wards(*[f"W{i:02d}" for i in range(1, 21)])
        nurse = factories.user("nurse", wards=[w.code for w in wards], username="bench-nurse")
        today = local_today()
        task_ids = []
        for w in wards:
            rule = FollowUpRule(ward_id=w.id, label="D+3", days_after=3)
            db.session.add(rule)
            for i in range(max(1, discharges // (20 * 20))):   # 20 wards x 20 days
                for back in range(0, 20):
                    d = Discharge(patient=Patient(mrn=f"{w.code}-{i}-{back}", name="x",
                                                  phone="13800001111"),
                                  ward_id=w.id, discharged_on=today - timedelta(days=3 + back))
                    t = FollowUpTask(discharge=d, rule=rule, ward_id=w.id,
                                     due_on=today - timedelta(days=back),
                                     window_end=today + timedelta(days=2))
                    db.session.add_all([d, t])
            db.session.flush()
        db.session.commit()
        task_ids = list(db.session.scalars(db.select(FollowUpTask.id).order_by(
            FollowUpTask.ward_id, FollowUpTask.id)))
        nurse_id = nurse.id
        # spread the calls over wards and days, as a morning of nurses would
        step = max(1, len(task_ids) // (calls + 1))
        chosen = task_ids[::step][:calls]
        samples = {True: [], False: []}
        inside: list[float] = []
        from portal.auth.models import User

        for n, task_id in enumerate(chosen):
            on = n % 2 == 1
            _switch(on)
            db.session.expunge_all()
            SPENT.append(0.0)
            if PROFILE is not None and on:
                PROFILE.enable()
            t0 = time.process_time()
            user = db.session.get(User, nurse_id)
            task = services.get_task_or_404(task_id, user, for_update=True)
            attempts.record_attempt(task, user, outcome="no_answer", key=uuid.uuid4().hex,
                                    version=None)
            db.session.commit()
            samples[on].append((time.process_time() - t0) * 1000)
            if PROFILE is not None:
                PROFILE.disable()
            if on:
                inside.append(SPENT[-1] * 1000)
        _switch(True)
        off, on = samples[False], samples[True]
        figures = {"db": db.engine.dialect.name, "calls": len(chosen),
                   "discharges": len(task_ids)}
        for name, s in (("without_summaries", off), ("with_summaries", on)):
            figures[f"{name}_median_cpu_ms"] = f"{statistics.median(s):.3f}"
            figures[f"{name}_mean_cpu_ms"] = f"{statistics.mean(s):.3f}"
        figures["in_summary_listeners_cpu_ms_median"] = f"{statistics.median(inside):.3f}"
        figures["in_summary_listeners_cpu_ms_mean"] = f"{statistics.mean(inside):.3f}"
        figures["summary_cost_ms_median"] = (
            f"{statistics.median(on) - statistics.median(off):.3f}")
        figures["summary_cost_ms_mean"] = f"{statistics.mean(on) - statistics.mean(off):.3f}"
        print(" ".join(f"{k}={v}" for k, v in figures.items()))
        db.engine.dispose()


if __name__ == "__main__":
    main()
