"""Self-service invitations (one-time tokens) and staff campaigns.

A token is `secrets.token_urlsafe(18)` (144 random bits); only its SHA-256 is stored, so
the database cannot be used to take a survey. A token is used once: the answering
request claims it with `UPDATE ... WHERE used_at IS NULL` and checks the row count, so
two concurrent submissions cannot both count.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, time, timedelta

from flask import abort, current_app
from sqlalchemy import select, update

from portal.db import utcnow
from portal.extensions import db
from portal.surveys.models import Campaign, Invitation, SurveyTemplate
from portal.timeutil import LOCAL_TZ, local_today
from portal.wards.models import Ward

TOKEN_BYTES = 18
DEFAULT_EXPIRY_DAYS = 30
MAX_BATCH = 500


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def issue(template: SurveyTemplate, *, ward_id: int | None, period: date, user=None,
          discharge_id: int | None = None, campaign: Campaign | None = None,
          expires_at: datetime | None = None) -> tuple[str, Invitation]:
    """A new invitation; returns the token (shown once, never stored) and the row."""
    days = current_app.config.get("SURVEY_INVITATION_DAYS", DEFAULT_EXPIRY_DAYS)
    token, digest = _new_token()
    invitation = Invitation(
        token_hash=digest, template_id=template.id, ward_id=ward_id,
        period=period.replace(day=1), discharge_id=discharge_id,
        campaign_id=campaign.id if campaign else None,
        issued_by_id=user.id if user is not None else None,
        expires_at=expires_at or utcnow() + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    return token, invitation


def issue_for_discharge(template: SurveyTemplate, ward: Ward, discharged_on: date, user,
                        discharge_id: int | None = None) -> tuple[str, Invitation]:
    """A discharge slip's invitation; nurses only for their own wards (404 otherwise)."""
    if not user.sees_all_wards and ward.id not in user.ward_ids:
        abort(404)
    if discharge_id is not None:
        from portal.followups.models import Discharge

        discharge = db.session.get(Discharge, discharge_id)
        if discharge is None or discharge.ward_id != ward.id:
            abort(404)
    return issue(template, ward_id=ward.id, period=discharged_on, user=user,
                 discharge_id=discharge_id)


def open_invitation(token: str) -> Invitation | None:
    """The invitation for a token if it can still be answered; None otherwise (any reason)."""
    if not token or len(token) > 64:
        return None
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.token_hash == token_hash(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    if invitation.campaign_id is not None:
        campaign = db.session.get(Campaign, invitation.campaign_id)
        if not campaign.opens_on <= local_today() <= campaign.closes_on:
            return None
    return invitation


def claim(invitation: Invitation) -> bool:
    """Mark the invitation used, atomically; False when another request got there first."""
    now = utcnow()
    result = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None),
               Invitation.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def create_campaign(template: SurveyTemplate, *, title: str, wards: list[Ward], opens_on: date,
                    closes_on: date, per_ward: int, user) -> tuple[Campaign, list[tuple[str, Ward]]]:
    """A staff campaign and its batch of anonymous single-use tokens (per ward)."""
    campaign = Campaign(template_id=template.id, title=title, audience=template.audience,
                        opens_on=opens_on, closes_on=closes_on, wards=list(wards),
                        created_by_id=user.id if user is not None else None)
    db.session.add(campaign)
    db.session.flush()
    expires = datetime.combine(closes_on + timedelta(days=1), time(), LOCAL_TZ)
    tokens = []
    for ward in wards:
        for _n in range(per_ward):
            token, _inv = issue(template, ward_id=ward.id, period=opens_on, user=user,
                                campaign=campaign, expires_at=expires)
            tokens.append((token, ward))
    campaign.tokens_issued = len(tokens)
    db.session.flush()
    return campaign, tokens
