"""Sign-in, lockout, session lifetime and account changes.

Sessions live in Flask's signed cookie, which a server cannot delete. So each user
row carries a `session_version`; the cookie holds the version it was issued with
(see User.get_id) and every request compares it. Bumping the number ends every
session of that user at once, in every gunicorn worker.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache

from flask import abort, current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import instance_dict, manager_of_class, set_committed_value
from sqlalchemy.orm.util import identity_key

from portal.audit import services as audit
from portal.auth.models import ROLES, User, user_wards
from portal.auth.passwords import hash_password, password_problem, verify_password
from portal.concurrency import check_version
from portal.db import reading_first, utcnow
from portal.extensions import db
from portal.wards.models import Ward

WARD_ROLES = ("nurse", "head_nurse")  # roles that only see their own wards


class AccountError(ValueError):
    """A refused account change; the message is for the person at the keyboard."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


@cache
def _dummy_hash() -> str:
    # Checked against for unknown usernames so both paths cost one scrypt.
    return hash_password(secrets.token_hex(16))


def authenticate(username: str, password: str) -> User | None:
    """The user if the credentials are right and the account may sign in; else None.

    Unknown user, wrong password, disabled and locked accounts all return None, so
    the page shows the same message for each. Failures are counted in the database.
    """
    cfg = current_app.config
    now = utcnow()
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        verify_password(_dummy_hash(), password)
        # an attempt on an unknown name is nobody's, even from a signed-in browser
        audit.record("login.failed", user=audit.NOBODY, object_type="users", reason="unknown")
        return None
    if user.locked_until and user.locked_until > now:
        verify_password(_dummy_hash(), password)
        audit.record("login.failed", user, user=user, reason="locked")
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        window = timedelta(minutes=cfg["LOGIN_FAILURE_WINDOW_MINUTES"])
        if user.first_failed_at is None or now - user.first_failed_at > window:
            user.first_failed_at, user.failed_logins = now, 0
        user.failed_logins += 1
        reason = "disabled" if user.active is False else "password"
        audit.record("login.failed", user, user=user, reason=reason)
        if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            user.failed_logins, user.first_failed_at = 0, None
            audit.record("login.locked", user, user=user,
                         minutes=cfg["LOGIN_LOCK_MINUTES"])
        db.session.flush()
        return None
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    user.last_login_at = now
    audit.record("login.success", user, user=user)
    return user


def start_session(user: User) -> None:
    """A fresh session: nothing from before sign-in survives into it."""
    lang = session.get("lang")
    session.clear()
    login_user(user)
    now = utcnow().timestamp()
    session["auth_at"] = now
    session["seen_at"] = now
    if lang and not user.language:
        session["lang"] = lang
    session.permanent = True


def sign_out(user: User) -> None:
    end_sessions(user)
    audit.record("logout", user, user=user)
    logout_user()
    session.clear()


def end_sessions(user: User) -> None:
    """Invalidate every cookie issued to this user."""
    user.session_version += 1
    db.session.flush()


def session_expired() -> bool:
    """True when the signed-in session is past its idle or absolute limit; else touch it."""
    cfg = current_app.config
    now = utcnow().timestamp()
    auth_at, seen_at = session.get("auth_at"), session.get("seen_at")
    if auth_at is None or seen_at is None:
        return True
    if now - seen_at > cfg["SESSION_IDLE_MINUTES"] * 60:
        return True
    if now - auth_at > cfg["SESSION_ABSOLUTE_HOURS"] * 3600:
        return True
    if now - seen_at > 30:  # don't rewrite the cookie on every request
        session["seen_at"] = now
    return False


_USER_COLUMNS = tuple(c.key for c in User.__table__.c)
_WARD_COLUMNS = tuple(c.key for c in Ward.__table__.c)


@cache
def _user_statement():
    """The user's row and, in the same statement, the user's wards (most pages scope their
    lists by them): one row per ward, by code."""
    users, wards = User.__table__, Ward.__table__
    return (select(users, *(c.label(f"ward_{c.key}") for c in wards.c)).select_from(users)
            .outerjoin(user_wards, user_wards.c.user_id == users.c.id)
            .outerjoin(wards, wards.c.id == user_wards.c.ward_id)
            .where(users.c.id == bindparam("id")).order_by(wards.c.code))


def load_user(token: str) -> User | None:
    """Flask-Login's loader: the id and session version must both match.

    Every request asks, so the user and its wards are read with one Core statement and put
    in the session as the ORM would have loaded them (persistent, clean): the ORM's query
    and its joined-collection loading cost several times the statement."""
    user_id, _, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    rows = db.session.connection().execute(_user_statement(), {"id": int(user_id)}).all()
    if not rows or not rows[0].active or rows[0].session_version != int(version):
        return None
    n = len(_USER_COLUMNS)
    user = _loaded(User, dict(zip(_USER_COLUMNS, rows[0][:n], strict=True)))
    wards = [_loaded(Ward, dict(zip(_WARD_COLUMNS, row[n:], strict=True)))
             for row in rows if row[n] is not None]
    if "wards" not in inspect(user).dict:
        set_committed_value(user, "wards", wards)
    return user


