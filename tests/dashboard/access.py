"""Which roles may open each dashboard endpoint (read by tests/test_access_matrix.py)."""
EXPECTED = {
    "dashboard.leader": {"leader", "quality"},
    "dashboard.quality": {"quality"},
    "dashboard.ward": {"head_nurse", "nurse", "quality"},
    "dashboard.drill": {"leader", "quality", "head_nurse", "nurse"},
}
URL_ARGS: dict = {}
