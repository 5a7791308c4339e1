"""The ward registry (病区) and per-ward settings."""
