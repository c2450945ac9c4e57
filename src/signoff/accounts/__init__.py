"""Accounts: users, passwords, tokens, signing keys, API keys, service accounts, OIDC."""
