"""Start page per role, language switch and the health check."""
