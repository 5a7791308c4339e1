"""Error pages (400/403/404/405/409/413/422/429/500/503), HTMX-aware.

A fragment request gets a short body and a toast through HX-Trigger instead of a
page swapped into a table cell. A 500 rolls the transaction back and never shows
a traceback.
"""
from __future__ import annotations

import json
import logging
import sqlite3

from flask import g, make_response, render_template
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.htmx import TOAST_EVENT, is_htmx

log = logging.getLogger(__name__)


def titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please sign in"),
        403: _("You may not do this"),
        404: _("Not found"),
        405: _("This action is not available here"),
        409: _("Someone else changed this first"),
        413: _("The file is too large"),
        422: _("Please correct the marked fields"),
        429: _("Too many requests; please wait a moment"),
        500: _("Something went wrong on our side"),
        503: _("The service is temporarily unavailable"),
    }


def error_response(code: int, message: str | None = None, *, headers=None, plain=False):
    """The error as a page, or as a toast for htmx. `plain` avoids the database (for 503)."""
    title = titles().get(code, _("Error"))
    text = message or title
    if is_htmx():
        resp = make_response(render_template("errors/_toast.html", code=code, title=title,
                                             message=text), code)
        resp.headers["HX-Trigger"] = json.dumps(
            {TOAST_EVENT: [{"level": "error", "message": text}]}, ensure_ascii=True)
        resp.headers["HX-Reswap"] = "none"
    else:
        resp = make_response(render_template("errors/plain.html" if plain else "errors/error.html",
                                             code=code, title=title,
                                             message=text), code)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _describe(e: HTTPException) -> str | None:
    # Our own abort(code, description) messages are shown; werkzeug's English defaults are not.
    default = type(e).description
    return e.description if e.description and e.description != default else None


def is_lock_timeout(e: DBAPIError) -> bool:
    """SQLite's "database is locked" (busy timeout); PostgreSQL's lock_timeout (55P03), and a
    deadlock (40P01) or serialization failure (40001), where PostgreSQL rolled this request
    back so that a concurrent one could go on: nothing was saved, the same click works again."""
    orig = getattr(e, "orig", None)
    if isinstance(orig, sqlite3.OperationalError) and "database is locked" in str(orig):
        return True
    return getattr(orig, "sqlstate", None) in ("55P03", "40P01", "40001")


def register(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if e.code and e.code >= 500:
            db.session.rollback()
        headers = {}
        if e.code == 405 and e.valid_methods:
            headers["Allow"] = ", ".join(e.valid_methods)
        if e.code == 429 and getattr(e, "retry_after", None):
            headers["Retry-After"] = str(e.retry_after)
        return error_response(e.code or 500, _describe(e), headers=headers)

    @app.errorhandler(StaleDataError)
    def stale_data(e):
        # a concurrent UPDATE won the race (version_id_col): nothing of this request is kept
        db.session.rollback()
        from portal.concurrency import StaleEdit

        return error_response(409, str(StaleEdit.message))

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_error(e):
        db.session.rollback()
        # Flask-Login's template context loads the user from the database: don't, now.
        g._login_user = AnonymousUserMixin()
        unreachable = isinstance(e, OperationalError) or getattr(e, "connection_invalidated", False)
        if (unreachable or is_lock_timeout(e)) and g.get("_db_saved"):
            # the change was committed; only reading for the answer failed: sending the form
            # again would file it twice (e.g. a complaint, which has no idempotency key)
            log.error("database error after the commit: %s", type(e).__name__)
            return error_response(503, _("Your change was saved, but the page cannot be shown "
                                         "right now. Do not send it again; reload the page in "
                                         "a moment."), headers={"Retry-After": "5"}, plain=True)
        if is_lock_timeout(e):
            # SQLite's busy timeout ran out while other requests held the write lock:
            # nothing of this request was saved; the same click a moment later will work
            log.warning("database busy: the write lock was not free in time")
            return error_response(503, _("Many changes are being saved at this moment; nothing "
                                         "was saved. Please try again."),
                                  headers={"Retry-After": "2"}, plain=True)
        log.error("database error: %s", type(e).__name__)
        if unreachable:
            return error_response(503, _("The database cannot be reached; please try again shortly."),
                                  headers={"Retry-After": "5"}, plain=True)
        return error_response(500)

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def server_error(e):
        db.session.rollback()
        if not isinstance(e, HTTPException):
            log.exception("unhandled error")
        return error_response(500)
