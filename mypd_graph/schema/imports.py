"""Imports: upload a file to an importer (GraphQL multipart request), list runs and their errors.

District admins and the importer service role import and read runs; everyone else gets an empty
list and a FORBIDDEN userError. Resolvers stay thin over :mod:`mypd_graph.services.imports.runs`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from mypd_graph.importers.stale import fail_stale_runs
from mypd_graph.models import data as data_models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError
from mypd_graph.schema.people.types import User, user_by_id
from mypd_graph.schema.relay import Connection, Node, connection, node_loader, to_global_id
from mypd_graph.services.errors import PermissionDenied, UserInputError, invalid
from mypd_graph.services.imports import runs as service
from mypd_graph.services.imports import tracking
from mypd_graph.services.imports.durable import ImportQueue

ImportStatus = strawberry.enum(data_models.ImportStatus, name="ImportStatus")
ImportRunEventKind = strawberry.enum(tracking.EventKind, name="ImportRunEventKind")


@strawberry.type(description="How far an import has got, reported after every batch of rows.")
class ImportProgress:
    rows_read: int
    rows_rejected: int
    bytes_read: int
    bytes_total: int = strawberry.field(
        description="The file's size; 0 when bytes say nothing of progress (a folder)."
    )
    updated_at: datetime | None = strawberry.field(description="When the figures were reported.")

    @strawberry.field(description="The share of the file read, 0 to 1; null when unknown.")
    def fraction(self) -> float | None:
        if self.bytes_total <= 0:
            return None
        return round(min(1.0, self.bytes_read / self.bytes_total), 4)


@strawberry.type(description="One step of an import run's history: what happened to its job.")
class ImportRunEvent:
    at: datetime
    kind: ImportRunEventKind
    attempt: int = strawberry.field(description="The attempt it belongs to (0: before any).")
    worker: str = strawberry.field(description="The process (host:pid) it happened in, if any.")
    detail: str


@strawberry.type(description="A row an import rejected, and why (rows count the header as 1).")
class ImportRowError:
    row: int
    file: str = strawberry.field(description="The member of a multi-file import; empty otherwise.")
    column: str | None
    value: str | None
    reason: str

    @classmethod
    def from_row(cls, row: data_models.ImportRowError) -> ImportRowError:
        return cls(
            row=row.row, file=row.file, column=row.column, value=row.value, reason=row.reason
        )


@strawberry.type(description="One run of an importer: who, when, which file, what happened.")
class ImportRun(Node):
    importer: str
    format: str | None = strawberry.field(description="The layout the importer read.")
    file_name: str
    checksum: str = strawberry.field(description="SHA-256 of the file.")
    status: ImportStatus
    message: str = strawberry.field(
        description="Why a run was rejected or failed; notes about a completed one."
    )
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    rows_skipped: int = strawberry.field(
        description="Rows left out on purpose (another test in the file, an untested student); "
        "not errors, and not counted against max_error_share."
    )
    started_at: datetime
    finished_at: datetime | None
    db_id: strawberry.Private[int]
    user_id: strawberry.Private[int | None]

    @strawberry.field(description="Seconds from start to finish; null while running.")
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)

    @strawberry.field(
        description="How far it has got: rows read so far while it runs, the last figures once "
        "it ended; null for a file imported within its request. On SQLite a running import's "
        "figures are seen by the app process running it."
    )
    async def progress(self, info: Info) -> ImportProgress | None:
        found = await info.context.loader(tracking.progress_by_run).load(self.db_id)
        if found is None:
            return None
        return ImportProgress(
            rows_read=found.rows_read,
            rows_rejected=found.rows_rejected,
            bytes_read=found.bytes_read,
            bytes_total=found.bytes_total,
            updated_at=found.updated_at,
        )

    @strawberry.field(
        description="How many times a worker started it (more than 1 after a worker died or "
        "stopped midway; each attempt starts from nothing); 0 before any."
    )
    async def attempts(self, info: Info) -> int:
        found = await info.context.loader(tracking.progress_by_run).load(self.db_id)
        return found.attempts if found is not None else 0

    @strawberry.field(
        description="What happened to its job, oldest first (empty for a file "
        "imported within its request)."
    )
    async def history(self, info: Info) -> list[ImportRunEvent]:
        events = await info.context.loader(tracking.history_by_run).load(self.db_id)
        return [
            ImportRunEvent(
                at=event.at or self.started_at,
                kind=ImportRunEventKind(event.kind),
                attempt=event.attempt,
                worker=event.worker,
                detail=event.detail,
            )
            for event in events
        ]

    @strawberry.field(description="Who ran the import.")
    async def user(self, info: Info) -> User | None:
        return await user_by_id(info, self.user_id)

    @strawberry.field(description="The rows it rejected, in file order (all of them, by page).")
    async def errors(
        self, info: Info, first: int = 25, after: str | None = None
    ) -> Connection[ImportRowError]:
        key = service.error_page_key(self.db_id, first, after)
        page = await info.context.loader(service.row_error_pages).load(key)
        return connection(page, ImportRowError.from_row)

    @classmethod
    def from_row(cls, row: data_models.ImportRun) -> ImportRun:
        return cls(
            id=to_global_id("ImportRun", row.id),
            importer=row.importer,
            format=row.layout or None,
            file_name=row.file_name,
            checksum=row.checksum,
            status=ImportStatus(row.status),
            message=row.message,
            rows_read=row.rows_read,
            rows_inserted=row.rows_inserted,
            rows_updated=row.rows_updated,
            rows_unchanged=row.rows_unchanged,
            rows_rejected=row.rows_rejected,
            rows_skipped=row.rows_skipped,
            started_at=row.started_at,
            finished_at=row.finished_at,
            db_id=row.id,
            user_id=row.user_id,
        )


@node_loader("ImportRun")
async def import_run_by_id(info: Info, run_id: int) -> ImportRun | None:
    row = await info.context.loader(service.imports_by_ids).load(run_id)
    return ImportRun.from_row(row) if row else None


@strawberry.input(description="Narrow the list of imports; all given filters must match.")
class ImportFilterInput:
    status: ImportStatus | None = None
    importer: str | None = None


@strawberry.type
class Query:
    @strawberry.field(
        description="The district's import runs, newest first (district admins and the importer "
        "service; empty for everyone else)."
    )
    async def imports(
        self,
        info: Info,
        first: int = 25,
        after: str | None = None,
        where: ImportFilterInput | None = None,
    ) -> Connection[ImportRun]:
        where = where or ImportFilterInput()
        actor = info.context.actor
        if (
            actor.role in service.IMPORT_ROLES
        ):  # runs whose process died are failed before they are listed
            await fail_stale_runs(info.context.sessionmaker, actor.district_id)
        status = where.status.value if where.status is not None else None
        filters = service.ImportFilter(status=status, importer=where.importer or None)
        page = await info.context.read(service.imports_page, filters, first, after)
        return connection(page, ImportRun.from_row)


@strawberry.input(description="A file to import, sent as a GraphQL multipart request.")
class ImportFileInput:
    importer: str = strawberry.field(description="A registered importer, e.g. csv-scores.")
    file: Upload
    format: str | None = strawberry.field(
        default=None, description="One of the importer's layouts, e.g. nwea-map."
    )
    options: JSON | None = strawberry.field(
        default=None,
        description="An object of importer options (mapping, max_error_share, create_students...).",
    )


@strawberry.type
class ImportFilePayload:
    import_run: ImportRun | None = strawberry.field(
        description="The run: finished for small files; QUEUED (a worker will take it) or "
        "RUNNING (this app process runs it) for large ones: watch its status, progress and "
        "history with node or imports."
    )
    user_errors: list[UserError]


def _job_queue(request: Any) -> ImportQueue | None:
    """The app's job queue (``app.state.job_queue``); None: jobs run in this process."""
    app = (getattr(request, "scope", None) or {}).get("app")
    return getattr(getattr(app, "state", None), "job_queue", None)


