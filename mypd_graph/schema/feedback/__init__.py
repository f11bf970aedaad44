"""Feedback: self-assessments, observations, evidence, comments and training records.
May import frameworks, people and context/errors/relay; plans only lazily, inside resolvers."""

from strawberry.tools import merge_types

from mypd_graph.schema.feedback import files, mutations
from mypd_graph.schema.feedback.calibration import Query

Mutation = merge_types("FeedbackMutation", (mutations.Mutation, files.Mutation))

__all__ = ["Mutation", "Query"]
