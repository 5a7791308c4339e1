"""Changes to a case: field edits, workflow moves, comments, root causes and corrective
actions. Each change adds timeline entries (who, when, what) carrying the case version it
made, and an audit entry with ids only. Services flush; the view commits.
"""
from __future__ import annotations

from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _  # services also run outside requests
from sqlalchemy import bindparam, select

from portal.audit.services import record
from portal.complaints import deadlines, repeats, workflow
from portal.complaints.models import DESCRIPTION_MAX, ComplaintEvent, CorrectiveAction, RootCause
from portal.complaints.phones import normalise_phone
from portal.db import utcnow
from portal.extensions import db
from portal.privacy import mask_phone
from portal.timeutil import local_minute


class Stale(Exception):
    """The form was loaded at an older version of the case."""


class Invalid(Exception):
    """Something a change needs is missing: {field: message} for 422."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def log(case, user, entries) -> None:
    """Add timeline entries [(kind, field, old, new)] after bumping the case version once."""
    case.updated_at = utcnow()   # makes the row dirty, so the version counter moves
    db.session.flush()
    for kind, name, old, new in entries:
        db.session.add(ComplaintEvent(complaint_id=case.id, user_id=user.id, kind=kind,
                                      field=name, old_value=_short(old), new_value=_short(new),
                                      version=case.version))
    db.session.flush()


def _short(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 300 else text[:300] + "…"


def check_version(case, version) -> None:
    if str(version or "") != str(case.version):
        raise Stale()


def check_text(errors: dict, name: str, value: str, required: bool = False) -> None:
    if required and not (value or "").strip():
        errors[name] = _("This field is required.")
    elif len(value or "") > DESCRIPTION_MAX:
        errors[name] = _("At most %(n)d characters, please (%(given)d given).",
                         n=DESCRIPTION_MAX, given=len(value))


EDITABLE = ("category_id", "severity", "source", "praise_type", "complainant_name",
            "complainant_relation", "complainant_phone", "staff_names", "description",
            "received_at")
REPEAT_INPUTS = ("wards", "staff", "category_id", "received_at")  # what repeat flags depend on


def _repeat_inputs_change(case, values: dict, wards, staff) -> bool:
    return any(
        ("category_id" in values and values["category_id"] != case.category_id,
         "received_at" in values and values["received_at"] != case.received_at,
         wards is not None and {w.id for w in wards} != {w.id for w in case.wards},
         staff is not None and {u.id for u in staff} != {u.id for u in case.staff}))


def edit(case, user, version, values: dict, wards=None, staff=None) -> list[str]:
    """Change fields (the names in EDITABLE; wards and staff as lists). Returns the names
    that changed. Stale when the form's version is not the case's."""
    check_version(case, version)
    errors: dict[str, str] = {}
    check_text(errors, "description", values.get("description", case.description), True)
    if errors:
        raise Invalid(errors)
    entries = []
    before = repeats.later_ids(case) if _repeat_inputs_change(case, values, wards, staff) \
        else set()
    if "complainant_phone" in values:
        values["complainant_phone"] = normalise_phone(values["complainant_phone"])
    for name in EDITABLE:
        if name in values and values[name] != getattr(case, name):
            old, new = getattr(case, name), values[name]
            if name == "complainant_phone":
                old, new = mask_phone(old), mask_phone(new)
            if name == "category_id":
                old, new = _category_name(old), _category_name(new)
            if name == "received_at":
                old, new = local_minute(old), local_minute(new)
            entries.append(("field", name, old, new))
            setattr(case, name, values[name])
    for name, new_list in (("wards", wards), ("staff", staff)):
        if new_list is not None and {x.id for x in new_list} != {x.id for x in getattr(case, name)}:
            entries.append(("field", name, ", ".join(map(str, getattr(case, name))),
                            ", ".join(map(str, new_list))))
            setattr(case, name, new_list)
    if not entries:
        return []
    changed = [e[1] for e in entries]
    if {"severity", "wards", "received_at"} & set(changed):
        deadlines.set_deadlines(case)
    if set(REPEAT_INPUTS) & set(changed):
        repeats.refresh(case, before)
    log(case, user, entries)
    record("complaint.edited", case, fields=changed)
    return changed


def _category_name(category_id) -> str:
    from portal.complaints.models import ComplaintCategory

    category = db.session.get(ComplaintCategory, category_id) if category_id else None
    return category.name_zh if category else ""


def may_act_on_ward(case, user) -> bool:
    """Head nurses act on the cases of their own wards only."""
    return user.role != "head_nurse" or bool({w.id for w in case.wards} & set(user.ward_ids))


def move(case, user, name: str, version, *, wards=None, response: str = "",
         note: str = "") -> None:
    """Make a workflow move; MoveRefused (403/409), Stale or Invalid (422) when it may not."""
    step = workflow.check(name, case.kind, case.state, user.role)
    if not may_act_on_ward(case, user):
        raise workflow.MoveRefused(403, _("This case is not assigned to your ward."))
    check_version(case, version)
    errors: dict[str, str] = {}
    check_text(errors, "note", note)
    if "wards" in step.needs and not (wards or case.wards):
        errors["wards"] = _("Choose at least one ward.")
    if "cause" in step.needs and not case.causes:
        errors["cause"] = _("Record at least one root cause first.")
    if "response" in step.needs:
        check_text(errors, "response", response, required=True)
    if "action" in step.needs and not case.actions:
        errors["action"] = _("Add at least one corrective action first.")
    if "actions_done" in step.needs and any(a.status == "open" for a in case.actions):
        errors["action"] = _("The case cannot be verified while a corrective action is open.")
    if errors:
        raise Invalid(errors)
    entries = [("state", name, case.state, step.target)]
    now = utcnow()
    if name == "assign" and wards is not None and {w.id for w in wards} != {w.id for w in case.wards}:
        entries.append(("field", "wards", ", ".join(map(str, case.wards)),
                        ", ".join(map(str, wards))))
        before = repeats.later_ids(case)
        case.wards = wards
        case.assigned_at = now
        repeats.refresh(case, before)
    if name == "assign":
        case.assigned_at = case.assigned_at or now
        deadlines.set_deadlines(case)
    if name == "respond":
        entries.append(("field", "response_text", case.response_text, response))
        case.response_text, case.responded_at = response, now
    if name == "acknowledge":
        case.acknowledged_at = now
    if name in ("close", "withdraw"):
        case.closed_at = now
    if name == "withdraw":  # a withdrawn complaint no longer makes later ones repeats
        before = repeats.later_ids(case)
        case.state = step.target
        repeats.refresh(case, before)
    if note.strip():
        entries.append(("comment", name, "", note.strip()))
    case.state = step.target
    deadlines.set_next_due(case)
    log(case, user, entries)
    record("complaint.moved", case, move=name, state=step.target)


def comment(case, user, text: str) -> None:
    errors: dict[str, str] = {}
    check_text(errors, "comment", text, required=True)
    if errors:
        raise Invalid(errors)
    log(case, user, [("comment", "", "", text.strip())])
    record("complaint.commented", case)


def add_cause(case, user, category: str, narrative: str, lesson: str) -> RootCause:
    errors: dict[str, str] = {}
    check_text(errors, "narrative", narrative, required=True)
    check_text(errors, "lesson", lesson)
    if errors:
        raise Invalid(errors)
    cause = RootCause(complaint=case, category=category, narrative=narrative.strip(),
                      lesson=lesson.strip(), created_by_id=user.id)
    db.session.add(cause)
    db.session.flush()
    log(case, user, [("cause", category, "", narrative.strip())])
    record("complaint.cause_added", case, cause_id=cause.id)
    return cause


def owner_candidates(case) -> list:
    """Who may own a corrective action: active nurses and head nurses of the case's wards."""
    ward_ids = [w.id for w in case.wards]
    if not ward_ids:
        return []
    return list(db.session.scalars(_owner_candidates(), {"ward_ids": ward_ids}))


