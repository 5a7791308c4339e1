"""Satisfaction survey templates, channels, responses and scoring."""
