"""The import pipeline and the importers built into the core (OneRoster rosters, PD records).

- :mod:`~mypd_graph.importers.pipeline`: :func:`~mypd_graph.importers.pipeline.run_import`, the
  one entry point (CLI, GraphQL, benchmarks, tests), and the Import record's bookkeeping;
- :mod:`~mypd_graph.importers.source`: the file, its checksum and encoding;
- :mod:`~mypd_graph.importers.reader` and :mod:`~mypd_graph.importers.worker`: records from the
  importer, checked and batched, in a thread or (large files) a process of their own;
- :mod:`~mypd_graph.importers.kinds`: what each record kind must hold to be stored;
- :mod:`~mypd_graph.importers.bulk`, :mod:`~mypd_graph.importers.writers`,
  :mod:`~mypd_graph.importers.results`: upserts by natural key, with counts and row errors;
- :mod:`~mypd_graph.importers.oneroster`, :mod:`~mypd_graph.importers.training`: the built-in
  importers (plugins ``oneroster`` and ``training_csv``);
- :mod:`~mypd_graph.importers.console`: the ``mypd-graph import`` commands' work.
"""
