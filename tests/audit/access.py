"""Who may open the audit endpoints (read by tests/test_access_matrix.py)."""
EXPECTED = {
    "audit.search": {"admin", "quality"},
}
URL_ARGS = {}
