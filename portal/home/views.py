"""The start page (each role lands on its own home), the language switch and /healthz."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from portal.auth.permissions import PUBLIC, SIGNED_IN, allow, may
from portal.auth.views import safe_next
from portal.extensions import db
from portal.htmx import render
from portal.nav import ROLE_HOME

bp = Blueprint("home", __name__)


@bp.route("/")
@allow(SIGNED_IN)
def index():
    endpoint = ROLE_HOME.get(current_user.role)
    if endpoint and endpoint in current_app.view_functions and may(endpoint):
        return redirect(url_for(endpoint))
    return render("home/start.html")


@bp.route("/language", methods=["POST"])
@allow(PUBLIC)
def language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    target = safe_next(request.form.get("next")) or url_for("home.index")
    return redirect(target, 303)


@bp.route("/healthz")
@allow(PUBLIC)
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:  # any failure to reach the database means "not healthy"
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
