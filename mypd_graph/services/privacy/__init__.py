"""Privacy: the audit trail (written and read), student-data deletion and retention, corrections,
and a teacher's record as one document.

May import the services kernel, models, the students domain (its summaries), and
:mod:`..feedback` and :mod:`..personalization` for a teacher's record as one document; the other
domains' services do not import this package, except that the audit listeners (:mod:`.audit`) are loaded by
the GraphQL context and the CLI.
"""
