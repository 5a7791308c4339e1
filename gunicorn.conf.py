"""gunicorn settings for CareLoop: `make serve`, or `gunicorn -c gunicorn.conf.py wsgi:app`.

Environment: GUNICORN_BIND (default 127.0.0.1:8000; behind nginx keep it on loopback),
GUNICORN_WORKERS / WEB_CONCURRENCY (default 2 x CPUs + 1, at most 8), GUNICORN_THREADS
(default 1 on SQLite, 4 with a database server: portal/deploy.py), GUNICORN_TIMEOUT
(seconds, default 60). The database is DATABASE_URL, as for every `flask` command. The
access log names the client address, the method and the path only: no query string (search
terms), no referrer, no cookies, no user agent.
"""
from __future__ import annotations

import logging
import os
import sys

from portal.deploy import thread_count, worker_count

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = worker_count()
worker_class = "gthread"
threads = thread_count()
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a stuck request is killed
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
# Load the app once in the master: configuration errors stop start-up at once and the
# start-up messages (e.g. the rate-limit storage) are logged once. post_fork below drops
# any database connection the master opened, so workers never share one.
preload_app = True
limit_request_line = 8190
# gunicorn >= 27 opens a control socket in ~/.gunicorn; several instances on one host
# (benchmarks, staging) would share it. Ignored by older versions.
control_socket_disable = True

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# %(U)s is the path without the query string; %(M)s the duration in milliseconds.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def _portal_logging() -> None:
    """The app's own messages (logger "portal") at INFO on the error log's stream."""
    logger = logging.getLogger("portal")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(
            "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "%Y-%m-%d %H:%M:%S %z"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


_portal_logging()


def when_ready(server):
    import wsgi

    storage = str(wsgi.app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory") and server.cfg.workers > 1:
        server.log.warning(
            "rate limits are kept in each worker's memory (%d workers): set REDIS_URL so all "
            "workers share them", server.cfg.workers)


def pre_fork(server, worker):
    """Move everything the master has loaded (the app, its modules, mappers and caches) out of
    the garbage collector's reach before a worker is forked: a worker's collections then scan
    only what its requests create (at a few hundred thousand long-lived objects they cost a
    tenth of a logged call), and the shared pages are not copied by the collector's writes."""
    import gc

    gc.freeze()


def post_fork(server, worker):
    """Each worker opens its own database connections: drop those inherited from the master."""
    import wsgi
    from portal.extensions import db

    with wsgi.app.app_context():
        db.engine.dispose(close=False)


# --- optional profiling (benchmarks/load.py --profile DIR): GUNICORN_PROFILE_DIR=DIR profiles
# every request whose path matches GUNICORN_PROFILE_PATH (a regular expression) with cProfile
# in the thread serving it, and each worker writes DIR/worker-<pid>.prof when it exits.
# Off by default; never in production.
if os.environ.get("GUNICORN_PROFILE_DIR"):
    import cProfile
    import re
    import threading

    _profile_path = re.compile(os.environ.get("GUNICORN_PROFILE_PATH", ".*"))
    _profile_local = threading.local()
    _profiles: list = []

    def pre_request(worker, req):
        if _profile_path.search(req.path):
            _profile_local.profile = cProfile.Profile()
            _profile_local.profile.enable()

    def post_request(worker, req, environ, resp):
        profile = getattr(_profile_local, "profile", None)
        if profile is not None:
            profile.disable()
            _profiles.append(profile)
            _profile_local.profile = None

    def worker_exit(server, worker):
        import pstats

        if _profiles:
            stats = pstats.Stats(_profiles[0])
            for profile in _profiles[1:]:
                stats.add(profile)
            stats.dump_stats(os.path.join(os.environ["GUNICORN_PROFILE_DIR"],
                                          f"worker-{os.getpid()}.prof"))
