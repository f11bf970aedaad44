"""Imports as the API sees them: starting an upload, reading runs and their row errors.

May import the services kernel, models, :mod:`..students` and the import pipeline (:mod:`mypd_graph.importers`).
"""
