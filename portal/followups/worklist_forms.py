"""The call-attempt form (one row of the worklist, and the call form of a reached call)."""
from __future__ import annotations

from types import SimpleNamespace

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.followups.models import HEALTH, MEDICATION, OUTCOMES, REACHED

TEXT_MAX = 2000

OUTCOME_LABELS = {
    "reached_patient": _l("Reached patient"),
    "reached_family": _l("Reached family"),
    "no_answer": _l("No answer"),
    "busy": _l("Busy / switched off"),
    "wrong_number": _l("Wrong number"),
    "refused": _l("Refused"),
    "deceased": _l("Deceased"),
    "readmitted": _l("Readmitted"),
}
# one key per outcome, in the order of OUTCOMES: 1 reached patient ... 8 readmitted
OUTCOME_KEYS = {outcome: str(i) for i, outcome in enumerate(OUTCOMES, start=1)}
HEALTH_LABELS = {"better": _l("Better"), "same": _l("Same"), "worse": _l("Worse")}
MEDICATION_LABELS = {"yes": _l("Yes"), "no": _l("No"), "unsure": _l("Unsure")}
STATUS_LABELS = {"pending": _l("Pending"), "completed": _l("Completed"),
                 "lost": _l("Lost to follow-up"), "cancelled": _l("Cancelled")}
TAB_LABELS = {"today": _l("Due today"), "overdue": _l("Overdue"),
              "upcoming": _l("Upcoming"), "done": _l("Done")}
SEX_LABELS = {"M": _l("Male"), "F": _l("Female"), "U": _l("Unknown")}


def choices(mapping: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in mapping.items()]


COLUMN_LABELS = {"patient": _l("Patient"), "phone": _l("Phone"), "ward": _l("Ward"),
                 "discharged": _l("Discharged"), "diagnosis": _l("Diagnosis"), "due": _l("Due"),
                 "attempts": _l("Attempts"), "log": _l("Log the call")}
# translated once per request, then filled per row with `%` (no gettext call per row)
FORMATS = {"age": _l("%(n)d y"), "day": _l("day %(n)d"), "next_try": _l("next try %(at)s")}


def _translated(mapping: dict) -> dict[str, str]:
    return {key: str(value) for key, value in mapping.items()}


def labels() -> SimpleNamespace:
    """Every label the worklist shows, translated once per language and application (the
    catalogues do not change while it runs; Flask-Babel caches them the same way).

    Groups read by name in templates (`labels.cols.patient`) are namespaces, maps read by
    key (`labels.outcomes[outcome]`) dicts: Jinja's `a.b` tries an attribute first, and a
    dict answers that only after an AttributeError, dozens of times per row.
    """
    cached = current_app.extensions.setdefault("followup_labels", {})
    locale = str(get_locale())
    if (found := cached.get(locale)) is None:
        found = cached[locale] = SimpleNamespace(
            outcomes=_translated(OUTCOME_LABELS), outcome_keys=OUTCOME_KEYS,
            health=_translated(HEALTH_LABELS), medication=_translated(MEDICATION_LABELS),
            statuses=_translated(STATUS_LABELS), tabs=_translated(TAB_LABELS),
            sexes=_translated(SEX_LABELS), cols=SimpleNamespace(**_translated(COLUMN_LABELS)),
            fmt=SimpleNamespace(**_translated(FORMATS)), show_number=_("Show number"),
            no_number=_("No number"))
    return found


class OutcomeForm(FlaskForm):
    """An outcome button of a worklist row: outcome, idempotency key, version (the call
    logged most often). AttemptForm adds the call form's fields; `form_for_post()` picks.

    No CSRF field of its own: CSRFProtect checks every post before the view (the token in
    the form or, from htmx, in X-CSRFToken), so the form's own check signed and verified the
    same token a second time on every logged call."""

    class Meta:
        csrf = False

    outcome = SelectField(_l("Outcome"), choices=choices(OUTCOME_LABELS),
                          validators=[DataRequired()])
    key = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
    version = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$")])
    details = HiddenField()

    @property
    def is_call_form(self) -> bool:
        return self.details.data == "1"

    @property
    def needs_call_form(self) -> bool:
        """A reached outcome chosen in the row: show the call form before saving."""
        return self.outcome.data in REACHED and not self.is_call_form

    def detail_values(self) -> dict:
        return {}


class AttemptForm(OutcomeForm):
    """One attempt with the call form's fields. `details=1` marks the posted call form of a
    reached call."""

    health_status = RadioField(_l("Health status"), choices=choices(HEALTH_LABELS),
                               validators=[Optional()], validate_choice=True)
    medication = RadioField(_l("Medication taken as prescribed"),
                            choices=choices(MEDICATION_LABELS), validators=[Optional()])
    concerns = TextAreaField(_l("Concerns"), validators=[Length(max=TEXT_MAX)],
                             render_kw={"rows": 2, "maxlength": TEXT_MAX})
    compliments = TextAreaField(_l("Compliments"), validators=[Length(max=TEXT_MAX)],
                                render_kw={"rows": 2, "maxlength": TEXT_MAX})
    notes = TextAreaField(_l("Notes"), validators=[Length(max=TEXT_MAX)],
                          render_kw={"rows": 2, "maxlength": TEXT_MAX})

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.is_call_form and self.outcome.data in REACHED:
            for f in (self.health_status, self.medication):
                if not f.data:
                    f.errors = [*f.errors, _l("Please choose one.")]
                    ok = False
        return ok

    def detail_values(self) -> dict:
        if not self.is_call_form:
            return {}
        return {"health_status": self.health_status.data, "medication": self.medication.data,
                "concerns": (self.concerns.data or "").strip(),
                "compliments": (self.compliments.data or "").strip(),
                "notes": (self.notes.data or "").strip()}


def form_for_post(formdata) -> OutcomeForm:
    """The form of a posted call: the call form's whole AttemptForm when it is the call form
    or it opens one (a reached outcome), else the row's OutcomeForm, which binds and validates
    four fields instead of ten."""
    if formdata.get("details") == "1" or formdata.get("outcome") in REACHED:
        return AttemptForm()
    return OutcomeForm()


assert set(OUTCOME_LABELS) == set(OUTCOMES) and set(HEALTH_LABELS) == set(HEALTH)
assert set(MEDICATION_LABELS) == set(MEDICATION)
