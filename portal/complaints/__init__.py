"""Complaints, praise and suggestions: register, workflow, root causes, corrective actions."""
