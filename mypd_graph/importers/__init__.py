"""The import pipeline and the importers built into the core (OneRoster rosters, PD records)."""
