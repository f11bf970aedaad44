"""Resource providers built into the core."""
