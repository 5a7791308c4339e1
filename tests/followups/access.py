"""Who may open the worklist endpoints (read by tests/test_access_matrix.py).

The imports helper adds its endpoints (import, rules) to the same tables; the lead merges both.
"""
WORKERS = {"nurse", "head_nurse", "quality"}

EXPECTED = {
    "followups.worklist": WORKERS,
    "followups.counts": WORKERS,
    "followups.log_attempt": WORKERS,
    "followups.reveal_phone": WORKERS,
    "followups.patient": WORKERS,
    "followups.sampling": {"quality"},
}

URL_ARGS = {
    "followups.log_attempt": {"task_id": 1},
    "followups.reveal_phone": {"patient_id": 1},
    "followups.patient": {"patient_id": 1},
}
