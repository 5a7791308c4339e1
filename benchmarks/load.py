"""Load and fault test: gunicorn (4 workers) on 127.0.0.1, N nurse clients, mixed traffic.

    python benchmarks/load.py --database sqlite --requests 2000 --clients 50
    python benchmarks/load.py --database postgresql --requests 2000 --clients 50
    python benchmarks/load.py --database sqlite --kill-worker
    python benchmarks/load.py --database postgresql --restart-postgres

Steps: a fresh database (SQLite file, or a new PostgreSQL database), `flask db upgrade`,
`flask demo-data --discharges N`, then one nurse account per client (one scrypt hash for all)
and pending follow-up tasks in each nurse's ward. Gunicorn serves the portal (gunicorn.conf.py,
with 4 workers, its threads per worker, printed as `threads`, and a free port). Every client signs in, then the clients share a
bounded number of requests of mixed traffic:
  call       POST a call attempt (outcome "no answer", a fresh idempotency key) — the write
  worklist   GET the worklist;  dashboard  GET a dashboard the nurse may open;
  complaint  file a complaint through the form the complaints page shows (when present).
Then the same clients log calls only (phase "calls"), and post to a minimal Flask app that
inserts one row (benchmarks/floor_app.py, phase "floor"), served with every setting of
gunicorn.conf.py and the portal's database listeners, driven by the same client code:
ratio = calls throughput / floor throughput. The two phases take turns, --rounds times (both
servers run; the idle one costs nothing), and the figures are the medians over the rounds
(ratio: the median of the rounds' ratios, each listed in ratio_rounds), so a machine that
speeds up or slows down during the run does not favour one side. The machine may be shared, so each phase also
prints the server's CPU per request (master and workers, from /proc) and the client's CPU as
a share of one core (the client is one Python process; near 100 it would be the bottleneck):
ratio_cpu = floor CPU per request / call CPU per request, which other load changes least.
--profile DIR profiles the call-logging requests inside the gunicorn workers (cProfile, wall
time: on SQLite it shows the wait for the write lock) and prints the top functions.

Checks printed: 5xx count (must be 0), rows written vs acknowledged (every acknowledged
idempotency key is in call_attempts, and the row delta equals the acknowledgements), tasks
whose attempt counter disagrees with their call rows (half-written records), and for SQLite
`PRAGMA integrity_check`. Calls answered with a 5xx or not at all are sent once more after
the phase with the same key (what a nurse does: press again); a call that committed before
its answer was lost is then replayed, so written must equal acknowledged exactly.
Faults: --kill-worker sends SIGKILL to one worker a third of the way through the mixed phase;
--restart-postgres stops and starts a private PostgreSQL cluster (created for the run with
pg_createcluster on a free port, dropped afterwards, so nobody else's database is touched)
during the mixed phase: requests meanwhile must fail with 503 and a message, never 500, and
succeed again once the database is back.

The last line holds key=value pairs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load_client import (  # noqa: E402 - after the path is set
    Client,
    Stats,
    Traffic,
    complaint_form,
    percentile,
    resend_failed,
    run_phase,
    summary,
)
from benchmarks.load_server import (  # noqa: E402
    Database,
    count_complaints,
    free_port,
    log,
    prepare,
    server_cpu,
    start_gunicorn,
    stop,
    verify,
    workers_of,
)


def measured_phase(result: dict, prefix: str, server, clients, homes, traffic, requests,
                   forms) -> Stats:
    """run_phase plus the CPU it cost: the server's per request, and the client's share of
    one core (the client is one Python process: near 100 % it would be the bottleneck)."""
    cpu0, client0 = server_cpu(server), client_cpu()
    stats, elapsed = run_phase(clients, homes, traffic, requests, forms)
    cpu1, client1 = server_cpu(server), client_cpu()
    result.update(summary(stats, elapsed, prefix))
    done = max(1, len(stats.samples))
    result[f"{prefix}server_cpu_ms"] = round((cpu1 - cpu0) / done * 1000, 2)
    result[f"{prefix}client_cpu_pct"] = round((client1 - client0) / elapsed * 100) if elapsed else 0
    return stats


def print_profile(directory: str, workers: int, top: int = 30) -> None:
    import io
    import pstats

    files: list[str] = []
    deadline = time.time() + 30  # each worker merges its requests' profiles as it exits
    while time.time() < deadline:
        files = sorted(str(p) for p in Path(directory).glob("worker-*.prof"))
        if len(files) >= workers:
            break
        time.sleep(0.5)
    if not files:
        log("no profile written (did the workers exit cleanly?)")
        return
    out = io.StringIO()
    stats = pstats.Stats(*files, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    log(out.getvalue())


def threads_for(url: str) -> int:
    """The threads per worker gunicorn.conf.py gives the servers of this run."""
    from unittest import mock

    from portal.deploy import thread_count

    with mock.patch.dict(os.environ, {"DATABASE_URL": url}):
        return thread_count()


def compare_with_floor(result: dict, args, db, portal, procs, clients, homes, forms, stats,
                       calls: Traffic, rng) -> None:
    """Calls-only phases against the portal and one-row-insert phases against the floor app,
    in turn (--rounds pairs; both servers run, the idle one costs nothing): a shared machine
    speeds up and slows down over a run, and each pair is measured under the same conditions.
    Figures are the medians over the rounds; ratio is the median of the rounds' ratios."""
    from statistics import median

    from benchmarks import floor_app

    floor_app.create_schema(db.url)
    fport = free_port()
    fproc = start_gunicorn("benchmarks.floor_app:app", db.url, fport, args.workers, floor=True)
    procs.append(fproc)
    fclients = [Client(fport) for _ in clients]
    floor = Traffic({"floor": 1}, {"floor": "/floor"}, {}, rng)
    rounds, floor_acknowledged = [], []
    for r in range(args.rounds):
        call_r, floor_r = {}, {}
        log(f"round {r + 1}/{args.rounds}: calls-only phase ...")
        call_stats = measured_phase(call_r, "calls_", portal, clients, homes, calls,
                                    args.requests, forms)
        result["calls_resent_ok"] += resend_failed(call_stats)
        stats.acknowledged += call_stats.acknowledged
        log(f"round {r + 1}/{args.rounds}: floor phase ...")
        floor_stats = measured_phase(floor_r, "floor_", fproc, fclients, homes, floor,
                                     args.requests, [None] * len(fclients))
        floor_acknowledged += floor_stats.acknowledged
        call_r["ratio"] = round(call_r["calls_rps"] / floor_r["floor_rps"], 2)
        call_r["ratio_cpu"] = round(floor_r["floor_server_cpu_ms"]
                                    / call_r["calls_server_cpu_ms"], 2)
        log(f"  calls {call_r['calls_rps']}/s ({call_r['calls_server_cpu_ms']} ms CPU), floor "
            f"{floor_r['floor_rps']}/s ({floor_r['floor_server_cpu_ms']} ms): ratio "
            f"{call_r['ratio']}")
        rounds.append({**call_r, **floor_r})
    for c in fclients:
        c.close()
    stop(fproc)
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        result[key] = sum(values) if key.endswith("5xx") else round(median(values), 2)
    result["ratio_rounds"] = "/".join(str(r["ratio"]) for r in rounds)
    result["floor_rows"], result["floor_missing"] = floor_app.count_rows(db.url,
                                                                         floor_acknowledged)
    result["floor_acknowledged"] = len(floor_acknowledged)


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--db", help="SQLite file to create (default: a temporary file)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--discharges", type=int, default=200, help="demo data size")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kill-worker", action="store_true")
    parser.add_argument("--restart-postgres", action="store_true")
    parser.add_argument("--no-floor", action="store_true", help="skip the calls/floor phases")
    parser.add_argument("--rounds", type=int, default=3,
                        help="calls-only and floor phases, in turn (default 3 pairs)")
    parser.add_argument("--profile", metavar="DIR",
                        help="cProfile the portal's call-logging requests (gunicorn.conf.py "
                             "hooks); prints the top functions and leaves DIR/worker-*.prof")
    args = parser.parse_args()
    if args.restart_postgres and args.database != "postgresql":
        parser.error("--restart-postgres needs --database postgresql")

    db = Database(args.database, args.db, private_cluster=args.restart_postgres)
    procs = []
    result: dict = {"database": args.database, "clients": args.clients, "workers": args.workers,
                    "threads": threads_for(db.url), "discharges": args.discharges}
    try:
        log(f"preparing {args.database} database ...")
        data = prepare(db, args)
        endpoints = data["endpoints"]
        if "call" not in endpoints:
            log("the portal has no followups.log_attempt endpoint yet: no call-logging figures")
        port = free_port()
        profiling = ({"GUNICORN_PROFILE_DIR": str(Path(args.profile).resolve()),
                      "GUNICORN_PROFILE_PATH": r"/attempts$"} if args.profile else None)
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
        portal = start_gunicorn("wsgi:app", db.url, port, args.workers, env=profiling)
        procs.append(portal)
        log(f"gunicorn on 127.0.0.1:{port}; signing in {args.clients} nurses ...")
        clients, homes = [], []
        for username, ward_id in data["nurses"]:
            c = Client(port)
            c.sign_in(username)
            clients.append(c)
            homes.append(ward_id)
        forms = [complaint_form(c, endpoints["complaint_page"]) if "complaint_page" in endpoints
                 else None for c in clients]
        plan = {"call": 50, "worklist": 25, "dashboard": 10, "complaint": 15, "home": 100}
        plan = {k: v for k, v in plan.items()
                if k in endpoints or (k == "complaint" and all(forms) and forms[0])}
        result["mix"] = "+".join(plan)
        rng = random.Random(args.seed)
        traffic = Traffic(plan, endpoints, data["tasks"], rng)
        complaints_before = count_complaints(db)

        fault = {}
        during = None
        if args.kill_worker:
            def during(n, fired=[]):  # noqa: B006 - a one-shot latch
                if n == args.requests // 3 and not fired:
                    fired.append(True)
                    victims = workers_of(portal)
                    if victims:
                        os.kill(victims[0], signal.SIGKILL)
                        fault["killed_worker"] = victims[0]
                        log(f"killed worker {victims[0]} with SIGKILL")
        elif args.restart_postgres:
            def during(n, fired=[]):  # noqa: B006 - a one-shot latch
                if n == args.requests // 4 and not fired:
                    fired.append(True)

                    def bounce():
                        log("stopping PostgreSQL ...")
                        fault["pg_stopped_at"] = time.time()
                        db.pg_ctl("stop")
                        time.sleep(3)
                        db.pg_ctl("start")
                        fault["pg_started_at"] = time.time()
                        log("PostgreSQL started again")

                    t = threading.Thread(target=bounce)
                    t.start()
                    fault["thread"] = t

        log(f"mixed phase: {args.requests} requests ({result['mix']}) ...")
        stats, elapsed = run_phase(clients, homes, traffic, args.requests, forms, during,
                                   count_failures=not args.restart_postgres)
        if "thread" in fault:
            fault.pop("thread").join()
        result.update(summary(stats, elapsed, ""))
        result["connection_errors"] = stats.connection_errors
        result["calls_failed"] = len(stats.failed_calls)
        result["calls_resent_ok"] = resend_failed(stats)
        for kind in plan:
            lat = [s[2] for s in stats.samples if s[0] == kind]
            result[f"{kind}_p95_ms"] = round(percentile(lat, 0.95) * 1000, 1)
        if args.restart_postgres and "pg_started_at" in fault:
            down = [s for s in stats.samples if s[1] >= 500]
            result["5xx_500"] = sum(1 for s in down if s[1] == 500)
            result["5xx_503"] = sum(1 for s in down if s[1] == 503)
            result["503_with_message"] = stats.clean_503
            ok_after = [s[3] for s in stats.samples
                        if s[3] > fault["pg_started_at"] and s[1] < 500]
            result["recovered_s"] = (round(min(ok_after) - fault["pg_started_at"], 2)
                                     if ok_after else -1)
            result["failures_after_recovery"] = sum(
                1 for s in stats.samples if ok_after and s[3] > min(ok_after) + 1 and s[1] >= 500)
        if args.kill_worker:
            result["killed_worker"] = fault.get("killed_worker", 0)
            result["workers_after"] = len(workers_of(portal))
        if stats.bodies_5xx:
            log("first 5xx bodies: " + " | ".join(b.replace("\n", " ")[:200] for b in stats.bodies_5xx))

        compare = "call" in endpoints and not (args.no_floor or args.kill_worker
                                               or args.restart_postgres)
        if compare:
            compare_with_floor(result, args, db, portal, procs, clients, homes, forms, stats,
                               Traffic({"call": 1}, endpoints, data["tasks"], rng), rng)
        acknowledged = stats.acknowledged
        for c in clients:
            c.close()
        stop(portal)
        if args.profile:
            print_profile(args.profile, args.workers)

        result.update(verify(db, acknowledged, complaints_before, stats.complaints_acknowledged))
        result["lost_writes"] = result["acknowledged_missing"]
    finally:
        for p in procs:
            stop(p)
        db.drop()

    # failed calls were sent again with their key, so written must equal acknowledged
    # exactly: a lost write or a doubled one (a replay that inserted again) both show here
    ok = (result.get("5xx_500", result.get("5xx", 1)) == 0 and result.get("lost_writes", 1) == 0
          and result.get("rows_written") == result.get("rows_acknowledged")
          and result.get("complaints_written", 0) == result.get("complaints_acknowledged", 0)
          and result.get("calls_5xx", 0) == 0 and result.get("floor_5xx", 0) == 0
          and result.get("half_written_tasks", 1) == 0 and result.get("floor_missing", 0) == 0
          and result.get("integrity_check", "ok") == "ok")
    if args.restart_postgres:
        ok = ok and result.get("recovered_s", -1) >= 0 and result.get("failures_after_recovery", 1) == 0
    result["ok"] = int(ok)
    print(json.dumps(result, indent=1), file=sys.stderr)
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
