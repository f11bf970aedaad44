"""Evidence files over the API: attach (GraphQL multipart upload), list, remove, and download.

A download is a short-lived link the API signs for the person who asked (``EvidenceFile.
downloadUrl``): ``/files/<token>``, served by the app, which checks again at download time that
this person may read the evidence (the audience may have changed) and records the read. The bytes
never leave the storage any other way, so a bucket stays private. Rules live in
:mod:`mypd_graph.services.feedback.attachments`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import quote

import strawberry
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from strawberry.file_uploads import Upload

from mypd_graph import models
from mypd_graph.db import SessionMaker
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.relay import Node, decode_id, node_loader, to_global_id
from mypd_graph.services.access import actor_for
from mypd_graph.services.feedback import attachments as service
from mypd_graph.services.privacy.audit import RequestInfo, request_id_from, request_sessionmaker
from mypd_graph.settings import Settings
from mypd_graph.storage import StorageError, open_storage

LINK_SECONDS = 300  # how long a download link works
_SALT = "mypd-evidence-file"


def _signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def limits(settings: Settings) -> service.FileLimits:
    return service.FileLimits(settings.evidence_max_file_bytes, settings.evidence_file_types)


@strawberry.type(description="A file attached to evidence (its type told from its content).")
class EvidenceFile(Node):
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime
    db_id: strawberry.Private[int]

    @strawberry.field(
        description=f"A link that downloads the file for you, through the service, for "
        f"{LINK_SECONDS // 60} minutes; who may read the evidence is checked again when it is used."
    )
    def download_url(self, info: Info) -> str:
        token = _signer(info.context.settings).dumps([self.db_id, info.context.actor.user_id])
        return f"/files/{token}"

    @classmethod
    def from_row(cls, row: models.EvidenceFile) -> EvidenceFile:
        return cls(
            id=to_global_id("EvidenceFile", row.id),
            file_name=row.file_name,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            created_at=row.created_at,
            db_id=row.id,
        )


async def files_of_evidence(info: Info, evidence_id: int) -> list[EvidenceFile]:
    rows = await info.context.loader(service.files_by_evidence).load(evidence_id)
    return [EvidenceFile.from_row(row) for row in rows]


@node_loader("EvidenceFile")
async def evidence_file_by_id(info: Info, db_id: int) -> EvidenceFile | None:
    row = await info.context.loader(service.files_by_ids).load(db_id)
    return EvidenceFile.from_row(row) if row else None


@strawberry.input(description="A file for your own evidence, sent as a GraphQL multipart request.")
class AttachEvidenceFileInput:
    evidence_id: strawberry.ID
    file: Upload


@strawberry.type
class AttachEvidenceFilePayload:
    evidence_file: EvidenceFile | None
    user_errors: list[UserError]


@strawberry.input
class DeleteEvidenceFileInput:
    evidence_file_id: strawberry.ID


@strawberry.type
class DeleteEvidenceFilePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The signed-in teacher attaches a file to their own evidence (size and type "
        "limits: docs/evidence.md). Send it as a GraphQL multipart request."
    )
    async def attach_evidence_file(
        self, info: Info, input: AttachEvidenceFileInput
    ) -> AttachEvidenceFilePayload:
        context = info.context
        upload: Any = input.file

        async def work(session: AsyncSession) -> models.EvidenceFile:
            evidence_id = decode_id(input.evidence_id, "Evidence", ("input", "evidenceId"))
            return await service.attach_file(
                session,
                context.actor,
                open_storage(context.settings),
                limits(context.settings),
                evidence_id,
                upload.file,
                upload.filename or "file",
            )

        row, errors = await run_mutation(info, work)
        return AttachEvidenceFilePayload(
            evidence_file=EvidenceFile.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="The signed-in teacher removes a file from their evidence.")
    async def delete_evidence_file(
        self, info: Info, input: DeleteEvidenceFileInput
    ) -> DeleteEvidenceFilePayload:
        async def work(session: AsyncSession) -> int:
            file_id = decode_id(input.evidence_file_id, "EvidenceFile", ("input", "evidenceFileId"))
            return await service.delete_file(session, info.context.actor, file_id)

        deleted, errors = await run_mutation(info, work)
        return DeleteEvidenceFilePayload(
            deleted_id=to_global_id("EvidenceFile", deleted) if deleted else None,
            user_errors=errors,
        )


# --- /files/<token>: the one way to the bytes -----------------------------------------------------


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


def download_route(settings: Settings, sessionmaker: SessionMaker) -> Route:
    """``GET /files/<token>``: the file, when the link is fresh and its person may read it."""
    signer = _signer(settings)

    async def download(request: Request) -> Response:
        try:
            file_id, user_id = signer.loads(request.path_params["token"], max_age=LINK_SECONDS)
        except SignatureExpired:
            return _refusal(410, "LINK_EXPIRED", "the download link has expired: ask for a new one")
        except BadSignature:
            return _refusal(404, "NOT_FOUND", "no such file")
        async with sessionmaker() as session:
            user = await session.scalar(select(models.User).where(models.User.id == int(user_id)))
        if user is None or not user.active:
            return _refusal(404, "NOT_FOUND", "no such file")
        actor = actor_for(user)
        address = request.client.host if request.client else None
        info = RequestInfo(actor, request_id_from(request.headers.get("x-request-id")), address)
        async with request_sessionmaker(sessionmaker, info).begin() as session:
            row = await service.readable_file(session, actor, int(file_id))
        if row is None:  # not shared with this person (now), or gone: the same answer
            return _refusal(404, "NOT_FOUND", "no such file")
        try:
            chunks = await asyncio.to_thread(open_storage(settings).read, row.key)
        except StorageError:
            return _refusal(404, "NOT_FOUND", "the file's content is missing")
        name = quote(row.file_name)
        headers = {
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
            "Content-Length": str(row.size_bytes),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        }
        return StreamingResponse(
            iterate_in_threadpool(chunks), media_type=row.content_type, headers=headers
        )

    return Route("/files/{token}", download, methods=["GET"])
