"""Accounts, roles, sign-in, sessions and permissions."""
