"""``district create|list``, ``user add|update|deactivate|list``, ``caseload assign|unassign``."""
