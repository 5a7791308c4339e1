"""Load and fault test: gunicorn (4 workers) on 127.0.0.1, N nurse clients, mixed traffic.

    python benchmarks/load.py --database sqlite --requests 2000 --clients 50
    python benchmarks/load.py --database postgresql --requests 2000 --clients 50
    python benchmarks/load.py --database sqlite --kill-worker
    python benchmarks/load.py --database postgresql --restart-postgres

Steps: a fresh database (SQLite file, or a new PostgreSQL database), `flask db upgrade`,
`flask demo-data --discharges N`, then one nurse account per client (one scrypt hash for all)
and pending follow-up tasks in each nurse's ward. Gunicorn serves the portal (gunicorn.conf.py
when present, with 4 workers and a free port). Every client signs in, then the clients share a
bounded number of requests of mixed traffic:
  call       POST a call attempt (outcome "no answer", a fresh idempotency key) — the write
  worklist   GET the worklist;  dashboard  GET a dashboard the nurse may open;
  complaint  file a complaint through the form the complaints page shows (when present).
Then the same clients log calls only (phase "calls"), and post to a minimal Flask app in the
same gunicorn setup that inserts one row (benchmarks/floor_app.py, phase "floor"):
ratio = calls throughput / floor throughput.

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
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import closing, suppress
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "load-test-password-2026"
SECRET = "load-test-secret-key-0123456789abcdef0123456789"
TOKEN = re.compile(r'(?:name="csrf_token"[^>]*value="|"X-CSRFToken":\s*")([\w.\-]+)')
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ HTTP client


class ConnectionFailed(Exception):
    pass


class Client:
    """One keep-alive connection with its own cookies (one browser)."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, form: dict | None = None, htmx: bool = False):
        headers = {}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
            headers["X-CSRFToken"] = self.token
        for attempt in (1, 2):
            reused = self.conn is not None
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (OSError, http.client.HTTPException) as e:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                # a keep-alive connection the server closed meanwhile: send again once, as
                # browsers do (safe: GETs change nothing, writes carry an idempotency key)
                if attempt == 2 or not reused:
                    raise ConnectionFailed(str(e)) from None
        for raw in resp.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(raw)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return resp.status, resp, data

    def pick_token(self, html: bytes) -> None:
        found = TOKEN.search(html.decode("utf-8", "replace").replace("&#34;", '"'))
        if found:
            self.token = found.group(1)

    def sign_in(self, username: str) -> None:
        status, _, body = self.request("GET", "/login")
        self.pick_token(body)
        status, resp, _ = self.request("POST", "/login", {"username": username,
                                                          "password": PASSWORD,
                                                          "csrf_token": self.token})
        if status not in (302, 303):
            raise SystemExit(f"sign-in of {username} failed: {status}")
        status, _, body = self.request("GET", "/account/password")
        self.pick_token(body)

    def close(self):
        if self.conn is not None:
            self.conn.close()


# ------------------------------------------------------------------ database and data


def flask_env(url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, FLASK_APP="wsgi",
               PORTAL_LOGIN_RATE_LIMIT="100000 per minute", PYTHONPATH=str(ROOT))
    return env


def flask(url: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                   env=flask_env(url), check=True, stdout=subprocess.DEVNULL)


class Database:
    """A fresh database for the run (and, for --restart-postgres, a private cluster)."""

    def __init__(self, kind: str, path: str | None, private_cluster: bool):
        self.kind = kind
        self.cluster = None
        self.tmp = tempfile.mkdtemp(prefix="careloop-load-")
        if kind == "sqlite":
            self.path = Path(path or Path(self.tmp) / "load.sqlite3")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.url = f"sqlite:///{self.path}"
            return
        port = 5432
        if private_cluster:
            port = free_port()
            version = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                                     check=True).stdout.split()[0]
            self.cluster = (version, f"careloop_load_{os.getpid()}")
            subprocess.run(["pg_createcluster", version, self.cluster[1], "-p", str(port),
                            "--start", "--", "--auth-host=trust", "--auth-local=trust"],
                           check=True, stdout=subprocess.DEVNULL)
        self.admin_url = PG_ADMIN.format(port=port)
        self.name = f"careloop_load_{os.getpid()}"
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.url = self.admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as con:
            con.execute(text(sql))
        engine.dispose()

    def pg_ctl(self, action: str) -> None:
        version, name = self.cluster
        args = ["pg_ctlcluster", version, name, action] + (["-m", "fast"] if action == "stop" else [])
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def drop(self) -> None:
        if self.kind == "postgresql":
            if self.cluster:
                subprocess.run(["pg_dropcluster", *self.cluster, "--stop"], check=False)
            else:
                with suppress(Exception):
                    self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)


