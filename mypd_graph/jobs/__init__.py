"""Jobs: work that outlives a request, on a queue (MYPD_JOB_QUEUE; docs/deploy.md).

- :mod:`.queue`: the two queues behind one small interface. ``in-process`` runs a job as an
  asyncio task of the app process that accepted it (SQLite, a trial; lost when that process
  stops); ``postgres`` defers it to a procrastinate queue in the service's own PostgreSQL
  database (its tables in the ``procrastinate`` schema), where any worker takes it.
- :mod:`.tasks`: the procrastinate tasks and their retry rule (a job a stopping worker hands back
  runs again; a job whose worker died is retried by another worker).
- :mod:`.worker`: ``mypd-graph worker``: runs the tasks, heartbeats, and retries stalled jobs.

A new kind of job: a task in :mod:`.tasks` (a thin shell over a service function, with the
retry rule it needs) on a queue named in :data:`.queue.QUEUES`, and a way for the service to
defer it, through a queue object the app hands it as it hands :class:`.queue.PostgresQueue` to
the import service (services never import this package).

Layers: jobs sit above services (a task calls a service); services defer by task name through
:mod:`.queue`, which imports no service.
"""
