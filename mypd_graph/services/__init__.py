"""Domain logic as plain async functions taking a session and the acting user, one package per domain.

The shared kernel sits at this level and below every domain: :mod:`.access` (who may see and do what),
:mod:`.common` (batching, pagination, cursors) and :mod:`.errors`. Domains import the kernel, models,
plugin types and each other without cycles (people, frameworks, resources, feedback, plans < students
< personalization < insights; imports beside them); nothing here imports the GraphQL schema.
"""
