"""The case workflow as a table: which move goes from which states to which, for whom.

Complaints: received -> assigned -> investigating -> responded -> corrective_action ->
verified -> closed; withdrawn from any open state. Praise and suggestions:
received -> acknowledged -> closed. A move is refused in this order:
the role may never make it (403), the case's state or kind does not allow it (409, naming
the moves that are allowed), something the move needs is missing (422, beside the field).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

COMPLAINT = ("complaint",)
SHORT = ("praise", "suggestion")
OPEN_COMPLAINT = ("received", "assigned", "investigating", "responded", "corrective_action",
                  "verified")


@dataclass(frozen=True)
class Move:
    name: str
    label: object
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    kinds: tuple[str, ...]
    needs: tuple[str, ...] = ()   # checked by services.check_needs -> 422


MOVES: dict[str, Move] = {m.name: m for m in (
    Move("assign", _l("Assign to ward"), ("received", "assigned"), "assigned",
         frozenset({"quality"}), COMPLAINT, ("wards",)),
    Move("investigate", _l("Start investigating"), ("assigned",), "investigating",
         frozenset({"head_nurse"}), COMPLAINT),
    Move("respond", _l("Record response"), ("investigating",), "responded",
         frozenset({"head_nurse"}), COMPLAINT, ("cause", "response")),
    Move("plan", _l("Corrective actions set"), ("responded",), "corrective_action",
         frozenset({"head_nurse"}), COMPLAINT, ("action",)),
    Move("verify", _l("Verify"), ("corrective_action",), "verified",
         frozenset({"quality"}), COMPLAINT, ("actions_done",)),
    Move("close", _l("Close"), ("verified", "acknowledged"), "closed",
         frozenset({"quality"}), COMPLAINT + SHORT),
    Move("acknowledge", _l("Acknowledge"), ("received",), "acknowledged",
         frozenset({"quality", "head_nurse"}), SHORT),
    Move("withdraw", _l("Withdraw"), OPEN_COMPLAINT + ("acknowledged",), "withdrawn",
         frozenset({"quality"}), COMPLAINT + SHORT),
)}

STATE_LABELS = {
    "received": _l("Received"), "assigned": _l("Assigned"),
    "investigating": _l("Investigating"), "responded": _l("Responded"),
    "corrective_action": _l("Corrective action"), "verified": _l("Verified"),
    "acknowledged": _l("Acknowledged"), "closed": _l("Closed"), "withdrawn": _l("Withdrawn"),
}
CLOSED_STATES = ("closed", "withdrawn")
KIND_STATES = {"complaint": OPEN_COMPLAINT + CLOSED_STATES,
               "praise": ("received", "acknowledged") + CLOSED_STATES,
               "suggestion": ("received", "acknowledged") + CLOSED_STATES}


def _fits(move: Move, kind: str, state: str) -> bool:
    return kind in move.kinds and state in move.sources and state in KIND_STATES[kind]


class MoveRefused(Exception):
    def __init__(self, status: int, message: str = "", allowed: tuple[str, ...] = ()):
        super().__init__(message)
        self.status, self.message, self.allowed = status, message, allowed


def allowed_moves(kind: str, state: str, role: str | None = None) -> tuple[str, ...]:
    """Moves the case's kind and state allow (for this role, when given), in table order."""
    return tuple(m.name for m in MOVES.values()
                 if _fits(m, kind, state) and (role is None or role in m.roles))


def check(move_name: str, kind: str, state: str, role: str) -> Move:
    """The Move, or MoveRefused(404 | 403 | 409)."""
    from flask_babel import gettext as _

    move = MOVES.get(move_name)
    if move is None:
        raise MoveRefused(404)
    if role not in move.roles:
        raise MoveRefused(403, _("Your role may not make this move."))
    if not _fits(move, kind, state):
        allowed = allowed_moves(kind, state)
        names = ", ".join(str(MOVES[m].label) for m in allowed) or _("none")
        raise MoveRefused(409, _("This case is %(state)s; allowed moves: %(moves)s.",
                                 state=STATE_LABELS[state], moves=names), allowed)
    return move
