"""`flask --app wsgi verify-summaries` and `rebuild-summaries`: the dashboard's summary
tables against (and from) the base tables."""
from __future__ import annotations

import click
from flask import Flask

from portal.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(verify_summaries)
    app.cli.add_command(rebuild_summaries)


@click.command("verify-summaries")
@click.option("--limit", default=20, show_default=True, help="Differing keys listed per table.")
def verify_summaries(limit: int):
    """Recompute every summary from the base tables and compare; exit 1 when they differ.

    The keys writes have marked (summary_dirty) are recomputed first, as any reader does,
    inside this command's transaction, which is then rolled back: it changes nothing."""
    from portal.dashboard import summaries

    found = summaries.differences(db.session.connection())
    db.session.rollback()
    if not found:
        click.echo("summaries match the base tables")
        return
    for name, diff in found.items():
        click.echo(f"{name}: {len(diff)} keys differ (key: stored -> base)")
        for key, stored, base in diff[:limit]:
            click.echo(f"  {key}: {stored} -> {base}")
    raise SystemExit(1)


@click.command("rebuild-summaries")
def rebuild_summaries():
    """Fill the summary tables again from the base tables (after an upgrade or a repair)."""
    from portal.dashboard import summaries

    summaries.rebuild(db.session.connection())
    db.session.commit()
    click.echo("summaries rebuilt")
