"""Forms for the admin pages: user filter, user create/edit, password reset, ward edit."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.auth.forms import PasswordPolicy
from portal.auth.models import ROLES
from portal.nav import role_label


def role_choices():
    return [SelectChoice(r, role_label(r)) for r in ROLES]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier than a multi-select on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserFilterForm(Form):
    """GET filters of the user list (no CSRF: it changes nothing)."""

    q = StringField(_l("Username"), validators=[Optional(), Length(max=64)])
    role = SelectField(_l("Role"), validators=[Optional()])
    ward = SelectField(_l("Ward"), validators=[Optional()])
    active = SelectField(_l("Status"), validators=[Optional()],
                         choices=[SelectChoice("", _l("Any")), SelectChoice("1", _l("Active")),
                                  SelectChoice("0", _l("Disabled"))])

    def __init__(self, formdata, wards):
        super().__init__(formdata)
        self.role.choices = [SelectChoice("", _l("Any")), *role_choices()]
        self.ward.choices = [SelectChoice("", _l("Any"))] + [SelectChoice(str(w.id), str(w))
                                                            for w in wards]


class _UserFields(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    wards = MultiCheckboxField(_l("Wards"), coerce=int, validators=[Optional()])

    def set_choices(self, wards) -> None:
        self.role.choices = role_choices()
        self.wards.choices = [SelectChoice(w.id, str(w)) for w in wards]


class UserCreateForm(_UserFields):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "off", "autocapitalize": "none"})
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), PasswordPolicy()],
                             render_kw={"autocomplete": "new-password"})


class UserEditForm(_UserFields):
    active = BooleanField(_l("Active (may sign in)"))
    version = HiddenField()


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), PasswordPolicy()],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(),
                                        EqualTo("password", _l("The two entries differ."))],
                            render_kw={"autocomplete": "new-password"})


class WardForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)],
                       render_kw={"autocapitalize": "characters"})
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=100)])
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()
