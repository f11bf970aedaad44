"""Insights: district views (coverage, rating distributions, top needs, plan status, PD, students' results).

May import the services kernel, models, :mod:`..personalization` and :mod:`..students`.
"""
