"""Follow-up rules management: list per ward, create, edit (versioned; 409 on a stale save)."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.auth.permissions import allow
from portal.extensions import db
from portal.followups import rules
from portal.followups.views import bp
from portal.htmx import redirect_after_post, render, toast


class RuleForm(FlaskForm):
    ward = SelectField(_l("Ward"), coerce=int, validate_choice=True)
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=64)],
                        description=_l("For example 出院后第3天电话回访"))
    days_after = IntegerField(_l("Days after discharge"),
                              validators=[InputRequired(), NumberRange(min=0, max=365)])
    window_days = IntegerField(_l("Tolerance window (days)"), default=2,
                               validators=[InputRequired(), NumberRange(min=0, max=60)])
    max_attempts = IntegerField(_l("Maximum call attempts"), default=3,
                                validators=[InputRequired(), NumberRange(min=1, max=10)])
    call_script = TextAreaField(_l("Call script"), validators=[Length(max=4000)])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()

    def data_for_rule(self) -> dict:
        return {"label": self.label.data.strip(), "days_after": self.days_after.data,
                "window_days": self.window_days.data, "max_attempts": self.max_attempts.data,
                "call_script": (self.call_script.data or "").strip(), "active": self.active.data}


@bp.route("/rules", endpoint="rules")
@allow("head_nurse", "quality", "admin")
def rules_page():
    by_ward: dict = {}
    for rule in rules.visible_rules(current_user):
        by_ward.setdefault(rule.ward, []).append(rule)
    return render("followups/rules.html", by_ward=by_ward,
                  can_edit=current_user.role in rules.EDITORS)


def _form_page(form, rule=None, status=200, stale=False):
    return render("followups/rule_form.html", "followups/_rule_form.html", status=status,
                  form=form, rule=rule, stale=stale)


@bp.route("/rules/new", methods=["GET", "POST"])
@allow(*rules.EDITORS)
def rule_new():
    wards = rules.manageable_wards(current_user)
    if not wards:
        abort(403)
    form = RuleForm()
    form.ward.choices = [(w.id, str(w)) for w in wards]
    del form.version
    if form.validate_on_submit():
        ward = next(w for w in wards if w.id == form.ward.data)
        rules.create_rule(current_user, ward, form.data_for_rule())
        db.session.commit()
        toast(_("The rule was created."))
        return redirect_after_post(url_for("followups.rules"))
    return _form_page(form, status=422 if request.method == "POST" else 200)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@allow(*rules.EDITORS)
def rule_edit(rule_id):
    rule = rules.get_rule_or_404(rule_id, current_user, for_edit=True)
    form = RuleForm(obj=rule if request.method == "GET" else None)
    del form.ward
    if request.method == "GET":
        form.version.data = rule.version
    if form.validate_on_submit():
        try:
            version = int(form.version.data or 0)
            effect = rules.update_rule(current_user, rule, form.data_for_rule(), version)
            db.session.commit()
        except (rules.StaleRule, StaleDataError, ValueError):
            db.session.rollback()
            rule = rules.get_rule_or_404(rule_id, current_user, for_edit=True)
            fresh = RuleForm(formdata=None, obj=rule)
            del fresh.ward
            fresh.version.data = rule.version
            return _form_page(fresh, rule, status=409, stale=True)
        if effect["moved"]:
            toast(_("The rule was saved; %(n)d pending calls were rescheduled.", n=effect["moved"]))
        else:
            toast(_("The rule was saved."))
        return redirect_after_post(url_for("followups.rules"))
    return _form_page(form, rule, status=422 if request.method == "POST" else 200)
