"""Who may open each follow-up endpoint (read by tests/test_access_matrix.py).

The worklist, call logging, patient page and sampling; the discharge import and the rules.
"""
WORKERS = {"nurse", "head_nurse", "quality"}
IMPORTERS = {"head_nurse", "quality"}
TOKEN = "A" * 32  # an import job token (the job itself is checked per user: 404)

EXPECTED = {
    "followups.worklist": WORKERS,
    "followups.counts": WORKERS,
    "followups.log_attempt": WORKERS,
    "followups.reveal_phone": WORKERS,
    "followups.patient": WORKERS,
    "followups.sampling": {"quality"},
    "followups.import_page": IMPORTERS,
    "followups.import_job": IMPORTERS,
    "followups.import_progress": IMPORTERS,
    "followups.import_valid_only": IMPORTERS,
    "followups.import_issues_csv": IMPORTERS,
    "followups.rules": {"head_nurse", "quality", "admin"},
    "followups.rule_new": {"head_nurse", "admin"},
    "followups.rule_edit": {"head_nurse", "admin"},
}

URL_ARGS = {
    "followups.log_attempt": {"task_id": 1},
    "followups.reveal_phone": {"patient_id": 1},
    "followups.patient": {"patient_id": 1},
    "followups.import_job": {"token": TOKEN},
    "followups.import_progress": {"token": TOKEN},
    "followups.import_valid_only": {"token": TOKEN},
    "followups.import_issues_csv": {"token": TOKEN},
    "followups.rule_edit": {"rule_id": 1},
}
