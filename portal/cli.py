"""Command-line interface: `flask --app wsgi COMMAND`.

demo-data, create-user, backup and restore live here (check-deploy in portal/deploy.py);
features add their own commands through a `register_cli(app)` function in their `cli.py`.
"""
from __future__ import annotations

import importlib
import importlib.util
import random
import sys

import click
from flask import Flask

from portal import FEATURES
from portal.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(demo_data)
    app.cli.add_command(create_user)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
    from portal.deploy import check_deploy

    app.cli.add_command(check_deploy)
    for feature in FEATURES:
        if importlib.util.find_spec(f"portal.{feature}.cli"):
            importlib.import_module(f"portal.{feature}.cli").register_cli(app)


def feature_modules(name: str):
    """Each feature's module called `name` (demo, seed ...), in FEATURES order."""
    for feature in FEATURES:
        if importlib.util.find_spec(f"portal.{feature}.{name}"):
            yield importlib.import_module(f"portal.{feature}.{name}")


@click.command("demo-data")
@click.option("--discharges", default=2000, show_default=True, help="Discharges over 12 months.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same data).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def demo_data(discharges: int, seed: int, if_empty: bool):
    """Load demo wards, accounts and records (never in production)."""
    from sqlalchemy import func, select

    from portal.auth.models import User

    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("Database already has data; demo data not loaded.")
        return
    rng = random.Random(seed)
    options = {"discharges": discharges, "seed": seed}
    from portal.dashboard.summary_events import deferred

    with deferred(db.session):  # the dashboard summaries: one rebuild at the end
        for module in feature_modules("demo"):
            module.generate(rng, options)
            db.session.commit()
    from portal.auth.demo import DEMO_PASSWORD, DEMO_USERS

    click.echo(f"Demo accounts (password {DEMO_PASSWORD}):")
    for username, role, wards in DEMO_USERS:
        click.echo(f"  {username:<10} {role:<11} {' '.join(wards) or 'all wards'}")


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(
    ["nurse", "head_nurse", "quality", "leader", "admin"]))
@click.option("--ward", "wards", multiple=True, help="Ward code; repeat for several wards.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username, role, wards, display_name, password_stdin):
    """Create an account; the password comes from a prompt or standard input."""
    from portal.auth import services

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(username, password, role, services.wards_by_code(list(wards)),
                                    display_name=display_name)
    except services.AccountError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    db.session.commit()
    click.echo(f"Created {user.username} ({user.role}).")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path):
    """Write an online, consistent backup of the database to PATH."""
    from portal import backup as backups

    try:
        summary = backups.backup(path)
    except backups.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(summary)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path, yes):
    """Replace the configured database with the backup at PATH (stop the portal first)."""
    from portal import backup as backups

    if not yes:
        click.confirm("This replaces every record in the configured database. Continue?",
                      abort=True)
    try:
        summary = backups.restore(path)
    except backups.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(summary)
