"""Ward registry: list, look up, create and edit wards (every change audited)."""
from __future__ import annotations

import re

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.audit import services as audit
from portal.concurrency import check_version
from portal.extensions import db
from portal.wards.models import Ward

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class WardError(ValueError):
    """A refused ward change; the message is for the person at the keyboard."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.field = field


def all_wards(*, active_only: bool = False) -> list[Ward]:
    query = select(Ward).order_by(Ward.code)
    if active_only:
        query = query.where(Ward.active.is_(True))
    return list(db.session.scalars(query))


def get_ward_or_404(ward_id: int) -> Ward:
    ward = db.session.get(Ward, ward_id)
    if ward is None:
        abort(404)
    return ward


def _check(code: str, name: str, ward: Ward | None = None) -> None:
    if not CODE_PATTERN.match(code):
        raise WardError(_l("Use 1 to 16 letters, digits, '-' or '_'."), "code")
    if not name:
        raise WardError(_l("A name is required."), "name")
    query = select(Ward.id).where(func.lower(Ward.code) == code.lower())
    if ward is not None:
        query = query.where(Ward.id != ward.id)
    if db.session.scalar(query):
        raise WardError(_l("Another ward already has this code."), "code")


def create_ward(code: str, name: str, name_en: str = "", *, actor=None) -> Ward:
    code, name, name_en = code.strip(), name.strip(), name_en.strip()
    _check(code, name)
    ward = Ward(code=code, name=name, name_en=name_en)
    db.session.add(ward)
    db.session.flush()
    audit.record("ward.created", ward, user=actor, code=code)
    return ward


def update_ward(ward: Ward, *, code: str, name: str, name_en: str, active: bool,
                version=None, actor=None) -> None:
    """Apply an edit made on a form loaded at `version` (StaleEdit if it is out of date)."""
    if version is not None:
        check_version(ward, version)
    code, name, name_en = code.strip(), name.strip(), name_en.strip()
    _check(code, name, ward)
    changes = {key: [getattr(ward, key), value]
               for key, value in (("code", code), ("name", name), ("name_en", name_en),
                                  ("active", active)) if getattr(ward, key) != value}
    if not changes:
        return
    ward.code, ward.name, ward.name_en, ward.active = code, name, name_en, active
    db.session.flush()
    audit.record("ward.updated", ward, user=actor, **changes)
