"""Forms: intake (new case), field edit, and the small forms on a case page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.complaints.models import DESCRIPTION_MAX

KIND_LABELS = {"complaint": _l("Complaint"), "praise": _l("Praise"),
               "suggestion": _l("Suggestion")}
PRAISE_LABELS = {"praise": _l("Praise (表扬)"), "banner": _l("Silk banner (锦旗)"),
                 "letter": _l("Thank-you letter (感谢信)")}
SOURCE_LABELS = {
    "call": _l("Follow-up call"), "survey": _l("Survey"), "in_person": _l("In person"),
    "forum": _l("Ward patient forum (工休座谈会)"), "comment_book": _l("Comment book (意见簿)"),
    "telephone": _l("Telephone"), "letter": _l("Letter"), "hotline": _l("12345 hotline"),
    "online": _l("Online"), "other": _l("Other"),
}
SEVERITY_LABELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High"),
                   "critical": _l("Critical")}
CAUSE_LABELS = {"people": _l("People"), "method": _l("Method"), "equipment": _l("Equipment"),
                "material": _l("Material"), "environment": _l("Environment"),
                "management": _l("Management")}
FIELD_LABELS = {
    "category_id": _l("Category"), "severity": _l("Severity"), "source": _l("Source"),
    "praise_type": _l("Praise type"), "complainant_name": _l("Complainant"),
    "complainant_relation": _l("Relation to the patient"), "complainant_phone": _l("Phone"),
    "staff_names": _l("Staff concerned (names)"), "description": _l("Description"),
    "wards": _l("Wards"), "staff": _l("Staff concerned"),
    "response_text": _l("Response to the complainant"), "received_at": _l("Received at"),
}
TOO_LONG = _l("At most %(max)d characters, please.")


def _text(label, required=False, max_length=DESCRIPTION_MAX):
    checks = [DataRequired()] if required else [Optional()]
    return TextAreaField(label, validators=checks + [Length(max=max_length, message=TOO_LONG)])


class CaseFields(FlaskForm):
    praise_type = SelectField(_l("Praise type"), choices=list(PRAISE_LABELS.items()),
                              validators=[Optional()])
    source = SelectField(_l("Source"), choices=list(SOURCE_LABELS.items()))
    ward_ids = SelectMultipleField(_l("Wards concerned"), coerce=int)
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    severity = SelectField(_l("Severity"), choices=list(SEVERITY_LABELS.items()),
                           default="medium")
    staff_ids = SelectMultipleField(_l("Staff concerned (accounts)"), coerce=int)
    staff_names = StringField(_l("Staff concerned (names)"),
                              validators=[Optional(), Length(max=200, message=TOO_LONG)])
    complainant_name = StringField(_l("Complainant"),
                                   validators=[Optional(), Length(max=64, message=TOO_LONG)])
    complainant_relation = StringField(_l("Relation to the patient"),
                                       validators=[Optional(), Length(max=32, message=TOO_LONG)])
    complainant_phone = StringField(_l("Phone"),
                                    validators=[Optional(), Length(max=32, message=TOO_LONG)],
                                    render_kw={"inputmode": "tel", "autocomplete": "off"})
    description = _text(_l("What was said"), required=True)

    def validate_received_at(self, field) -> None:
        """A local time (Asia/Shanghai) not in the future (five minutes' clock slack)."""
        from datetime import timedelta

        from wtforms.validators import ValidationError

        from portal.timeutil import LOCAL_TZ, local_now

        if field.data and field.data.replace(tzinfo=LOCAL_TZ) > local_now() + timedelta(minutes=5):
            raise ValidationError(_l("The received time cannot be in the future."))

    def fill_choices(self, locale: str, case=None) -> None:
        """Active wards, categories and staff; when editing `case`, also the inactive ones it
        already has (deactivating a category or ward must not make old cases uneditable)."""
        from sqlalchemy import or_

        from portal.auth.models import User
        from portal.complaints.services import categories
        from portal.extensions import db
        from portal.wards.models import Ward

        keep_wards = [w.id for w in case.wards] if case else []
        keep_staff = [u.id for u in case.staff] if case else []
        wards = db.session.scalars(select(Ward).where(or_(Ward.active, Ward.id.in_(keep_wards)))
                                   .order_by(Ward.code))
        self.ward_ids.choices = [(w.id, str(w)) for w in wards]
        self.category_id.choices = [(0, "—")] + [
            (c.id, c.label(locale)) for c in categories(active_only=False)
            if c.active or (case is not None and c.id == case.category_id)]
        staff = db.session.execute(select(User.id, User.display_name, User.username).where(
            or_(User.active, User.id.in_(keep_staff)),
            User.role.in_(("nurse", "head_nurse"))).order_by(User.username))
        self.staff_ids.choices = [(i, name or username) for i, name, username in staff]


class NewCaseForm(CaseFields):
    kind = RadioField(_l("Kind"), choices=list(KIND_LABELS.items()), default="complaint")
    received_at = DateTimeLocalField(_l("Received at"), validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")
    attempt = HiddenField()          # prefill source: a call attempt id (access-checked)
    review = HiddenField()           # prefill source: a survey review item (surveys feature)


class EditCaseForm(CaseFields):
    received_at = DateTimeLocalField(_l("Received at"), validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")   # empty: unchanged
    version = HiddenField()


class CommentForm(FlaskForm):
    comment = _text(_l("Comment"), required=True)


class CauseForm(FlaskForm):
    category = SelectField(_l("Cause category"), choices=list(CAUSE_LABELS.items()))
    narrative = _text(_l("What happened and why"), required=True)
    lesson = _text(_l("Lesson learned"))


class ActionForm(FlaskForm):
    what = _text(_l("Corrective action"), required=True)
    # choices: the nurses and head nurses of the case's wards (changes.owner_candidates);
    # a value outside them is refused with 422, not trusted
    owner_id = SelectField(_l("Owner"), coerce=int, default=0, validate_choice=False)
    owner_name = StringField(_l("Owner without an account"),
                             validators=[Optional(), Length(max=64, message=TOO_LONG)])
    due_on = DateField(_l("Due date"), validators=[DataRequired()])

    def fill_owners(self, candidates) -> None:
        self.owner_id.choices = [(0, "—")] + [(u.id, str(u)) for u in candidates]


class VerifyActionForm(FlaskForm):
    effective = RadioField(_l("Effective?"), choices=[("yes", _l("Effective")),
                                                     ("no", _l("Not effective"))],
                           validators=[DataRequired()])
    verification_note = _text(_l("Verification note"))


class CategoryForm(FlaskForm):
    """Admin: one complaint category (the code is given once, at creation)."""
    code = StringField(_l("Code"), validators=[Optional(), Length(max=32, message=TOO_LONG)],
                       render_kw={"autocapitalize": "off"})
    name_zh = StringField(_l("Name (Chinese)"),
                          validators=[DataRequired(), Length(max=64, message=TOO_LONG)])
    name_en = StringField(_l("Name (English)"),
                          validators=[DataRequired(), Length(max=64, message=TOO_LONG)])
    sort = IntegerField(_l("Order in lists"), default=100,
                        validators=[Optional(), NumberRange(min=0, max=9999)])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()
