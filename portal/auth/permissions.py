"""Who may use which endpoint: declared on each view, enforced for every request.

Every view is wrapped by `@allow(...)`. A view without a declaration is refused
(deny by default), so a new route cannot be reachable by accident; the role x
endpoint matrix test reads the same declarations.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

from portal.auth.models import ROLES

PUBLIC = "public"          # no sign-in (login page, health check, self-service survey)
SIGNED_IN = "signed_in"    # any signed-in role
ANY_ROLE = frozenset(ROLES)


def allow(*roles: str):
    """Declare the roles that may use a view: role names, SIGNED_IN or PUBLIC."""
    declared = frozenset(roles)
    if SIGNED_IN in declared:
        declared = ANY_ROLE
    unknown = declared - ANY_ROLE - {PUBLIC}
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.allowed_roles = declared
        return wrapper

    return decorate


def allowed_roles(endpoint: str | None) -> frozenset[str] | None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    if endpoint == "static":
        return frozenset({PUBLIC})
    return getattr(view, "allowed_roles", None)


def enforce_access():
    """before_request: sign-in and role checks for the matched endpoint."""
    if request.endpoint is None:  # 404 / 405 are handled by Flask
        return None
    roles = allowed_roles(request.endpoint)
    if roles is None:
        abort(403)
    if PUBLIC in roles:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role not in roles:
        abort(403)
    return None


def may(endpoint: str, user=None) -> bool:
    """May this user open this endpoint? (used by the navigation and buttons)."""
    user = user or current_user
    roles = allowed_roles(endpoint)
    if roles is None:
        return False
    if PUBLIC in roles:
        return True
    return bool(user and user.is_authenticated and user.role in roles)
