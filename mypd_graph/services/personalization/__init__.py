"""Personalization: district settings, needs and their explanations, goal suggestions, recommendations, growth.

May import the services kernel, models, :mod:`..students`, :mod:`..plans`, :mod:`..frameworks` and :mod:`..resources`.
"""
