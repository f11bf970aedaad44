"""Privacy: the audit trail, retention and deletion."""
