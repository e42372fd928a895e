"""Pure domain: content types, ticket rules, wait estimation, languages.

Shared by the kiosk and the server. No I/O, no framework: see ruff.toml beside this file.
"""
