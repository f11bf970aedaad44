"""Built-in resource provider serving a catalog file of PD resources (issue 4)."""
