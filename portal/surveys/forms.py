"""Forms of the survey pages (the answers themselves are checked by answers.parse_answers)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from portal.surveys.models import AUDIENCES, DIMENSIONS, KINDS, REVIEW_STATUSES, TEXT_MAX

AUDIENCE_LABELS = {
    "discharged_patient": _l("Discharged patients"),
    "inpatient": _l("Inpatients"),
    "doctor_on_nursing": _l("Doctors rating nursing"),
    "nurse_self": _l("Nurses rating their work"),
}
KIND_LABELS = {
    "scale5": _l("5-point scale"),
    "scale11": _l("0–10 scale"),
    "yes_no": _l("Yes / no"),
    "single_choice": _l("Single choice"),
    "text": _l("Free text"),
}
CHANNEL_LABELS = {"phone": _l("Phone"), "self": _l("Self-service"), "paper": _l("Paper"),
                  "campaign": _l("Staff campaign")}
STATUS_LABELS = {"open": _l("Open"), "contacted": _l("Contacted"), "dismissed": _l("Dismissed"),
                 "complaint": _l("Turned into complaint")}


class TemplateForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32),
                                               Regexp(r"^[A-Za-z0-9_-]+$",
                                                      message=_l("Letters, digits, - and _ only."))])
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    audience = SelectField(_l("Audience"), choices=[(a, AUDIENCE_LABELS[a]) for a in AUDIENCES])


class QuestionForm(FlaskForm):
    revision = HiddenField()
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in KINDS])
    text_zh = StringField(_l("Question (Chinese)"), validators=[DataRequired(), Length(max=500)])
    text_en = StringField(_l("Question (English)"), validators=[Optional(), Length(max=500)])
    options = TextAreaField(_l("Options (single choice)"),
                            description=_l("One per line: 中文 | English | value (value optional)"),
                            validators=[Optional(), Length(max=4000)])
    dimension = SelectField(_l("Dimension"), choices=[("", "—")] + [(d, d) for d in DIMENSIONS],
                            validate_choice=False)
    custom_dimension = StringField(_l("Or a custom dimension"), validators=[Optional(),
                                                                            Length(max=32)])
    required = BooleanField(_l("Required"))
    is_overall = BooleanField(_l("Overall satisfaction item"))
    is_recommend = BooleanField(_l("Recommend item (NPS)"))

    def validate_options(self, field):
        if self.kind.data == "single_choice" and len(self.parsed_options()) < 2:
            raise ValidationError(_l("A single-choice question needs at least two options."))

    def validate_is_overall(self, field):
        if field.data and self.kind.data not in ("scale5", "scale11", "single_choice"):
            raise ValidationError(_l("The overall item must be a scale or a scored choice."))

    def validate_is_recommend(self, field):
        if field.data and self.kind.data != "scale11":
            raise ValidationError(_l("The recommend item must be a 0–10 scale."))

    def validate_dimension(self, field):
        if field.data and field.data not in DIMENSIONS:
            raise ValidationError(_l("Choose a listed dimension or type a custom one."))

    def parsed_options(self) -> list[dict]:
        options = []
        for n, line in enumerate((self.options.data or "").splitlines(), start=1):
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                continue
            value = None
            if len(parts) > 2 and parts[2]:
                try:
                    value = float(parts[2])
                except ValueError as exc:
                    raise ValidationError(_l("An option's value must be a number.")) from exc
            options.append({"code": f"o{n}", "value": value, "zh": parts[0],
                            "en": parts[1] if len(parts) > 1 else ""})
        return options

    def fields_dict(self) -> dict:
        from portal.surveys.builtin import scale5_options

        kind = self.kind.data
        return {"kind": kind, "text_zh": self.text_zh.data.strip(),
                "text_en": (self.text_en.data or "").strip(),
                "options": (self.parsed_options() if kind == "single_choice"
                            else scale5_options() if kind == "scale5" else []),
                "dimension": (self.custom_dimension.data or "").strip() or self.dimension.data,
                "required": self.required.data, "is_overall": self.is_overall.data,
                "is_recommend": self.is_recommend.data}


def options_text(options: list[dict]) -> str:
    return "\n".join(" | ".join([o.get("zh", ""), o.get("en", ""),
                                 "" if o.get("value") is None else f"{o['value']:g}"])
                     for o in options)


class SlipForm(FlaskForm):
    template_id = SelectField(_l("Survey"), coerce=int)
    ward_id = SelectField(_l("Ward"), coerce=int)
    discharged_on = DateField(_l("Discharge date"), validators=[DataRequired()])
    discharge_id = HiddenField()


class PaperForm(FlaskForm):
    template_id = SelectField(_l("Survey"), coerce=int, validate_choice=True)
    ward_id = SelectField(_l("Ward"), coerce=int)
    answered_on = DateField(_l("Date on the form"), validators=[DataRequired()])


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    template_id = SelectField(_l("Survey"), coerce=int)
    ward_ids = SelectMultipleField(_l("Wards"), coerce=int, validators=[DataRequired()])
    opens_on = DateField(_l("Opens on"), validators=[DataRequired()])
    closes_on = DateField(_l("Closes on"), validators=[DataRequired()])
    per_ward = IntegerField(_l("Links per ward"), default=20,
                            validators=[DataRequired(), NumberRange(min=1, max=200)])

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The campaign must close after it opens."))


class ReviewForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[(s, STATUS_LABELS[s]) for s in REVIEW_STATUSES])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=TEXT_MAX)])