def prepare(db: Database, args) -> dict:
    """Migrate, demo data, nurses and their pending tasks; returns what the clients need."""
    flask(db.url, "db", "upgrade")
    flask(db.url, "demo-data", "--discharges", str(args.discharges))
    from datetime import timedelta

    from sqlalchemy import select

    from portal import create_app
    from portal.auth.models import User
    from portal.auth.passwords import hash_password
    from portal.extensions import db as sa
    from portal.followups.models import Discharge, FollowUpRule, FollowUpTask, Patient
    from portal.timeutil import local_today
    from portal.wards.models import Ward

    app = create_app({"SQLALCHEMY_DATABASE_URI": db.url, "SECRET_KEY": SECRET})
    with app.app_context():
        wards = list(sa.session.scalars(select(Ward).order_by(Ward.code)))
        password_hash = hash_password(PASSWORD)  # one scrypt for every client
        nurses = []
        for i in range(args.clients):
            ward = wards[i % len(wards)]
            user = User(username=f"load{i:03d}", display_name=f"Load {i}", role="nurse",
                        password_hash=password_hash, wards=[ward])
            sa.session.add(user)
            nurses.append((user.username, ward.id))
        today = local_today()
        tasks: dict[int, list[int]] = {}
        per_ward = max(20, 4 * args.clients // len(wards))
        for ward in wards:
            rule = FollowUpRule(ward_id=ward.id, label="load", days_after=3, max_attempts=1_000_000)
            sa.session.add(rule)
            sa.session.flush()
            for j in range(per_ward):
                p = Patient(mrn=f"LOAD-{ward.code}-{j}", name=f"负载{j}", phone="13800000000")
                d = Discharge(patient=p, ward_id=ward.id, discharged_on=today - timedelta(days=3))
                sa.session.add_all([p, d])
                sa.session.flush()
                task = FollowUpTask(discharge_id=d.id, rule_id=rule.id, ward_id=ward.id,
                                    due_on=today, window_end=today + timedelta(days=30))
                sa.session.add(task)
                sa.session.flush()
                tasks.setdefault(ward.id, []).append(task.id)
        sa.session.commit()
        endpoints = discover(app)
        sa.engine.dispose()
    return {"nurses": nurses, "tasks": tasks, "endpoints": endpoints}


def discover(app) -> dict:
    """The URLs of the traffic kinds that exist on this version of the portal."""
    from flask import url_for

    def nurse_may(endpoint):
        roles = getattr(app.view_functions.get(endpoint), "allowed_roles", frozenset())
        return "nurse" in roles or "public" in roles

    found = {}
    with app.test_request_context():
        if "followups.log_attempt" in app.view_functions:
            found["call"] = url_for("followups.log_attempt", task_id=0).replace("/0/", "/{id}/")
        if "followups.worklist" in app.view_functions:
            found["worklist"] = url_for("followups.worklist")
        for name in ("dashboard.ward", "dashboard.nurse", "dashboard.quality", "dashboard.leader"):
            if name in app.view_functions and nurse_may(name):
                found["dashboard"] = url_for(name)
                break
        for name in ("complaints.new", "complaints.register"):
            if name in app.view_functions and nurse_may(name):
                found["complaint_page"] = url_for(name)
                break
        if not found:
            found["home"] = url_for("home.index")
    return found


# ------------------------------------------------------------------ gunicorn


def gunicorn_settings() -> dict:
    """threads / worker_class / timeout from gunicorn.conf.py, so the floor runs the same way."""
    conf = ROOT / "gunicorn.conf.py"
    values = {}
    if conf.exists():
        import runpy

        with suppress(Exception):
            ns = runpy.run_path(str(conf))
            values = {k: ns[k] for k in ("threads", "worker_class", "timeout") if k in ns}
    return values


def start_gunicorn(app_spec: str, url: str, port: int, workers: int, use_conf: bool):
    cmd = [sys.executable, "-m", "gunicorn"]
    conf = ROOT / "gunicorn.conf.py"
    if use_conf and conf.exists():
        cmd += ["-c", str(conf)]
    else:
        settings = gunicorn_settings()
        for key, flag in (("threads", "--threads"), ("worker_class", "--worker-class"),
                          ("timeout", "--timeout")):
            if key in settings:
                cmd += [flag, str(settings[key])]
    cmd += ["-w", str(workers), "-b", f"127.0.0.1:{port}", "--access-logfile", "-",
            "--error-logfile", "-", app_spec]
    logfile = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=flask_env(url), stdout=logfile,
                            stderr=subprocess.STDOUT, start_new_session=True)
    proc.logfile = logfile.name
    deadline = time.time() + 60
    while time.time() < deadline:
        with suppress(Exception):
            c = Client(port)
            status, _, _ = c.request("GET", "/healthz")
            c.close()
            if status == 200:
                return proc
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {logfile.name}")
        time.sleep(0.3)
    stop(proc)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def workers_of(proc) -> list[int]:
    path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def stop(proc) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------ load phases


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: list[tuple[str, int, float, float]] = []   # kind, status, latency, at
        self.acknowledged: list[str] = []
        self.complaints_acknowledged = 0
        self.connection_errors = 0
        self.bodies_5xx: list[str] = []
        self.clean_503 = 0   # 503 with a message and no traceback
        self.failed_calls: list[tuple] = []   # (client, url, key) answered 5xx or not at all


    def add(self, kind, status, latency, body=b""):
        with self.lock:
            self.samples.append((kind, status, latency, time.time()))
            if status == 503 and body.strip() and b"Traceback" not in body:
                self.clean_503 += 1
            if status >= 500 and len(self.bodies_5xx) < 3:
                self.bodies_5xx.append(body[:300].decode("utf-8", "replace"))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Traffic:
    def __init__(self, plan: dict, endpoints: dict, tasks: dict, rng: random.Random):
        self.plan = plan
        self.endpoints = endpoints
        self.tasks = tasks
        self.rng = rng

    def one(self, client: Client, ward_id: int, stats: Stats, complaint_form) -> int | None:
        """One request of a random kind; its status, or None when there was no answer."""
        kinds, weights = zip(*self.plan.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        started = time.perf_counter()
        key = url = None
        try:
            if kind == "call":
                key = uuid.uuid4().hex
                task_id = self.rng.choice(self.tasks[ward_id])
                url = self.endpoints["call"].format(id=task_id)
                status, resp, body = client.request("POST", url, {"outcome": "no_answer",
                                                                   "key": key}, htmx=True)
                if status in (200, 204, 303):
                    with stats.lock:
                        stats.acknowledged.append(key)
                elif status >= 500:
                    with stats.lock:
                        stats.failed_calls.append((client, url, key))
            elif kind == "complaint":
                action, fields = complaint_form
                data = dict(fields, csrf_token=client.token)
                status, resp, body = client.request("POST", action, data, htmx=True)
                if status in (200, 201, 204, 303):
                    with stats.lock:
                        stats.complaints_acknowledged += 1
            else:
                status, resp, body = client.request("GET", self.endpoints[kind])
        except ConnectionFailed:
            with stats.lock:
                stats.connection_errors += 1
                if key:
                    stats.failed_calls.append((client, url, key))
            return None
        stats.add(kind, status, time.perf_counter() - started, body)
        return status


def resend_failed(stats: Stats) -> int:
    """What a nurse does after an error: press the button again (same form, same key).

    A call whose first try committed but whose answer was lost is replayed, not doubled.
    Returns how many resends succeeded; their keys count as acknowledged."""
    ok = 0
    for client, url, key in stats.failed_calls:
        with suppress(ConnectionFailed):
            status, _, _ = client.request("POST", url, {"outcome": "no_answer", "key": key},
                                          htmx=True)
            if status in (200, 204, 303):
                stats.acknowledged.append(key)
                ok += 1
    return ok


def complaint_form(client: Client, page: str):
    """The complaint page's own post form, filled in: (action, fields) or None.

    The header's forms (language, sign-out) also post: the form posting to the page itself
    (or with the most fields) is the one."""
    from html.parser import HTMLParser
    from urllib.parse import urlsplit

    status, _, body = client.request("GET", page)
    if status != 200:
        return None
    samples = {"date": "2026-01-05", "datetime-local": "2026-01-05T10:00", "number": "1",
               "tel": "13800000000", "email": "load@example.org"}

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.forms, self.form, self.select = [], None, None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                if (a.get("method") or "").lower() == "post":
                    self.form = (a.get("hx-post") or a.get("action") or page, {})
                    self.forms.append(self.form)
                return
            if self.form is None:
                return
            fields = self.form[1]
            name = a.get("name")
            kind = (a.get("type") or "text").lower()
            if tag == "input" and name and kind not in ("submit", "button"):
                if kind in ("checkbox", "radio") and name in fields:
                    return
                value = a.get("value") or samples.get(kind, "")
                if not value and kind == "text":
                    value = "13800000000" if "phone" in name else "Load test"
                fields[name] = value
            elif tag == "select" and name:
                self.select = name
            elif tag == "option" and self.select and self.select not in fields and a.get("value"):
                fields[self.select] = a["value"]
            elif tag == "textarea" and name:
                fields[name] = "Load test: the family says the discharge advice was unclear."

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "form":
                self.form = None

    parser = P()
    parser.feed(body.decode("utf-8", "replace"))
    if not parser.forms:
        return None
    own = [f for f in parser.forms if urlsplit(f[0]).path == urlsplit(page).path]
    action, fields = max(own or parser.forms, key=lambda f: len(f[1]))
    fields.pop("csrf_token", None)
    return action, fields


def run_phase(clients, homes, traffic: Traffic, requests: int, complaint_forms,
              during=None, count_failures: bool = True, deadline_s: float = 600) -> tuple[Stats, float]:
    """`requests` requests shared by the clients; with count_failures=False (a database
    outage) only answered requests count, so the load outlasts the outage (up to deadline_s)."""
    stats = Stats()
    lock = threading.Lock()
    state = {"issued": 0, "done": 0}
    stop_at = time.time() + deadline_s

    def worker(i):
        while time.time() < stop_at:
            with lock:
                if state["issued"] >= requests:
                    return
                state["issued"] += 1
            status = traffic.one(clients[i], homes[i], stats, complaint_forms[i])
            with lock:
                n = state["done"]
                state["done"] += 1
                if not count_failures:
                    if status is None or status >= 500:
                        state["issued"] -= 1
            if during:
                during(n)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats, time.perf_counter() - started


def summary(stats: Stats, elapsed: float, prefix: str) -> dict:
    latencies = [s[2] for s in stats.samples]
    return {
        f"{prefix}requests": len(stats.samples),
        f"{prefix}rps": round(len(stats.samples) / elapsed, 1) if elapsed else 0,
        f"{prefix}p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        f"{prefix}p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        f"{prefix}p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        f"{prefix}5xx": sum(1 for s in stats.samples if s[1] >= 500),
    }


# ------------------------------------------------------------------ verification


def verify(db: Database, acknowledged: list[str], complaints_before: int,
           complaints_ack: int) -> dict:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db.url)
    out = {}
    with engine.connect() as con:
        keys = set(con.execute(text("SELECT idempotency_key FROM call_attempts")).scalars())
        load_rows = con.execute(text(
            "SELECT count(*) FROM call_attempts a JOIN followup_tasks t ON t.id = a.task_id "
            "JOIN followup_rules r ON r.id = t.rule_id WHERE r.label = 'load'")).scalar()
        out["rows_acknowledged"] = len(acknowledged)
        out["rows_written"] = load_rows
        out["acknowledged_missing"] = len(set(acknowledged) - keys)
        out["half_written_tasks"] = con.execute(text(
            "SELECT count(*) FROM followup_tasks t JOIN followup_rules r ON r.id = t.rule_id "
            "WHERE r.label = 'load' AND t.attempts <> "
            "(SELECT count(*) FROM call_attempts a WHERE a.task_id = t.id)")).scalar()
        if "complaints" in inspect(con).get_table_names():
            written = con.execute(text("SELECT count(*) FROM complaints")).scalar()
            out["complaints_acknowledged"] = complaints_ack
            out["complaints_written"] = written - complaints_before
    engine.dispose()
    if db.kind == "sqlite":
        import sqlite3

        con = sqlite3.connect(db.path)
        out["integrity_check"] = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.close()
    return out


