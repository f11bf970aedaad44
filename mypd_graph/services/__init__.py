"""Domain logic as plain async functions taking a session and the acting user.

The GraphQL layer stays thin over these; authorization happens here (see :mod:`.access`).
"""
