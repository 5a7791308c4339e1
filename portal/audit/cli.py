"""audit commands: `flask --app wsgi retention [--dry-run]`."""
from __future__ import annotations

import click
from flask import Flask


def register_cli(app: Flask) -> None:
    app.cli.add_command(retention)


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Report what would be removed; change nothing.")
def retention(dry_run: bool):
    """Delete audit entries; remove patients' phones and complainants' details; past their periods."""
    from portal.audit import retention as rules

    try:
        result = rules.run(dry_run=dry_run)
    except rules.RetentionError as e:
        raise click.ClickException(str(e)) from None
    click.echo(result.summary())
