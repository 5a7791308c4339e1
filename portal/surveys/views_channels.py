"""Channels: the public self-service page, discharge slips, paper entry, staff campaigns."""
from __future__ import annotations

import segno
from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.audit import services as audit
from portal.auth.permissions import PUBLIC, allow
from portal.extensions import db, limiter
from portal.htmx import hx_redirect, is_htmx, render, toast
from portal.surveys import invitations, services
from portal.surveys.answers import record_response
from portal.surveys.forms import CampaignForm, PaperForm, SlipForm
from portal.surveys.models import Campaign
from portal.surveys.views import bp
from portal.timeutil import local_today
from portal.wards.models import Ward


def _take_limit() -> str:
    return current_app.config.get("SURVEY_TAKE_RATE_LIMIT", "10 per minute")


def not_available():
    """One page for a used, expired or unknown token: it reveals nothing."""
    if is_htmx():  # a 404 is not swapped: load the page itself
        return hx_redirect(request.path)
    return render("surveys/unavailable.html", status=404)


@bp.route("/s/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_take_limit, methods=["POST"])
def take(token):
    invitation = invitations.open_invitation(token)
    if invitation is None:
        return not_available()
    version = invitation.template.current
    if request.method == "POST":
        parsed = services.parse_or_400(version, request.form)
        if not parsed.errors and not parsed.answers:
            parsed.errors[0] = _("Please answer at least one question.")
        if not parsed.errors:
            if not invitations.claim(invitation):
                db.session.rollback()
                return not_available()
            channel = "campaign" if invitation.campaign_id else "self"
            record_response(version, parsed.answers, channel=channel, ward_id=invitation.ward_id,
                            period=invitation.period, campaign_id=invitation.campaign_id)
            db.session.commit()
            return render("surveys/thanks.html", "surveys/_thanks.html")
        return render("surveys/take.html", "surveys/_take_form.html", status=422,
                      version=version, errors=parsed.errors, values=request.form, token=token)
    return render("surveys/take.html", "surveys/_take_form.html", version=version, errors={},
                  values={}, token=token)


def qr_svg(url: str) -> Markup:
    # segno's inline SVG has no style attribute (the CSP forbids inline styles)
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title=url))


def _ward_choices(form) -> None:
    form.ward_id.choices = [(w.id, str(w)) for w in services.visible_wards(current_user)]


def _template_choices(form, audiences=None) -> None:
    form.template_id.choices = [(t.id, t.title_zh) for t in services.templates(active_only=True)
                                if audiences is None or t.audience in audiences]


@bp.route("/surveys/slip", methods=["GET", "POST"])
@allow("nurse", "head_nurse", "quality")
def slip():
    """Issue a discharge-slip invitation and print it (the token is shown only here)."""
    form = SlipForm()
    _ward_choices(form)
    _template_choices(form, ("discharged_patient", "inpatient"))
    if form.validate_on_submit():
        template = services.get_template_or_404(form.template_id.data)
        ward = db.get_or_404(Ward, form.ward_id.data)
        discharge_id = int(form.discharge_id.data) if (form.discharge_id.data or "").isdigit() \
            else None
        token, invitation = invitations.issue_for_discharge(
            template, ward, form.discharged_on.data, current_user, discharge_id=discharge_id)
        audit.record("survey.invitation_issued", invitation, template=template.code)
        db.session.commit()
        url = url_for("surveys.take", token=token, _external=True)
        return render("surveys/slip_print.html", url=url, qr=qr_svg(url), template=template,
                      ward=ward, invitation=invitation)
    status = 422 if form.is_submitted() else 200
    if not form.is_submitted():
        _prefill_discharge(form, request.args.get("discharge", type=int))
    return render("surveys/slip.html", "surveys/_slip_form.html", status=status, form=form)


def _prefill_discharge(form, discharge_id: int | None) -> None:
    """From a discharge (e.g. the worklist): its ward and date; another ward's is a 404."""
    form.discharged_on.data = local_today()
    if discharge_id is None:
        return
    from portal.followups.models import Discharge

    discharge = db.session.get(Discharge, discharge_id)
    if discharge is None:
        abort(404)
    services.check_ward(discharge.ward_id, current_user)
    form.ward_id.data, form.discharged_on.data = discharge.ward_id, discharge.discharged_on
    form.discharge_id.data = str(discharge.id)


@bp.route("/surveys/paper", methods=["GET", "POST"])
@allow("nurse", "head_nurse", "quality")
def paper():
    form = PaperForm(request.form if request.method == "POST" else request.args, meta={
        "csrf": request.method == "POST"})
    _ward_choices(form)
    _template_choices(form)
    if not form.template_id.data and form.template_id.choices:
        form.template_id.data = form.template_id.choices[0][0]
    template = services.get_template_or_404(form.template_id.data)
    errors = {}
    if request.method == "POST" and form.validate():
        parsed = services.enter_paper(template, form.ward_id.data, form.answered_on.data,
                                      request.form, current_user)
        if not parsed.errors:
            db.session.commit()
            toast(_("The paper form was saved."))
            return render("surveys/paper.html", "surveys/_paper_form.html", form=form,
                          version=template.current, errors={}, values={})
        errors = parsed.errors
    status = 422 if request.method == "POST" else 200
    if form.answered_on.data is None:
        form.answered_on.data = local_today()
    return render("surveys/paper.html", "surveys/_paper_form.html", status=status, form=form,
                  version=template.current, errors=errors,
                  values=request.form if request.method == "POST" else {})


@bp.route("/surveys/campaigns", methods=["GET", "POST"])
@allow("quality")
def campaigns():
    form = CampaignForm()
    form.ward_ids.choices = [(w.id, str(w)) for w in services.visible_wards(current_user)]
    _template_choices(form, ("doctor_on_nursing", "nurse_self", "inpatient"))
    if form.validate_on_submit():
        template = services.get_template_or_404(form.template_id.data)
        wards = [db.get_or_404(Ward, wid) for wid in form.ward_ids.data]
        campaign, tokens = invitations.create_campaign(
            template, title=form.title.data.strip(), wards=wards, opens_on=form.opens_on.data,
            closes_on=form.closes_on.data, per_ward=form.per_ward.data, user=current_user)
        audit.record("survey.campaign_created", campaign, tokens=len(tokens))
        db.session.commit()
        sheet = [(url_for("surveys.take", token=t, _external=True), ward) for t, ward in tokens]
        return render("surveys/campaign_sheet.html", campaign=campaign,
                      sheet=[(url, ward, qr_svg(url)) for url, ward in sheet])
    status = 422 if form.is_submitted() else 200
    if not form.is_submitted():
        form.opens_on.data = form.opens_on.data or local_today()
    listing = db.session.scalars(db.select(Campaign).order_by(Campaign.opens_on.desc())).all()
    return render("surveys/campaigns.html", "surveys/_campaign_form.html", status=status,
                  form=form, campaigns=listing)
