"""Built-in importer for 1EdTech OneRoster 1.1 CSV rosters (issue 3)."""