def _options(input: ImportFileInput) -> dict[str, Any]:
    if input.options is not None and not isinstance(input.options, dict):
        raise invalid(("input", "options"), "options must be an object", "BAD_OPTIONS")
    options = dict(input.options or {})
    if input.format:
        options["format"] = input.format
    return options


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Upload a file to an importer (district admins and the importer service). "
        "Send it as a GraphQL multipart request; rejected files and rows are reported in the run."
    )
    async def import_file(self, info: Info, input: ImportFileInput) -> ImportFilePayload:
        context = info.context
        upload: Any = input.file
        try:
            run = await service.import_upload(
                context.sessionmaker,
                context.actor,
                context.plugins,
                input.importer,
                upload.file,
                upload.filename or "upload",
                _options(input),
                queue=_job_queue(context.request),
            )
        except UserInputError as error:
            problems = error.problems
            return ImportFilePayload(
                import_run=None,
                user_errors=[
                    UserError(field=list(p.field), message=p.message, code=p.code) for p in problems
                ],
            )
        except PermissionDenied as error:
            return ImportFilePayload(
                import_run=None,
                user_errors=[UserError(field=["input"], message=str(error), code=error.code)],
            )
        context.clear_loaders()
        return ImportFilePayload(import_run=ImportRun.from_row(run), user_errors=[])
