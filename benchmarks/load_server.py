"""The server side of benchmarks/load.py: a fresh database with nurses and tasks, gunicorn
started and stopped (the portal with gunicorn.conf.py; the floor app with the same settings),
the CPU time the server processes used, and the checks of what was written.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing, suppress
from pathlib import Path

from benchmarks.load_client import PASSWORD, Client

ROOT = Path(__file__).resolve().parent.parent
SECRET = "load-test-secret-key-0123456789abcdef0123456789"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


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


# The floor app runs with every setting of gunicorn.conf.py (workers, threads, worker class,
# timeouts, keep-alive, preloading, access log); only the portal's own hooks are left out.
FLOOR_CONF = """
from pathlib import Path
_conf = Path({conf!r})
exec(compile(_conf.read_text(), str(_conf), "exec"))
del when_ready, post_fork  # the portal's: the floor opens its engine in each worker itself
"""


def start_gunicorn(app_spec: str, url: str, port: int, workers: int, floor: bool = False,
                   env: dict | None = None):
    conf = ROOT / "gunicorn.conf.py"
    if floor:
        floor_conf = Path(tempfile.gettempdir()) / f"careloop-floor-gunicorn-{os.getpid()}.conf.py"
        floor_conf.write_text(FLOOR_CONF.format(conf=str(conf)))
        conf = floor_conf
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(conf), "-w", str(workers),
           "-b", f"127.0.0.1:{port}", "--access-logfile", "-", "--error-logfile", "-", app_spec]
    logfile = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**flask_env(url), **(env or {})}, stdout=logfile,
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


def server_cpu(proc) -> float:
    """CPU seconds used so far by gunicorn: the master, its live workers and the reaped ones."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid):
        with suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            return [int(x) for x in stat.rsplit(")", 1)[1].split()[11:15]]
        return [0, 0, 0, 0]

    utime, stime, cutime, cstime = fields(proc.pid)
    total = utime + stime + cutime + cstime
    for pid in workers_of(proc):
        total += sum(fields(pid)[:2])
    return total / tick


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
