"""Who may open the start page, language switch and health check."""
EXPECTED = {
    "home.index": {"nurse", "head_nurse", "quality", "leader", "admin"},
    "home.language": {"public"},
    "home.healthz": {"public"},
}
URL_ARGS = {}
