"""Sign-in, sign-out and the user's own password."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import services
from portal.auth.forms import ChangePasswordForm, LoginForm
from portal.auth.passwords import verify_password
from portal.auth.permissions import PUBLIC, SIGNED_IN, allow
from portal.extensions import db, limiter
from portal.htmx import hx_redirect, is_htmx, redirect_after_post, render, toast

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no //) may follow sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data.strip(), form.password.data)
        if user is not None:
            services.start_session(user)
            db.session.commit()
            target = safe_next(request.args.get("next")) or url_for("home.index")
            return hx_redirect(target) if is_htmx() else redirect(target, 303)
        db.session.commit()  # keep the failure count and the audit entry
        form.password.errors.append(_("Wrong username or password, or the account is locked."))
    status = 422 if request.method == "POST" else 200
    return render("auth/login.html", "auth/_login_form.html", status=status, form=form)


@bp.route("/logout", methods=["POST"])
@allow(SIGNED_IN)
def logout():
    services.sign_out(current_user._get_current_object())
    db.session.commit()
    toast(_("You have signed out."), "info")
    target = url_for("auth.login")
    return hx_redirect(target) if is_htmx() else redirect(target, 303)


@bp.route("/account/password", methods=["GET", "POST"])
@allow(SIGNED_IN)
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is not right."))
        else:
            services.set_password(user, form.password.data, actor=user)
            services.start_session(user)  # this browser stays signed in; others are signed out
            db.session.commit()
            toast(_("Your password has been changed; other sessions were signed out."))
            return redirect_after_post(url_for("home.index"))
    status = 422 if request.method == "POST" else 200
    return render("auth/password.html", "auth/_password_form.html", status=status, form=form)
