"""Observability: what each request did (a structured log line with its id, user, operation, time
and SQL statements), Prometheus metrics at ``/metrics``, and per-user rate limits on ``/graphql``.
May import the settings, the database module, models and the services kernel; never the schema.
"""
