"""`flask calendar-seed`: add the days chinesecalendar knows that are not in the table yet."""
from __future__ import annotations

import click
from flask import Flask


@click.command("calendar-seed")
def calendar_seed():
    """Add public holidays and make-up workdays from chinesecalendar (keeps admin edits)."""
    from sqlalchemy import insert, select

    from portal.calendar.models import CalendarDay
    from portal.calendar.seed import missing_rows
    from portal.db import utcnow
    from portal.extensions import db

    existing = set(db.session.scalars(select(CalendarDay.day)))
    now = utcnow()
    rows = [{**r, "created_at": now, "updated_at": now, "version": 1}
            for r in missing_rows(existing)]
    if rows:
        db.session.execute(insert(CalendarDay), rows)
    db.session.commit()
    from portal import refdata

    refdata.forget("calendar")  # a bulk insert passes no flush: read the calendar again
    click.echo(f"Added {len(rows)} calendar days.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(calendar_seed)
