"""People: schools, users, teachers and the district; profile and focus-element mutations; a
district admin's management of schools, users, caseloads and district goals (:mod:`.admin`).
May import frameworks and context/enums/errors/relay; other domains only lazily, in resolvers."""

from strawberry.tools import merge_types

from mypd_graph.schema.people import admin, mutations
from mypd_graph.schema.people.district import Query

Mutation = merge_types("PeopleMutation", (mutations.Mutation, admin.Mutation))

__all__ = ["Mutation", "Query"]
