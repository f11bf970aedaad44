"""Frameworks: plugin definitions synced into the database (never over one imported from CASE),
the district's active one, its tree and scale; ``identity`` derives the CASE identifiers of what
has none of its own.

May import the services kernel, models and plugin types; no other domain.
"""
