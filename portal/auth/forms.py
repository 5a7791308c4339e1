"""Sign-in and password forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from portal.auth.passwords import MAX_LENGTH, password_problem


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})


class PasswordPolicy:
    """WTForms validator for the password policy (length, common list)."""

    def __call__(self, form, field):
        username = getattr(getattr(form, "username", None), "data", "") or ""
        if problem := password_problem(field.data or "", username):
            raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=[DataRequired(), PasswordPolicy()],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", _l("The two entries differ."))],
                            render_kw={"autocomplete": "new-password"})
