"""Students: sections, enrollments and results in the viewer's reach, their summaries and aggregates.

May import the services kernel and models; no other domain (personalization and insights read these).
"""
