"""Which roles may open each survey endpoint (read by tests/test_access_matrix.py)."""
EXPECTED = {
    "surveys.take": {"public"},
    "surveys.results": {"quality", "head_nurse"},
    "surveys.reviews": {"quality", "head_nurse"},
    "surveys.review": {"quality", "head_nurse"},
    "surveys.export": {"quality"},
    "surveys.slip": {"nurse", "head_nurse", "quality"},
    "surveys.paper": {"nurse", "head_nurse", "quality"},
    "surveys.campaigns": {"quality"},
    "surveys.templates": {"quality", "admin"},
    "surveys.template_edit": {"quality", "admin"},
    "surveys.question_add": {"quality", "admin"},
    "surveys.question_update": {"quality", "admin"},
    "surveys.question_action": {"quality", "admin"},
}
URL_ARGS = {
    "surveys.take": {"token": "x"},
    "surveys.review": {"review_id": 1},
    "surveys.export": {"template_id": 1, "fmt": "csv"},
    "surveys.template_edit": {"template_id": 1},
    "surveys.question_add": {"template_id": 1},
    "surveys.question_update": {"template_id": 1, "question_id": 1},
    "surveys.question_action": {"template_id": 1, "question_id": 1, "action": "up"},
}
