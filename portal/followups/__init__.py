"""Discharges, import, follow-up tasks, call attempts and the worklist."""
