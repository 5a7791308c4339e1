"""Admin page for the complaint categories: list, add, rename, (de)activate, delete an
unused one. Page and htmx fragment; 422 beside the field; 409 on a stale form or when a
category in use would be deleted. Routes on the complaints blueprint."""
from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.permissions import allow
from portal.complaints import categories as service
from portal.complaints.forms import CategoryForm
from portal.complaints.views import bp
from portal.concurrency import StaleEdit
from portal.errors import error_response
from portal.extensions import db
from portal.htmx import redirect_after_post, render, toast

LIST = "complaints.categories"


def _list(form, status=200, **extra):
    return render("complaints/categories.html", "complaints/_categories.html", status=status,
                  form=form, categories=service.all_categories(), uses=service.use_counts(),
                  **extra)


def _refused(form, error) -> None:
    db.session.rollback()
    field = getattr(form, error.field or "", None) or form.name_zh
    field.errors = [*field.errors, str(error)]


@bp.route("/admin/complaint-categories", methods=["GET", "POST"])
@allow("admin")
def categories():
    """The list, with the form to add one (POST adds)."""
    form = CategoryForm()
    if request.method == "GET":
        return _list(form)
    if form.validate_on_submit():
        try:
            category = service.create(form.code.data or "", form.name_zh.data,
                                      form.name_en.data, form.sort.data or 0,
                                      actor=current_user._get_current_object())
        except service.CategoryError as e:
            _refused(form, e)
        else:
            db.session.commit()
            toast(_("Category %(name)s added.", name=category.name_zh))
            return redirect_after_post(url_for(LIST))
    return _list(form, 422)


@bp.route("/admin/complaint-categories/<int:category_id>", methods=["GET", "POST"])
@allow("admin")
def category_edit(category_id: int):
    category = service.get_or_404(category_id)
    form = CategoryForm(obj=None if request.method == "POST" else category)
    status, conflict = 200, None
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                service.update(category, name_zh=form.name_zh.data, name_en=form.name_en.data,
                               sort=form.sort.data or 0, active=form.active.data,
                               version=form.version.data, actor=current_user._get_current_object())
            except StaleEdit as e:
                db.session.rollback()
                status, conflict = 409, e.message
            except service.CategoryError as e:
                _refused(form, e)
            else:
                db.session.commit()
                toast(_("Category %(name)s saved.", name=category.name_zh))
                return redirect_after_post(url_for(LIST))
    return render("complaints/category_form.html", "complaints/_category_form.html",
                  status=status, form=form, category=category, conflict=conflict,
                  uses=service.use_counts().get(category.id, 0))


@bp.route("/admin/complaint-categories/<int:category_id>/delete", methods=["POST"])
@allow("admin")
def category_delete(category_id: int):
    category = service.get_or_404(category_id)
    try:
        service.delete(category, version=request.form.get("version"),
                       actor=current_user._get_current_object())
    except StaleEdit as e:
        db.session.rollback()
        return error_response(409, str(e.message))
    except service.CategoryError as e:
        db.session.rollback()
        return error_response(e.status, str(e))
    db.session.commit()
    toast(_("Category deleted."))
    return redirect_after_post(url_for(LIST))