def _loaded(model, values: dict):
    """The session's object for this row, as a query would give it: the one the session
    holds already (its expired attributes filled in from the row, its changes kept), or a
    new one made persistent with these values (no INSERT; history clean)."""
    found = db.session.identity_map.get(identity_key(model, values["id"]))
    if found is not None:
        loaded = instance_dict(found)
        for key, value in values.items():
            if key not in loaded:
                set_committed_value(found, key, value)
        return found
    obj = manager_of_class(model).new_instance()   # as a query's loader makes it: no
    instance_dict(obj).update(values)                # constructor, no change events
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


def wards_by_code(codes: list[str]) -> list[Ward]:
    wards = list(db.session.scalars(select(Ward).where(Ward.code.in_(codes))))
    missing = set(codes) - {w.code for w in wards}
    if missing:
        raise AccountError(_l("Unknown ward: %(codes)s", codes=", ".join(sorted(missing))),
                           "wards")
    return wards


def create_user(username: str, password: str, role: str, wards: list[Ward], *,
                display_name: str = "", actor: User | None = None,
                check_policy: bool = True) -> User:
    username = username.strip()
    if role not in ROLES:
        raise AccountError(_l("Unknown role: %(role)s", role=role), "role")
    if not username or len(username) > 64:
        raise AccountError(_l("A username of 1 to 64 characters is required."), "username")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountError(_l("This username is taken."), "username")
    _check_wards(role, wards)
    if check_policy and (problem := password_problem(password, username)):
        raise AccountError(problem, "password")
    user = User(username=username, display_name=display_name or username,
                password_hash=hash_password(password), role=role, wards=list(wards))
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, user=actor, role=role, wards=[w.code for w in wards])
    return user


def set_password(user: User, password: str, *, actor: User | None = None) -> None:
    if problem := password_problem(password, user.username):
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    end_sessions(user)
    audit.record("user.password_reset", user, user=actor)


def update_user(user: User, *, role: str, wards: list[Ward], display_name: str,
                active: bool, actor: User | None = None, version=None) -> None:
    """Apply an admin's edit made on a form loaded at `version` (StaleEdit if out of date).

    A role change or disabling ends the user's sessions; the last active admin can be
    neither demoted nor disabled, and nobody disables their own account.
    """
    if version is not None:
        check_version(user, version)
    if role not in ROLES:
        raise AccountError(_l("Unknown role: %(role)s", role=role), "role")
    display_name = display_name.strip()
    _check_wards(role, wards)
    if actor is not None and actor.id == user.id and not active:
        raise AccountError(_l("You cannot disable your own account."), "active")
    if user.role == "admin" and user.active and (role != "admin" or not active):
        _keep_an_admin(user, "role" if role != "admin" else "active")
    changes = {}
    if role != user.role:
        changes["role"] = [user.role, role]
    if active != user.active:
        changes["active"] = [user.active, active]
    old_codes, new_codes = [w.code for w in user.wards], sorted(w.code for w in wards)
    if old_codes != new_codes:
        changes["wards"] = [old_codes, new_codes]
    if display_name != user.display_name:
        changes["display_name"] = True  # the name itself stays out of the log
    if not changes:
        return
    user.role, user.active, user.display_name = role, active, display_name
    user.wards = sorted(wards, key=lambda w: w.code)
    if "role" in changes or "active" in changes:
        end_sessions(user)
    db.session.flush()
    audit.record("user.updated", user, user=actor, **changes)


def _check_wards(role: str, wards: list[Ward]) -> None:
    if role in WARD_ROLES and not wards:
        raise AccountError(_l("Nurses and head nurses need at least one ward."), "wards")


def _keep_an_admin(user: User, field: str) -> None:
    """Refuse a change that would leave no active admin (rows locked on PostgreSQL)."""
    others = db.session.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True), User.id != user.id)
        .with_for_update()).all()
    if not others:
        raise AccountError(_l("At least one active administrator must remain."), field)


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def user_query(*, q: str = "", role: str = "", ward_id: int | None = None,
               active: bool | None = None):
    """A select() of users for the admin list, by username, with their wards loaded."""
    query = select(User).options(selectinload(User.wards)).order_by(User.username)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(User.username).like(f"%{escaped}%", escape="\\"))
    if role:
        query = query.where(User.role == role)
    if ward_id:
        query = query.where(User.wards.any(Ward.id == ward_id))
    if active is not None:
        query = query.where(User.active.is_(active))
    return query


def check_session():
    """before_request: end a signed-in session that is stale or revoked."""
    from flask import request
    from flask_login import current_user

    if request.endpoint == "static" or not session.get("_user_id"):
        return None
    with reading_first():  # the user is loaded before any write lock (portal/db.py)
        signed_in = current_user.is_authenticated
    if not signed_in or session_expired():
        # revoked (version bumped, disabled) or timed out: drop the cookie's contents
        lang = session.get("lang")
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
    return None


def unauthorized():
    """Flask-Login's handler: htmx gets HX-Redirect, a page gets a redirect, both to /login."""
    from flask import redirect, request, url_for

    from portal.htmx import hx_redirect

    next_path = request.full_path.rstrip("?") if request.method == "GET" else None
    target = url_for("auth.login", next=next_path)
    if request.headers.get("HX-Request") == "true":
        return hx_redirect(target, 401)
    return redirect(target, 303)
