"""Privacy: the audit trail, retention and deletion, corrections, a teacher's record."""

from strawberry.tools import merge_types

from mypd_graph.schema.privacy import trail

Query = merge_types("PrivacyQuery", (trail.Query,))
