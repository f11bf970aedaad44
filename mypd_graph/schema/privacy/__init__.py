"""Privacy: the audit trail, corrections of records made in error, a teacher's record, which
students a teacher sees.

One module per concern; their ``Query`` and ``Mutation`` parts are merged here for the schema.
"""

from strawberry.tools import merge_types

from mypd_graph.schema.privacy import corrections, record, scope, trail

Query = merge_types("PrivacyQuery", (trail.Query, record.Query))
Mutation = merge_types("PrivacyMutation", (corrections.Mutation, scope.Mutation))
