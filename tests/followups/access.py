"""Who may open each follow-up endpoint (read by tests/test_access_matrix.py).

Import and rules endpoints; the worklist helper adds the worklist's endpoints here.
"""
TOKEN = "A" * 32  # an import job token (the job itself is checked per user: 404)

EXPECTED = {
    "followups.import_page": {"head_nurse", "quality"},
    "followups.import_job": {"head_nurse", "quality"},
    "followups.import_progress": {"head_nurse", "quality"},
    "followups.import_valid_only": {"head_nurse", "quality"},
    "followups.import_issues_csv": {"head_nurse", "quality"},
    "followups.rules": {"head_nurse", "quality", "admin"},
    "followups.rule_new": {"head_nurse", "admin"},
    "followups.rule_edit": {"head_nurse", "admin"},
}

URL_ARGS = {
    "followups.import_job": {"token": TOKEN},
    "followups.import_progress": {"token": TOKEN},
    "followups.import_valid_only": {"token": TOKEN},
    "followups.import_issues_csv": {"token": TOKEN},
    "followups.rule_edit": {"rule_id": 1},
}
