"""Sampled second-level follow-up (抽查回访): the quality staff's page (routes on `bp`)."""
from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, ValidationError

from portal.auth.permissions import allow
from portal.extensions import db
from portal.followups import sampling, worklist
from portal.followups.views import bp
from portal.htmx import redirect_after_post, render, toast


class SamplingForm(FlaskForm):
    ward = SelectField(_l("Ward"), validators=[DataRequired()])
    date_from = DateField(_l("Discharged from"), validators=[DataRequired()])
    date_to = DateField(_l("Discharged until"), validators=[DataRequired()])
    size = IntegerField(_l("Sample size"), default=10,
                        validators=[DataRequired(), NumberRange(min=1, max=sampling.MAX_SAMPLE)])

    def validate_date_to(self, field):
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period is before its start."))


@bp.route("/followups/sampling", endpoint="sampling", methods=["GET", "POST"])
@allow("quality")
def sampling_page():
    user = current_user._get_current_object()
    wards = worklist.user_wards(user)
    form = SamplingForm()
    form.ward.choices = [SelectChoice(w.code, str(w)) for w in wards]
    if form.validate_on_submit():
        ward = next(w for w in wards if w.code == form.ward.data)
        created = sampling.draw_sample(user, ward, form.date_from.data, form.date_to.data,
                                       form.size.data)
        db.session.commit()
        if created:
            toast(_("%(n)d second-level calls added to your worklist.", n=len(created)))
        else:
            toast(_("No completed ward calls to sample in this period."), "warning")
        return redirect_after_post(url_for("followups.sampling"))
    status = 422 if request.method == "POST" else 200
    rows, overall = sampling.agreement()
    return render("followups/sampling.html", "followups/_sampling_form.html", status=status,
                  form=form, rows=rows, overall=overall)

