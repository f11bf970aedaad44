"""Frameworks: plugin definitions synced into the database, the district's active one, its tree and scale.

May import the services kernel, models and plugin types; no other domain.
"""
