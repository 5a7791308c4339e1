"""A case's timeline as shown: entries with the time formatted and the user named, read in
one query (no entities). Written by changes.log()."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from markupsafe import Markup
from sqlalchemy import bindparam, select

from portal.complaints.models import ComplaintEvent
from portal.complaints.rows import labels
from portal.extensions import db
from portal.templating import escape_str as _e
from portal.timeutil import local_minute


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
    params = {"case_id": case_id}
    if since_version is not None:
        params["since"] = since_version
    return [Entry(r.id, local_minute(r.at), r.display_name or r.username or "", r.user_id,
                  r.kind, r.field, r.old_value, r.new_value)
            for r in db.session.connection().execute(_statement(since_version is not None),
                                                     params)]


@cache
def _statement(since: bool):
    """Built once (a case page reads it, and every 409): parameters case_id [and since]."""
    from portal.auth.models import User

    query = (select(ComplaintEvent.id, ComplaintEvent.at, ComplaintEvent.user_id,
                    ComplaintEvent.kind, ComplaintEvent.field, ComplaintEvent.old_value,
                    ComplaintEvent.new_value, User.display_name, User.username)
             .outerjoin(User, User.id == ComplaintEvent.user_id)
             .where(ComplaintEvent.complaint_id == bindparam("case_id")))
    if not since:
        return query.order_by(ComplaintEvent.id.desc())
    return (query.where(ComplaintEvent.version > bindparam("since"))
            .order_by(ComplaintEvent.id))


def changes_since(case, version: int) -> list[Entry]:
    """What happened after the version a form was loaded with (the 409 fragment)."""
    return timeline(case.id, since_version=version)


def entries_html(entries: list[Entry], timed: bool = True) -> Markup:
    """The entries as <li> lines: "time · user · what happened" (the time in <time> when
    `timed`). Written here rather than by a Jinja macro per entry (a case page shows them
    all); values are user text and every one is escaped, labels are escaped once per
    language (rows.labels)."""
    lab = labels()
    ev, states, fields, causes = lab.events, lab.groups["state"], lab.groups["field"], \
        lab.groups["cause"]
    out = []
    for e in entries:
        kind, new = e.kind, _e(e.new_value)
        if kind == "state":
            text = (f"{ev.state}: {_e(states.get(e.old_value, e.old_value))} → "
                    f"{_e(states.get(e.new_value, e.new_value))}")
        elif kind == "field":
            text = (f'{_e(ev.changed % {"field": fields.get(e.field, e.field)})}: '
                    f"<del>{_e(e.old_value)}</del> → {new}")
        elif kind == "comment":
            text = f"{ev.comment}: {new}"
        elif kind == "cause":
            text = f"{ev.cause} ({_e(causes.get(e.field, e.field))}): {new}"
        elif kind == "action":
            if e.field == "added":
                what = f"{ev.added}: {new}"
            elif e.field == "done":
                what = f"{ev.done}: {new}"
            else:
                verdict = ev.effective if e.new_value == "effective" else ev.not_effective
                what = f"{ev.verified}: {_e(e.old_value)} — {verdict}"
            text = f"{ev.action} · {what}"
        else:
            text = ""
        when = f"<time>{_e(e.when)}</time>" if timed else _e(e.when)
        out.append(f"    <li>{when} · {_e(e.user or '')} · {text}</li>\n")
    return Markup("".join(out))
