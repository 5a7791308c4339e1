"""Who may open the sign-in endpoints (read by tests/test_access_matrix.py)."""
ALL = {"nurse", "head_nurse", "quality", "leader", "admin"}
EXPECTED = {
    "auth.login": {"public"},
    "auth.logout": ALL,
    "auth.change_password": ALL,
}
URL_ARGS = {}
