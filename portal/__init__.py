"""CareLoop: the application factory.

create_app(config=None): config -> extensions -> blueprints -> errors -> cli.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging

from flask import Flask

# Feature packages, each a blueprint named like the package (endpoints read `complaints.detail`).
FEATURES = ("home", "wards", "auth", "admin", "audit", "calendar", "followups", "surveys",
            "complaints", "dashboard", "reports")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates",
                static_folder="../static")
    from portal import config

    config.load(app, test_config)
    if app.config.get("TRUST_PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUST_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)

    from portal import errors

    errors.register(app)
    from portal import cli

    cli.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal import htmx, i18n, security
    from portal.auth import permissions
    from portal.auth import services as auth_services
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    from portal.db import watch_engine

    with app.app_context():
        for engine in db.engines.values():
            watch_engine(engine)

    @app.teardown_appcontext
    def _end_session(exc):
        # Flask-SQLAlchemy's own teardown rolls back on a connection the database may have
        # dropped (PostgreSQL restart): that would turn a finished response into a bare 500.
        try:
            db.session.remove()
        except Exception:  # connection invalidated; the pool replaces it
            db.session.registry.clear()
            logging.getLogger("portal").warning("database connection lost at request end")
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    i18n.cache_wtforms_catalogues()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(i18n.translation_directories())
    babel.init_app(app, locale_selector=i18n.select_locale,
                   timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        logging.getLogger("portal").info(
            "rate limits are kept per process in memory; set REDIS_URL to share them")

    login_manager.init_app(app)
    login_manager.session_protection = None  # our session version does this job
    login_manager.login_view = "auth.login"
    login_manager.user_loader(auth_services.load_user)
    login_manager.unauthorized_handler(auth_services.unauthorized)

    app.before_request(security.refuse_nul_bytes)
    app.before_request(auth_services.check_session)
    app.before_request(permissions.enforce_access)
    app.after_request(htmx.after_request)
    app.after_request(security.add_headers)

    from portal import templating

    templating.register(app)


def import_models() -> None:
    """Import every feature's models so the metadata (and Alembic) knows all tables."""
    for feature in FEATURES:
        if importlib.util.find_spec(f"portal.{feature}.models"):
            importlib.import_module(f"portal.{feature}.models")


def _register_blueprints(app: Flask) -> None:
    import_models()
    for feature in FEATURES:
        views = importlib.import_module(f"portal.{feature}.views")
        app.register_blueprint(views.bp)
