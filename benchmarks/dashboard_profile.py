"""Where the dashboard's time goes: each SQL statement of one request, slowest first.

    python benchmarks/dashboard_profile.py --db /work/bench/dash-1m.sqlite3 [--url /dashboard?...]

Times every statement (cursor execute to fetch) of a leadership-dashboard request on a
database built by benchmarks/dashboard.py, after one warm-up request.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import dashboard_floor  # noqa: E402


def main() -> None:
    from flask import g
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db
    from portal.timeutil import local_today
    from tests import factories
    from tests.conftest import sign_in_session

    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--url", default="")
    ap.add_argument("--role", default="leader")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--python", action="store_true", help="also cProfile the request")
    args = ap.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.db}", "SECRET_KEY": "b" * 40,
                      "RATELIMIT_STORAGE_URI": "memory://", "TESTING": True})
    with app.app_context():
        period = dashboard_floor.twelve_months(local_today())
        url = args.url or f"/dashboard?period={period.key}"
        user = factories.user(args.role, username=f"prof-{time.time_ns()}")
        db.session.commit()
        client = app.test_client()
        sign_in_session(client, user)
        spent: dict = defaultdict(float)
        starts: dict = {}

        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn, cursor, statement, params, context, many):
            starts[id(cursor)] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn, cursor, statement, params, context, many):
            spent[" ".join(statement.split())[:300]] += time.perf_counter() - starts.pop(id(cursor))

        g.pop("_login_user", None)
        client.get(url)
        spent.clear()
        g.pop("_login_user", None)
        t0 = time.perf_counter()
        assert client.get(url).status_code == 200
        total = (time.perf_counter() - t0) * 1000
        print(f"request {total:.0f} ms, SQL {sum(spent.values()) * 1000:.0f} ms in {len(spent)}"
              " distinct statements")
        for sql, s in sorted(spent.items(), key=lambda kv: -kv[1])[:args.top]:
            print(f"{s * 1000:8.1f} ms  {sql}")
        if args.python:
            import cProfile
            import pstats

            g.pop("_login_user", None)
            prof = cProfile.Profile()
            prof.runcall(client.get, url)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top * 3)


if __name__ == "__main__":
    main()
