"""Small reference tables each process holds: the holiday calendar, complaint categories, wards.

They are a few dozen rows that admins change a few times a year, read by nearly every page
(list filters, deadlines, the header badge, every afternoon no-answer call). Each process
keeps what `held()` loaded and loads it again:
- after REFRESH_SECONDS, so another gunicorn worker's edit is seen within a minute;
- at once after this process writes a row of a watched model (an ORM flush: the transaction's
  own reads see its change), and again when that transaction commits or rolls back.
A bulk Core statement passes no flush: its writer calls `forget()`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")
REFRESH_SECONDS = 60.0  # how long another worker's edit may go unseen here
_HELD = "refdata"       # app.extensions: {name: (read at, value)}
_WRITTEN = "refdata_written"   # session.info: names this transaction has written
_WATCHED: dict[type, set[str]] = {}   # model -> names of what is made from its rows


def held(name: str, load: Callable[[], T], *models: type) -> T:
    """This process's copy of `name`, made by `load()` from the rows of `models`."""
    for model in models:
        _WATCHED.setdefault(model, set()).add(name)
    cache = current_app.extensions.setdefault(_HELD, {})
    found = cache.get(name)
    if found is None or time.monotonic() - found[0] > REFRESH_SECONDS:
        found = cache[name] = (time.monotonic(), load())
    return found[1]


def forget(*names: str) -> None:
    """Load these (every name when none is given) again at their next use."""
    cache = current_app.extensions.get(_HELD, {})
    for name in names or list(cache):
        cache.pop(name, None)


@event.listens_for(Session, "after_flush")
def _forget_on_write(session, _context):
    names = {name for obj in (*session.new, *session.dirty, *session.deleted)
             for name in _WATCHED.get(type(obj), ())}
    if names:
        session.info.setdefault(_WRITTEN, set()).update(names)
        forget(*names)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_after_write(session):
    names = session.info.pop(_WRITTEN, None)
    if names:
        forget(*names)  # committed: everyone's next read; rolled back: drop what only it saw
