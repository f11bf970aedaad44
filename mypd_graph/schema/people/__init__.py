"""People: schools, users, teachers and the district; profile and focus-element mutations.
May import frameworks and context/enums/errors/relay; other domains only lazily, in resolvers."""

from mypd_graph.schema.people.district import Query
from mypd_graph.schema.people.mutations import Mutation

__all__ = ["Mutation", "Query"]
