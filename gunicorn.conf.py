"""gunicorn settings for CareLoop: `make serve`, or `gunicorn -c gunicorn.conf.py wsgi:app`.

Environment: GUNICORN_BIND (default 127.0.0.1:8000; behind nginx keep it on loopback),
GUNICORN_WORKERS / WEB_CONCURRENCY (default 2 x CPUs + 1, at most 8), GUNICORN_THREADS
(default 4), GUNICORN_TIMEOUT (seconds, default 60). The database is DATABASE_URL, as for
every `flask` command. The access log names the client address, the method and the path
only: no query string (search terms), no referrer, no cookies, no user agent.
"""
from __future__ import annotations

import logging
import os
import sys

from portal.deploy import worker_count

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = worker_count()
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
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


def post_fork(server, worker):
    """Each worker opens its own database connections: drop those inherited from the master."""
    import wsgi
    from portal.extensions import db

    with wsgi.app.app_context():
        db.engine.dispose(close=False)
