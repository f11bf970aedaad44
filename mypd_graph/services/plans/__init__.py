"""Learning plans: plans, goals and action steps, read in the viewer's reach, edited, moved through review.

May import the services kernel, models, :mod:`..frameworks` and :mod:`..events` (plan decisions
are events).
"""
