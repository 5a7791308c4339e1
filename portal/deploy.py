"""`flask --app wsgi check-deploy`: report unsafe production settings, exit 1 if any.

Run it on every production host with the environment gunicorn gets (README, "Production").
The gunicorn worker and thread counts are shared with gunicorn.conf.py through
`worker_count()` and `thread_count()`.
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

MIN_SECRET_LENGTH = 32
# Values found in tutorials, templates and our own tests: never a production key.
KNOWN_SECRETS = frozenset({
    "dev", "development", "secret", "secret-key", "secret_key", "changeme", "change-me",
    "change_me", "please-change-me", "your-secret-key", "supersecret", "default", "careloop",
    "test-secret-key-0123456789abcdef0123456789",
})


def worker_count() -> int:
    """gunicorn workers: GUNICORN_WORKERS or WEB_CONCURRENCY, else 2 x CPUs + 1 (max 8)."""
    for name in ("GUNICORN_WORKERS", "WEB_CONCURRENCY"):
        if os.environ.get(name, "").strip().isdigit():
            return max(1, int(os.environ[name]))
    return min(2 * multiprocessing.cpu_count() + 1, 8)


def thread_count() -> int:
    """Threads per gunicorn worker: GUNICORN_THREADS, else 1 on SQLite and 4 with a database
    server (DATABASE_URL). Threads overlap a request's waits; on SQLite the database runs
    inside the worker, so there is little to overlap, and SQLite has one writer at a time:
    more threads only add requests waiting on its write lock, which costs CPU (benchmarks/
    load.py with 4 workers on 2 cores: 4 threads gave 0.65 ms more CPU per logged call,
    a fifth less throughput and a p99 2.5 times longer than 1 thread). On PostgreSQL the
    two were even, and threads keep a slow report from holding a whole worker."""
    value = os.environ.get("GUNICORN_THREADS", "").strip()
    if value.isdigit():
        return max(1, int(value))
    url = os.environ.get("DATABASE_URL", "").strip()
    return 4 if url and not url.startswith("sqlite") else 1


def problems(app: Flask) -> list[str]:
    """Every unsafe setting found, as a sentence an operator can act on."""
    cfg = app.config
    found: list[str] = []
    if app.debug or os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes", "on"):
        found.append("Debug mode is on: tracebacks and the debugger would be exposed. "
                     "Unset FLASK_DEBUG.")
    if cfg.get("TESTING"):
        found.append("TESTING is on: error handling is relaxed. Unset PORTAL_TESTING.")
    found.extend(_secret_key_problems(app))
    if not cfg.get("SESSION_COOKIE_SECURE"):
        found.append("SESSION_COOKIE_SECURE is off: the session cookie would travel without "
                     "HTTPS. Serve over HTTPS and set PORTAL_SESSION_COOKIE_SECURE=1.")
    url = make_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and cfg.get("MULTI_HOST"):
        found.append("SQLite is configured but the portal runs on more than one host "
                     "(PORTAL_MULTI_HOST): hosts cannot share a SQLite file safely. "
                     "Use PostgreSQL (DATABASE_URL=postgresql+psycopg://...).")
    storage = str(cfg.get("RATELIMIT_STORAGE_URI") or "memory://")
    workers = worker_count()
    if storage.startswith("memory") and (workers > 1 or cfg.get("MULTI_HOST")):
        found.append(f"Rate limits are kept in each process's memory but {workers} gunicorn "
                     "workers are configured: each worker counts sign-in attempts on its own. "
                     "Set REDIS_URL.")
    return found


def _secret_key_problems(app: Flask) -> list[str]:
    key = app.config.get("SECRET_KEY") or ""
    if not key:
        return ["SECRET_KEY is not set. Set it to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (python -c 'import secrets; "
                "print(secrets.token_hex(32))')."]
    instance_key = Path(app.instance_path) / "secret_key"
    if instance_key.exists() and instance_key.read_text().strip() == key:
        return ["SECRET_KEY is the development key generated in instance/secret_key. "
                "Set SECRET_KEY in the environment (the same value on every host)."]
    if key.strip().lower() in KNOWN_SECRETS:
        return ["SECRET_KEY is a well-known default value. Set a random one."]
    if len(key) < MIN_SECRET_LENGTH:
        return [f"SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters. "
                "Set a longer random value."]
    return []


@click.command("check-deploy")
@with_appcontext
def check_deploy():
    """Report unsafe production settings; exit status 1 when there is any."""
    app = current_app._get_current_object()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo(f"database: {url.get_backend_name()}; gunicorn workers: {worker_count()} "
               f"x {thread_count()} threads; "
               f"rate-limit storage: {str(app.config['RATELIMIT_STORAGE_URI']).split(':')[0]}")
    found = problems(app)
    for problem in found:
        click.echo(f"PROBLEM: {problem}")
    if found:
        click.echo(f"{len(found)} problem(s): not safe for production.")
        raise SystemExit(1)
    click.echo("No problems found.")
