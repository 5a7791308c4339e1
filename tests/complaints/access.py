CLINICAL = {"nurse", "head_nurse", "quality"}
EXPECTED = {
    "complaints.register": CLINICAL,
    "complaints.new": CLINICAL,
    "complaints.notifications": CLINICAL,
    "complaints.badge": CLINICAL,
    "complaints.detail": CLINICAL,
    "complaints.edit": {"head_nurse", "quality"},
    "complaints.move": CLINICAL,
    "complaints.comment": CLINICAL,
    "complaints.add_cause": {"head_nurse", "quality"},
    "complaints.add_action": {"head_nurse", "quality"},
    "complaints.action_done": {"head_nurse", "quality"},
    "complaints.verify_action": {"quality"},
    "complaints.reveal_phone": CLINICAL,
}
URL_ARGS = {
    "complaints.detail": {"case_id": 1},
    "complaints.edit": {"case_id": 1},
    "complaints.move": {"case_id": 1, "name": "assign"},
    "complaints.comment": {"case_id": 1},
    "complaints.add_cause": {"case_id": 1},
    "complaints.add_action": {"case_id": 1},
    "complaints.action_done": {"case_id": 1, "action_id": 1},
    "complaints.verify_action": {"case_id": 1, "action_id": 1},
    "complaints.reveal_phone": {"case_id": 1},
}
