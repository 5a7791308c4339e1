"""Which roles may open each report endpoint (read by tests/test_access_matrix.py)."""
EXPECTED = {
    "reports.monthly": {"leader", "quality", "head_nurse"},
    "reports.monthly_xlsx": {"leader", "quality", "head_nurse"},
}
URL_ARGS: dict = {}