def count_complaints(db: Database) -> int:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db.url)
    with engine.connect() as con:
        n = (con.execute(text("SELECT count(*) FROM complaints")).scalar()
             if "complaints" in inspect(con).get_table_names() else 0)
    engine.dispose()
    return n


# ------------------------------------------------------------------ main


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
    args = parser.parse_args()
    if args.restart_postgres and args.database != "postgresql":
        parser.error("--restart-postgres needs --database postgresql")

    db = Database(args.database, args.db, private_cluster=args.restart_postgres)
    procs = []
    result: dict = {"database": args.database, "clients": args.clients, "workers": args.workers,
                    "discharges": args.discharges}
    try:
        log(f"preparing {args.database} database ...")
        data = prepare(db, args)
        endpoints = data["endpoints"]
        if "call" not in endpoints:
            log("the portal has no followups.log_attempt endpoint yet: no call-logging figures")
        port = free_port()
        portal = start_gunicorn("wsgi:app", db.url, port, args.workers, use_conf=True)
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

        if "call" in endpoints and not args.no_floor and not (args.kill_worker or args.restart_postgres):
            calls = Traffic({"call": 1}, endpoints, data["tasks"], rng)
            log("calls-only phase ...")
            call_stats, call_elapsed = run_phase(clients, homes, calls, args.requests, forms)
            result.update(summary(call_stats, call_elapsed, "calls_"))
            stats.acknowledged += call_stats.acknowledged
        acknowledged = stats.acknowledged
        for c in clients:
            c.close()
        stop(portal)

        if "call" in endpoints and not args.no_floor and not (args.kill_worker or args.restart_postgres):
            from benchmarks import floor_app

            floor_app.create_schema(db.url)
            fport = free_port()
            fproc = start_gunicorn("benchmarks.floor_app:app", db.url, fport, args.workers,
                                   use_conf=False)
            procs.append(fproc)
            fclients = [Client(fport) for _ in clients]
            counter = itertools.count()
            fstats = Stats()

            def floor_worker(i):
                while next(counter) < args.requests:
                    started = time.perf_counter()
                    try:
                        status, _, body = fclients[i].request("POST", "/floor",
                                                              {"key": uuid.uuid4().hex})
                    except ConnectionFailed:
                        fstats.connection_errors += 1
                        continue
                    fstats.add("floor", status, time.perf_counter() - started, body)

            log("floor phase ...")
            threads = [threading.Thread(target=floor_worker, args=(i,)) for i in range(len(fclients))]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            result.update(summary(fstats, time.perf_counter() - t0, "floor_"))
            stop(fproc)
            if result.get("floor_rps"):
                result["ratio"] = round(result["calls_rps"] / result["floor_rps"], 2)

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
          and result.get("half_written_tasks", 1) == 0
          and result.get("integrity_check", "ok") == "ok")
    if args.restart_postgres:
        ok = ok and result.get("recovered_s", -1) >= 0 and result.get("failures_after_recovery", 1) == 0
    result["ok"] = int(ok)
    print(json.dumps(result, indent=1), file=sys.stderr)
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
