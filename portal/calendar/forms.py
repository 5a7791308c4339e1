"""The admin form for one calendar day."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class DayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=[("holiday", _l("Public holiday (day off)")),
                                            ("workday", _l("Make-up workday (调休上班)"))])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=64)])
    version = HiddenField()
