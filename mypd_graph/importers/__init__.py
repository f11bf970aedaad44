"""The import pipeline and the importers built into the core (OneRoster rosters, PD records).

- :mod:`~mypd_graph.importers.pipeline`: :func:`~mypd_graph.importers.pipeline.run_import`, the
  one entry point (CLI, GraphQL, benchmarks, tests), and the Import record's lifecycle;
- :mod:`~mypd_graph.importers.job`: what the stages hand each other (the checked request, the
  batches, the progress), below all of them;
- :mod:`~mypd_graph.importers.loading` and :mod:`~mypd_graph.importers.outcome`: a file loaded
  batch by batch in one transaction, and the record of how it went (counts, row errors);
- :mod:`~mypd_graph.importers.source`: the file, its checksum and encoding;
- :mod:`~mypd_graph.importers.reader` and :mod:`~mypd_graph.importers.worker`: records from the
  importer, checked and batched, in a thread or (large files) a process of their own;
- :mod:`~mypd_graph.importers.kinds`: what each record kind must hold to be stored;
- :mod:`~mypd_graph.importers.bulk`, :mod:`~mypd_graph.importers.writers`,
  :mod:`~mypd_graph.importers.teachers`, :mod:`~mypd_graph.importers.training_records`: upserts by
  natural key, with counts and row errors;
- :mod:`~mypd_graph.importers.results`, with :mod:`~mypd_graph.importers.result_rows`,
  :mod:`~mypd_graph.importers.result_summary` and :mod:`~mypd_graph.importers.attribution`:
  assessment results, the high-volume kind;
- :mod:`~mypd_graph.importers.oneroster`, :mod:`~mypd_graph.importers.training`: the built-in
  importers (plugins ``oneroster`` and ``training_csv``);
- :mod:`~mypd_graph.importers.console`: the ``mypd-graph import`` commands' work.
"""
