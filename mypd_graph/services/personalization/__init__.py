"""Personalization: district settings, needs and their explanations, goal suggestions, recommendations, growth.

May import the services kernel, models, :mod:`..students`, :mod:`..plans`, :mod:`..frameworks`,
:mod:`..resources` and :mod:`..feedback` (the reconciled observed rating of several raters:
``feedback.calibration``, read by needs' signals and growth); feedback never imports personalization.
"""
