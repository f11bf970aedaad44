"""1EdTech CASE 1.0/1.1 in and out: frameworks as CFPackages.

``parse`` reads a CFPackage (no database: a hostile file fails here, bounded in size and depth),
``tree`` decides the rated level, ``store`` writes a parsed package as a framework, ``export``
writes any framework as a CFPackage, ``fetch`` reads a file or URL with a timeout and size limit,
``admin`` is the district admin's import (the mutation's service), ``api`` serves the read-only
CASE provider endpoints. See docs/case.md.

Sits beside services (like importers): may import services.frameworks, models and plugin types;
services never import it.
"""
