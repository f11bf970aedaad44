"""Feedback: self-assessments, observations, evidence, comments and training records.
May import frameworks, people and context/errors/relay; plans only lazily, inside resolvers."""

from mypd_graph.schema.feedback.calibration import Query
from mypd_graph.schema.feedback.mutations import Mutation

__all__ = ["Mutation", "Query"]