@cache
def _owner_candidates():
    """Built once (the case page and every action read it); parameter ward_ids."""
    from portal.auth.models import User, user_wards

    on_wards = select(user_wards.c.user_id).where(
        user_wards.c.ward_id.in_(bindparam("ward_ids", expanding=True)))
    return (select(User).where(User.active, User.role.in_(("nurse", "head_nurse")),
                               User.id.in_(on_wards))
            .order_by(User.role.desc(), User.username))


def add_action(case, user, what: str, due_on: date | None, owner_id: int | None = None,
               owner_name: str = "") -> CorrectiveAction:
    """owner_id: one of owner_candidates(case); owner_name: free text for someone without
    an account. One of the two is required."""
    errors: dict[str, str] = {}
    check_text(errors, "what", what, required=True)
    if due_on is None:
        errors["due_on"] = _("Give a due date.")
    owner = None
    if owner_id:
        owner = next((u for u in owner_candidates(case) if u.id == owner_id), None)
        if owner is None:
            errors["owner_id"] = _("Choose a nurse or head nurse of the ward concerned.")
    elif not owner_name.strip():
        errors["owner_id"] = _("Choose who owns this action, or type the name of someone "
                               "without an account.")
    if errors:
        raise Invalid(errors)
    action = CorrectiveAction(complaint=case, what=what.strip(), due_on=due_on,
                              owner_id=owner.id if owner else None,
                              owner_name="" if owner else owner_name.strip(),
                              created_by_id=user.id)
    db.session.add(action)
    db.session.flush()
    deadlines.set_next_due(case)
    who = str(owner) if owner else owner_name.strip()
    log(case, user, [("action", "added", "", f"{what.strip()} ({who}, {due_on.isoformat()})")])
    record("complaint.action_added", case, action_id=action.id)
    return action


def get_action_or_404(case, action_id: int) -> CorrectiveAction:
    from flask import abort

    for action in case.actions:
        if action.id == action_id:
            return action
    abort(404)


def action_done(case, user, action) -> None:
    if action.status != "open":
        raise workflow.MoveRefused(409, _("This action is already done."))
    action.status, action.done_at = "done", utcnow()
    deadlines.set_next_due(case)
    log(case, user, [("action", "done", "open", action.what)])
    record("complaint.action_done", case, action_id=action.id)


def verify_action(case, user, action, effective: bool, note: str) -> None:
    errors: dict[str, str] = {}
    check_text(errors, "verification_note", note)
    if action.status != "done":
        errors["verification_note"] = _("Only a finished action can be verified.")
    if errors:
        raise Invalid(errors)
    action.effective, action.verification_note = effective, note.strip()
    action.verified_by_id, action.verified_at = user.id, utcnow()
    if not effective:  # not effective: the action goes back to open for another try
        action.status, action.done_at = "open", None
        deadlines.set_next_due(case)
    log(case, user, [("action", "verified", action.what,
                      "effective" if effective else "not_effective")])
    record("complaint.action_verified", case, action_id=action.id, effective=effective)
