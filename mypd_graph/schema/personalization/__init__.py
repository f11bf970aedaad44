"""Personalization: needs, recommendations, goal suggestions, the district's settings.
May import frameworks, people and context/errors/relay; plans and resources only lazily."""

from mypd_graph.schema.personalization.mutations import Mutation, Query

__all__ = ["Mutation", "Query"]
