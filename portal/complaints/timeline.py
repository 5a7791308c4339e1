"""A case's timeline as shown: entries with the time formatted and the user named, read in
one query (no entities). Written by changes.log()."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.complaints.models import ComplaintEvent
from portal.complaints.rows import local_minute
from portal.extensions import db


@dataclass(slots=True)
class Entry:
    """A timeline line as shown: the time already formatted, the user as a name."""
    id: int
    when: str
    user: str
    user_id: int | None
    kind: str
    field: str
    old_value: str
    new_value: str


def timeline(case_id: int, since_version: int | None = None) -> list[Entry]:
    """The case's timeline, newest first (one query, no entities); with since_version,
    what happened after the version a form was loaded with, oldest first (the 409 fragment)."""
    from portal.auth.models import User

    query = (select(ComplaintEvent.id, ComplaintEvent.at, ComplaintEvent.user_id,
                    ComplaintEvent.kind, ComplaintEvent.field, ComplaintEvent.old_value,
                    ComplaintEvent.new_value, User.display_name, User.username)
             .outerjoin(User, User.id == ComplaintEvent.user_id)
             .where(ComplaintEvent.complaint_id == case_id))
    if since_version is None:
        query = query.order_by(ComplaintEvent.id.desc())
    else:
        query = query.where(ComplaintEvent.version > since_version).order_by(ComplaintEvent.id)
    return [Entry(r.id, local_minute(r.at), r.display_name or r.username or "", r.user_id,
                  r.kind, r.field, r.old_value, r.new_value)
            for r in db.session.execute(query)]


def changes_since(case, version: int) -> list[Entry]:
    """What happened after the version a form was loaded with (the 409 fragment)."""
    return timeline(case.id, since_version=version)
