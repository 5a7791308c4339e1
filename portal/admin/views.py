"""Administration: users (create, edit, disable, reset password) and wards.

Every page works as a full page and as an htmx fragment; every change is audited by the
services; an edit based on an out-of-date form is refused with 409 (nothing overwritten).
"""
from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin.forms import (
    PasswordResetForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    WardForm,
)
from portal.auth import services as accounts
from portal.auth.permissions import allow
from portal.concurrency import StaleEdit
from portal.db import utcnow
from portal.extensions import db
from portal.htmx import redirect_after_post, render, toast
from portal.wards import services as wards_service

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _actor():
    return current_user._get_current_object()


def _refused(form, error) -> None:
    """Show a service's refusal beside its field (or the first field)."""
    db.session.rollback()
    field = getattr(form, error.field or "", None) or next(iter(form))
    field.errors = [*field.errors, str(error)]


def _status() -> int:
    return 422 if request.method == "POST" else 200


@bp.route("/users")
@allow("admin")
def users():
    filters = UserFilterForm(request.args, wards_service.all_wards())
    valid = filters.validate()
    ward = filters.ward.data if valid else ""
    query = accounts.user_query(
        q=(filters.q.data or "").strip() if valid else "",
        role=filters.role.data if valid else "",
        ward_id=int(ward) if ward else None,
        active={"1": True, "0": False}.get(filters.active.data) if valid else None)
    results = db.paginate(query, page=request.args.get("page", 1, type=int),
                          per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render("admin/users.html", "admin/_users.html", 200 if valid else 422,
                  filters=filters, results=results, now_utc=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
@allow("admin")
def user_new():
    choices = wards_service.all_wards(active_only=True)
    form = UserCreateForm()
    form.set_choices(choices)
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.username.data, form.password.data, form.role.data,
                [w for w in choices if w.id in form.wards.data],
                display_name=form.display_name.data.strip(), actor=_actor())
        except accounts.AccountError as e:
            _refused(form, e)
        else:
            db.session.commit()
            toast(_("User %(name)s created.", name=user.username))
            return redirect_after_post(url_for("admin.users"))
    return render("admin/user_form.html", "admin/_user_form.html", _status(), form=form,
                  user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow("admin")
def user_edit(user_id: int):
    user = accounts.get_user_or_404(user_id)
    choices = [w for w in wards_service.all_wards() if w.active or w in user.wards]
    loaded = None if request.method == "POST" else {
        "display_name": user.display_name, "role": user.role, "wards": user.ward_ids,
        "active": user.active, "version": user.version}
    form = UserEditForm(data=loaded)
    form.set_choices(choices)
    if form.validate_on_submit():
        try:
            accounts.update_user(user, role=form.role.data, display_name=form.display_name.data,
                                 wards=[w for w in choices if w.id in form.wards.data],
                                 active=form.active.data, version=form.version.data or "",
                                 actor=_actor())
        except StaleEdit as e:
            db.session.rollback()
            return render("admin/user_form.html", "admin/_user_form.html", 409, form=form,
                          user=user, conflict=e.message)
        except accounts.AccountError as e:
            _refused(form, e)
        else:
            db.session.commit()
            toast(_("User %(name)s saved.", name=user.username))
            return redirect_after_post(url_for("admin.users"))
    return render("admin/user_form.html", "admin/_user_form.html", _status(), form=form,
                  user=user)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@allow("admin")
def user_password(user_id: int):
    user = accounts.get_user_or_404(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data, actor=_actor())
        except accounts.AccountError as e:
            _refused(form, e)
        else:
            if user.id == current_user.id:
                accounts.start_session(user)  # this browser stays signed in
            db.session.commit()
            toast(_("Password of %(name)s reset; their sessions were ended.", name=user.username))
            return redirect_after_post(url_for("admin.users"))
    return render("admin/user_password.html", "admin/_user_password_form.html", _status(),
                  form=form, user=user)


@bp.route("/wards")
@allow("admin")
def wards():
    return render("admin/wards.html", "admin/_wards.html", wards=wards_service.all_wards())


@bp.route("/wards/new", methods=["GET", "POST"])
@allow("admin")
def ward_new():
    form = WardForm()
    if form.validate_on_submit():
        try:
            ward = wards_service.create_ward(form.code.data, form.name.data,
                                             form.name_en.data or "", actor=_actor())
        except wards_service.WardError as e:
            _refused(form, e)
        else:
            db.session.commit()
            toast(_("Ward %(code)s created.", code=ward.code))
            return redirect_after_post(url_for("admin.wards"))
    return render("admin/ward_form.html", "admin/_ward_form.html", _status(), form=form,
                  ward=None)


@bp.route("/wards/<int:ward_id>", methods=["GET", "POST"])
@allow("admin")
def ward_edit(ward_id: int):
    ward = wards_service.get_ward_or_404(ward_id)
    form = WardForm(obj=None if request.method == "POST" else ward)
    if form.validate_on_submit():
        try:
            wards_service.update_ward(ward, code=form.code.data, name=form.name.data,
                                      name_en=form.name_en.data or "", active=form.active.data,
                                      version=form.version.data or "", actor=_actor())
        except StaleEdit as e:
            db.session.rollback()
            return render("admin/ward_form.html", "admin/_ward_form.html", 409, form=form,
                          ward=ward, conflict=e.message)
        except wards_service.WardError as e:
            _refused(form, e)
        else:
            db.session.commit()
            toast(_("Ward %(code)s saved.", code=ward.code))
            return redirect_after_post(url_for("admin.wards"))
    return render("admin/ward_form.html", "admin/_ward_form.html", _status(), form=form,
                  ward=ward)
