"""Who may open the admin endpoints (read by tests/test_access_matrix.py)."""
EXPECTED = {
    "admin.users": {"admin"},
    "admin.user_new": {"admin"},
    "admin.user_edit": {"admin"},
    "admin.user_password": {"admin"},
    "admin.wards": {"admin"},
    "admin.ward_new": {"admin"},
    "admin.ward_edit": {"admin"},
}
URL_ARGS = {
    "admin.user_edit": {"user_id": 1},
    "admin.user_password": {"user_id": 1},
    "admin.ward_edit": {"ward_id": 1},
}
