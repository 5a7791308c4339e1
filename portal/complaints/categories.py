"""The complaint category list (configurable): list, add, rename, (de)activate, delete an
unused one. Every change is audited; an edit from an out-of-date form raises StaleEdit.

A category in use (any case points at it) is never deleted: it is deactivated instead,
which keeps it on old cases and in reports but takes it off the intake form and filters.
"""
from __future__ import annotations

import re

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.audit import services as audit
from portal.complaints.models import Complaint, ComplaintCategory
from portal.concurrency import check_version
from portal.extensions import db

CODE_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")


class CategoryError(ValueError):
    """A refused change; the message is for the person at the keyboard."""

    def __init__(self, message, field: str | None = None, status: int = 422):
        super().__init__(str(message))
        self.field, self.status = field, status


def all_categories() -> list[ComplaintCategory]:
    return list(db.session.scalars(select(ComplaintCategory)
                                   .order_by(ComplaintCategory.sort, ComplaintCategory.id)))


def use_counts() -> dict[int, int]:
    return dict(db.session.execute(select(Complaint.category_id, func.count(Complaint.id))
                                   .where(Complaint.category_id.is_not(None))
                                   .group_by(Complaint.category_id)).all())


def get_or_404(category_id: int) -> ComplaintCategory:
    category = db.session.get(ComplaintCategory, category_id)
    if category is None:
        abort(404)
    return category


def _check(name_zh: str, name_en: str, category: ComplaintCategory | None) -> None:
    if not name_zh:
        raise CategoryError(_l("A name is required."), "name_zh")
    if not name_en:
        raise CategoryError(_l("A name is required."), "name_en")
    for field, column, value in (("name_zh", ComplaintCategory.name_zh, name_zh),
                                 ("name_en", ComplaintCategory.name_en, name_en)):
        query = select(ComplaintCategory.id).where(func.lower(column) == value.lower())
        if category is not None:
            query = query.where(ComplaintCategory.id != category.id)
        if db.session.scalar(query):
            raise CategoryError(_l("Another category already has this name."), field)


def create(code: str, name_zh: str, name_en: str, sort: int, *, actor) -> ComplaintCategory:
    code, name_zh, name_en = code.strip().lower(), name_zh.strip(), name_en.strip()
    if not CODE_PATTERN.match(code):
        raise CategoryError(_l("Use 1 to 32 lower-case letters, digits, '-' or '_'."), "code")
    if db.session.scalar(select(ComplaintCategory.id).where(ComplaintCategory.code == code)):
        raise CategoryError(_l("Another category already has this code."), "code")
    _check(name_zh, name_en, None)
    category = ComplaintCategory(code=code, name_zh=name_zh, name_en=name_en, sort=sort)
    db.session.add(category)
    db.session.flush()
    audit.record("complaint_category.created", category, user=actor, code=code)
    return category


def update(category: ComplaintCategory, *, name_zh: str, name_en: str, sort: int,
           active: bool, version, actor) -> None:
    """Rename, reorder or (de)activate; StaleEdit when the form was loaded at another version."""
    check_version(category, version)
    name_zh, name_en = name_zh.strip(), name_en.strip()
    _check(name_zh, name_en, category)
    changes = {key: [getattr(category, key), value]
               for key, value in (("name_zh", name_zh), ("name_en", name_en), ("sort", sort),
                                  ("active", active)) if getattr(category, key) != value}
    if not changes:
        return
    category.name_zh, category.name_en, category.sort, category.active = (
        name_zh, name_en, sort, active)
    db.session.flush()
    audit.record("complaint_category.updated", category, user=actor, **changes)


def delete(category: ComplaintCategory, *, version, actor) -> None:
    """Delete a category no case uses (409 otherwise: deactivate it instead)."""
    check_version(category, version)
    if db.session.scalar(select(Complaint.id).where(Complaint.category_id == category.id)
                         .limit(1)):
        raise CategoryError(_l("Cases use this category: deactivate it instead."), status=409)
    audit.record("complaint_category.deleted", category, user=actor, code=category.code)
    db.session.delete(category)
    db.session.flush()
