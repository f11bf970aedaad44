"""Built-in importer for CSV files of past PD (training records) (issue 3)."""
