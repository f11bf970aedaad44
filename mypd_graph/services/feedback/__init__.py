"""Feedback on a teacher's practice: self-assessments, observations, evidence, comments, training records.

May import the services kernel, models, :mod:`..frameworks` and :mod:`..events` (the outbox its
writers record events in); never :mod:`..personalization`, which builds on it.
"""
