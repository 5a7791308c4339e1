"""The state machine, table-driven: every state x every move x every role (and kind)."""
import pytest

from portal.auth.models import ROLES
from portal.complaints import workflow
from portal.complaints.models import STATES

# The expected table, written out independently of workflow.MOVES.
COMPLAINT_MOVES = {
    ("received", "assign"): "quality", ("assigned", "assign"): "quality",
    ("assigned", "investigate"): "head_nurse", ("investigating", "respond"): "head_nurse",
    ("responded", "plan"): "head_nurse", ("corrective_action", "verify"): "quality",
    ("verified", "close"): "quality",
}
for s in ("received", "assigned", "investigating", "responded", "corrective_action", "verified"):
    COMPLAINT_MOVES[(s, "withdraw")] = "quality"
SHORT_MOVES = {("received", "acknowledge"): {"quality", "head_nurse"},
               ("acknowledged", "close"): {"quality"}, ("received", "withdraw"): {"quality"},
               ("acknowledged", "withdraw"): {"quality"}}
TARGETS = {"assign": "assigned", "investigate": "investigating", "respond": "responded",
           "plan": "corrective_action", "verify": "verified", "close": "closed",
           "acknowledge": "acknowledged", "withdraw": "withdrawn"}


def expected(kind, state, move, role):
    if kind == "complaint":
        allowed_roles = {COMPLAINT_MOVES[(state, move)]} if (state, move) in COMPLAINT_MOVES else None
    else:
        allowed_roles = SHORT_MOVES.get((state, move))
    move_roles = workflow.MOVES[move].roles
    if role not in move_roles:
        return 403
    return 200 if allowed_roles and role in allowed_roles else 409


CASES = [(k, s, m, r) for k in ("complaint", "praise", "suggestion") for s in STATES
         for m in sorted(TARGETS) for r in ROLES]


@pytest.mark.parametrize("kind, state, move, role", CASES)
def test_every_state_move_role(kind, state, move, role):
    want = expected(kind, state, move, role)
    if want == 200:
        assert workflow.check(move, kind, state, role).target == TARGETS[move]
        return
    with pytest.raises(workflow.MoveRefused) as info:
        workflow.check(move, kind, state, role)
    assert info.value.status == want
    if want == 409:
        assert info.value.allowed == workflow.allowed_moves(kind, state)


def test_move_roles_match_the_expected_table():
    for move in TARGETS:
        roles = {r for (s, m), r in COMPLAINT_MOVES.items() if m == move}
        roles |= set().union(*[r for (s, m), r in SHORT_MOVES.items() if m == move])
        assert workflow.MOVES[move].roles == roles, move


def test_unknown_move_404():
    with pytest.raises(workflow.MoveRefused) as info:
        workflow.check("teleport", "complaint", "received", "quality")
    assert info.value.status == 404


def test_409_names_allowed_moves(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(workflow.MoveRefused) as info:
            workflow.check("close", "complaint", "received", "quality")
    assert info.value.allowed == ("assign", "withdraw")
    assert "Assign to ward" in info.value.message and "Withdraw" in info.value.message
