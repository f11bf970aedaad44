"""Feedback on a teacher's practice: self-assessments, observations, evidence, comments, training records.

May import the services kernel, models and :mod:`..frameworks`.
"""
