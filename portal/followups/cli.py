"""`flask --app wsgi import-discharges PATH [--valid-only]`: the import service from a shell."""
from __future__ import annotations

import click
from flask import Flask

from portal.extensions import db


def register_cli(app: Flask) -> None:
    app.cli.add_command(import_discharges)


@click.command("import-discharges")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--valid-only", is_flag=True,
              help="Import the valid rows even when some rows are bad.")
@click.option("--user", "username", default="",
              help="Record the import under this account (default: none, shown as the CLI).")
def import_discharges(path: str, valid_only: bool, username: str):
    """Import a HIS discharge list (CSV or XLSX); nothing is written if a row is bad."""
    import os

    from sqlalchemy import select

    from portal.auth.models import User
    from portal.followups.importer import ImportFileError, import_file

    user = None
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"No account {username!r}.")
    try:
        result = import_file(path, user=user, filename=os.path.basename(path),
                             valid_only=valid_only, commit=db.session.commit)
    except ImportFileError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    db.session.commit()
    for issue in result.issues:
        kind = {"error": "bad row", "warning": "warning", "name": "name differs"}[issue.kind]
        column = f" [{issue.column}]" if issue.column else ""
        click.echo(f"row {issue.row}{column} {kind}: {issue.english()}")
    if result.issues_total > len(result.issues):
        click.echo(f"... and {result.issues_total - len(result.issues)} more problems")
    click.echo(f"rows={result.rows_total} added={result.added} duplicates={result.duplicates} "
               f"rejected={result.rejected} warnings={result.warnings} "
               f"name_mismatches={result.name_mismatches} tasks={result.tasks_created}")
    if not result.imported:
        click.echo("Nothing was imported: correct the bad rows, or use --valid-only.", err=True)
        raise SystemExit(1)
