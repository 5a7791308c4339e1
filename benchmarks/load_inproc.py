"""The call-logging request of benchmarks/load.py in one process, without gunicorn or HTTP:
quicker to iterate on, and its figures are CPU time of this process only.

    python benchmarks/load_inproc.py --database sqlite --requests 500
    python benchmarks/load_inproc.py --database postgresql --requests 500 --profile
    python benchmarks/load_inproc.py --database sqlite --without-summaries

Same data as load.py (flask db upgrade, demo-data, one nurse, pending tasks). A nurse signs in
through the login form, then the script times, per request (CPU ms, median of --rounds):
  empty_get  a signed-in GET of a view that does nothing (`/_bench/empty`, registered here
             only): the fixed cost every page pays (session, user, locale, limits, headers);
  call       the worklist's htmx POST of a "no answer" with a fresh idempotency key, as
             load.py sends it (CSRF token in X-CSRFToken).
--profile [call|empty_get] prints cProfile's top functions of those requests. --without-summaries turns the
dashboard summary recompute off in this process (to see the rest; never in production).
The last line holds key=value pairs.
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load_client import PASSWORD, TOKEN  # noqa: E402
from benchmarks.load_server import SECRET, Database, log, prepare  # noqa: E402


def sign_in(client, username: str) -> str:
    body = client.get("/login").get_data(as_text=True)
    token = TOKEN.search(body).group(1)
    resp = client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token})
    assert resp.status_code in (302, 303), resp.status_code
    body = client.get("/account/password").get_data(as_text=True)
    return TOKEN.search(body.replace("&#34;", '"')).group(1)


def cpu_ms_per_request(fn, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300, help="per round and kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--discharges", type=int, default=200)
    parser.add_argument("--profile", nargs="?", const="call", choices=("call", "empty_get"),
                        help="cProfile the call requests (or the empty GETs)")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--profile-out", default="load-inproc.prof",
                        help="where --profile leaves its pstats file")
    parser.add_argument("--without-summaries", action="store_true")
    args = parser.parse_args()

    db = Database(args.database, None, private_cluster=False)
    try:
        data = prepare(db, SimpleNamespace(discharges=args.discharges, clients=1))
        result = run(db, data, args)
    finally:
        db.drop()
    print(" ".join(f"{k}={v}" for k, v in result.items()))


def run(db, data, args) -> dict:
    from portal import create_app
    from portal.auth.permissions import SIGNED_IN, allow
    from portal.extensions import db as sa

    if args.without_summaries:
        from portal.dashboard import summary_events

        summary_events.process = lambda session: session.info.pop(summary_events.PENDING, None)
    app = create_app({"SQLALCHEMY_DATABASE_URI": db.url, "SECRET_KEY": SECRET,
                      "LOGIN_RATE_LIMIT": "100000 per minute"})

    @allow(SIGNED_IN)
    def empty():
        return ""

    app.add_url_rule("/_bench/empty", "bench_empty", empty)
    client = app.test_client()
    username, ward_id = data["nurses"][0]
    token = sign_in(client, username)
    tasks = data["tasks"][ward_id]
    url = data["endpoints"]["call"]
    rng = random.Random(1)
    headers = {"HX-Request": "true", "X-CSRFToken": token}

    def call():
        resp = client.post(url.format(id=rng.choice(tasks)), headers=headers,
                           data={"outcome": "no_answer", "key": uuid.uuid4().hex})
        assert resp.status_code == 200, (resp.status_code, resp.get_data(as_text=True)[:300])

    def get():
        resp = client.get("/_bench/empty")
        assert resp.status_code == 200, resp.status_code

    for fn in (call, get):   # warm caches (statements, templates, catalogues)
        for _ in range(20):
            fn()
    import gc

    gc.freeze()   # what the app has loaded is out of the collector's reach, as in gunicorn
    result = {"database": args.database, "summaries": int(not args.without_summaries)}
    for name, fn in (("empty_get", get), ("call", call)):
        rounds = [cpu_ms_per_request(fn, args.requests) for _ in range(args.rounds)]
        result[f"{name}_cpu_ms"] = round(statistics.median(rounds), 3)
        result[f"{name}_cpu_ms_min"] = round(min(rounds), 3)
    if args.profile:
        import cProfile
        import io
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            (call if args.profile == "call" else get)()
        profile.disable()
        profile.dump_stats(args.profile_out)
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        log(re.sub(r"\n{3,}", "\n\n", out.getvalue()))
    with app.app_context():
        sa.engine.dispose()
    return result


if __name__ == "__main__":
    main()
