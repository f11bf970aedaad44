"""Plans: learning plans, goals, action steps, their workflow and their mutations.
May import frameworks, people and context/enums/errors/relay; feedback and resources lazily."""

from mypd_graph.schema.plans.mutations import Mutation
from mypd_graph.schema.plans.types import Query

__all__ = ["Mutation", "Query"]
