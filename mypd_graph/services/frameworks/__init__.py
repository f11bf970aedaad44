"""Frameworks: plugin definitions synced into the database (never over one imported from CASE),
and the CASE packages plugins ship imported through the importer the caller hands the registry
(``registry.CaseImporter``, built by :mod:`mypd_graph.case.importer`: services never import
:mod:`mypd_graph.case`); the district's active one, its tree and scale; ``identity`` derives the
CASE identifiers of what has none of its own; ``versions`` records what each version of a
framework changed, ``crosswalks`` maps elements across frameworks and versions, ``swap`` switches
a district's framework carrying teachers' records over, and ``carry`` reads old history through
the crosswalk.

May import the services kernel, models and plugin types; no other domain.
"""
