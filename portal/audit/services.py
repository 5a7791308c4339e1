"""The one way to write to the audit log, and the search over it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.timeutil import LOCAL_TZ

NOBODY = object()  # record(..., user=NOBODY): no user, even when someone is signed in


def record(action: str, obj=None, *, user=None, object_type: str = "", object_id="",
           **detail) -> AuditEntry:
    """Append an entry: who (default: the signed-in user), from where, what, on which object.

    `detail` is a small JSON mapping; never put phone numbers, names or passwords in it.
    """
    if user is NOBODY:
        user = None
    elif user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id or obj.id
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "",
        ip=(request.remote_addr or "") if has_request_context() else "cli",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        detail=detail,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def search_query(*, username: str = "", action: str = "", object_type: str = "",
                 object_id: str = "", date_from: date | None = None,
                 date_to: date | None = None):
    """A select() over the log for the given filters, newest first (dates are local days).

    The user is found by username (any case) and matched on the indexed user_id; an
    action ending with "." matches the whole group ("user." finds user.created, ...).
    """
    from portal.auth.models import User

    query = select(AuditEntry)
    if username:
        ids = select(User.id).where(func.lower(User.username) == username.lower())
        query = query.where(AuditEntry.user_id.in_(ids))
    if action.endswith("."):
        escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEntry.action.like(escaped + "%", escape="\\"))
    elif action:
        query = query.where(AuditEntry.action == action)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if date_from:
        query = query.where(AuditEntry.at >= datetime.combine(date_from, time(), LOCAL_TZ))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), time(), LOCAL_TZ)
        query = query.where(AuditEntry.at < end)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
