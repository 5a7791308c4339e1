"""Security headers on every response."""
from __future__ import annotations

from flask import Response, abort, request
from flask_babel import gettext as _

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def refuse_nul_bytes():
    """before_request: a NUL character is never valid text (PostgreSQL cannot store it)."""
    if request.method in ("POST", "PUT", "PATCH"):
        values = [*request.args.values(), *request.form.values()]
    else:
        values = list(request.args.values())
    if any("\x00" in v for v in values):
        abort(400, description=_("The form contained a NUL character; please remove it."))
    return None


def add_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["X-Frame-Options"] = "DENY"
    if request.endpoint != "static":
        # pages may carry patient data or a CSRF token: never cache them anywhere
        h["Cache-Control"] = "no-store"
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response
