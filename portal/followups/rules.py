"""Per-ward follow-up rules: who may see and change them, and what a change does.

Head nurses manage the rules of their own wards, admins every ward's; quality staff
read them. Rules are versioned: a save based on an older version is refused (409)
instead of silently overwriting a colleague's change. A change of days or window
moves the rule's pending tasks that are not yet due; deactivating cancels them.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.audit import services as audit
from portal.extensions import db
from portal.followups import tasks
from portal.followups.models import FollowUpRule
from portal.wards.models import Ward

EDITORS = ("head_nurse", "admin")
FIELDS = ("label", "days_after", "window_days", "max_attempts", "call_script", "active")


class StaleRule(Exception):
    """Someone saved the rule after this form was loaded."""


def manageable_wards(user) -> list[Ward]:
    """Wards whose rules the user may change."""
    if user.role == "admin":
        return list(db.session.scalars(select(Ward).where(Ward.active.is_(True)).order_by(Ward.code)))
    if user.role == "head_nurse":
        return [w for w in user.wards if w.active]
    return []


def visible_rules(user) -> list[FollowUpRule]:
    query = (select(FollowUpRule).join(Ward).options(selectinload(FollowUpRule.ward))
             .order_by(Ward.code, FollowUpRule.days_after, FollowUpRule.id))
    if not user.sees_all_wards:
        query = query.where(FollowUpRule.ward_id.in_(user.ward_ids))
    return list(db.session.scalars(query))


def get_rule_or_404(rule_id: int, user, *, for_edit: bool = False) -> FollowUpRule:
    rule = db.session.get(FollowUpRule, rule_id)
    if rule is None:
        abort(404)
    if for_edit and user.role != "admin" and rule.ward_id not in user.ward_ids:
        abort(404)
    if not user.sees_all_wards and rule.ward_id not in user.ward_ids:
        abort(404)
    return rule


def create_rule(user, ward: Ward, data: dict) -> FollowUpRule:
    rule = FollowUpRule(ward=ward, **{k: data[k] for k in FIELDS})
    db.session.add(rule)
    db.session.flush()
    created = tasks.tasks_for_new_rule(rule) if rule.active else 0
    audit.record("followup_rule.created", rule, user=user, ward=ward.code,
                 days_after=rule.days_after, window_days=rule.window_days,
                 max_attempts=rule.max_attempts, active=rule.active, tasks_created=created)
    return rule


def update_rule(user, rule: FollowUpRule, data: dict, version: int) -> dict:
    """Apply the form; returns what changed for the tasks. Raises StaleRule."""
    if version != rule.version:
        raise StaleRule()
    changed = [k for k in FIELDS if getattr(rule, k) != data[k]]
    if not changed:
        return {"changed": [], "moved": 0, "cancelled": 0, "created": 0}
    was_active = rule.active
    for key in changed:
        setattr(rule, key, data[key])
    db.session.flush()  # version check in SQL: a concurrent save fails here (StaleDataError)
    effect = {"changed": changed, "moved": 0, "cancelled": 0, "created": 0}
    if was_active and not rule.active:
        effect["cancelled"] = tasks.cancel_for_inactive_rule(rule)
    elif rule.active and not was_active:
        effect["created"] = tasks.tasks_for_new_rule(rule)
    elif rule.active and {"days_after", "window_days"} & set(changed):
        effect["moved"] = tasks.reschedule_for_rule(rule)
    audit.record("followup_rule.changed", rule, user=user, ward=rule.ward.code, fields=changed,
                 tasks_moved=effect["moved"], tasks_cancelled=effect["cancelled"],
                 tasks_created=effect["created"])
    return effect
