"""The audit search filters (GET, no CSRF: searching changes nothing)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, StringField
from wtforms.validators import Length, Optional, ValidationError


class AuditSearchForm(Form):
    username = StringField(_l("User"), validators=[Optional(), Length(max=64)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)],
                         description=_l("Action: e.g. login.failed; end with a dot for a group: user."))
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=32)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> dict:
        """The validated values as keyword arguments of services.search_query()."""
        text = {name: (self[name].data or "").strip()
                for name in ("username", "action", "object_type", "object_id")}
        return {**text, "date_from": self.date_from.data, "date_to": self.date_to.data}
