"""The CASE 1.0 provider endpoints, read-only: ``/ims/case/v1p0/...``.

Public, like most CASE providers: these are published standards, with no student or teacher data
in them, and a CASE consumer (a curriculum tool, a state's registry) has no token of ours. Unknown
identifiers answer 404 with the binding's imsx_StatusInfo body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from mypd_graph.case import export
from mypd_graph.db import SessionMaker
from mypd_graph.models import Framework, Standard
from mypd_graph.services.frameworks import identity

PREFIX = "/ims/case/v1p0"
Handler = Callable[[AsyncSession, str, export.Links], Awaitable[dict[str, Any] | None]]


def _not_found(identifier: str) -> JSONResponse:
    return JSONResponse(
        {
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": f"no object with identifier {identifier[:100]}",
            "imsx_codeMinor": {
                "imsx_codeMinorField": [
                    {
                        "imsx_codeMinorFieldName": "sourcedId",
                        "imsx_codeMinorFieldValue": "unknownobject",
                    }
                ]
            },
        },
        status_code=404,
    )


async def _framework(session: AsyncSession, identifier: str) -> Framework | None:
    return await session.scalar(select(Framework).where(Framework.identifier == identifier))


async def package(session: AsyncSession, identifier: str, links: export.Links) -> Any:
    framework = await _framework(session, identifier)
    return await export.package_json(session, framework, links) if framework else None


async def document(session: AsyncSession, identifier: str, links: export.Links) -> Any:
    framework = await _framework(session, identifier)
    return export.document_json(framework, links) if framework else None


async def documents(session: AsyncSession, _: str, links: export.Links) -> Any:
    rows = await session.scalars(select(Framework).order_by(Framework.key))
    return {"CFDocuments": [export.document_json(row, links) for row in rows]}


async def item(session: AsyncSession, identifier: str, links: export.Links) -> Any:
    row = await session.scalar(select(Standard).where(Standard.identifier == identifier))
    if row is None:
        return None
    framework = await session.get_one(Framework, row.framework_id)
    return export.item_json(row, framework, links)


async def association(session: AsyncSession, identifier: str, links: export.Links) -> Any:
    row = await session.scalar(
        select(Standard).where(Standard.association_identifier == identifier)
    )
    if row is None:
        return None
    framework = await session.get_one(Framework, row.framework_id)
    parent = await session.get(Standard, row.parent_id) if row.parent_id else None
    siblings = list(
        await session.scalars(
            select(Standard.id)
            .where(
                Standard.framework_id == row.framework_id,
                Standard.retired.is_(False),
                Standard.parent_id.is_(None)
                if row.parent_id is None
                else Standard.parent_id == row.parent_id,
            )
            .order_by(Standard.position, Standard.id)
        )
    )
    sequence = siblings.index(row.id) + 1 if row.id in siblings else len(siblings) + 1
    return export.association_json(row, parent, sequence, framework, links)


async def rubric(session: AsyncSession, identifier: str, links: export.Links) -> Any:
    for framework in await session.scalars(select(Framework)):
        if identity.rubric_id(framework.identifier or "") == identifier:
            return await export.framework_rubric(session, framework, links)
    return None


def _endpoint(sessionmaker: SessionMaker, handler: Handler) -> Callable[..., Any]:
    async def endpoint(request: Request) -> JSONResponse:
        identifier = str(request.path_params.get("identifier", ""))
        links = export.Links(str(request.base_url).rstrip("/") + PREFIX)
        async with sessionmaker() as session:
            body = await handler(session, identifier, links)
        if body is None:
            return _not_found(identifier)
        return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*"})

    return endpoint


def mount(sessionmaker: SessionMaker) -> Mount:
    """``/ims/case/v1p0`` and its GET routes, for the app's route list."""
    routes = [
        ("/CFPackages/{identifier}", package),
        ("/CFDocuments", documents),
        ("/CFDocuments/{identifier}", document),
        ("/CFItems/{identifier}", item),
        ("/CFAssociations/{identifier}", association),
        ("/CFRubrics/{identifier}", rubric),
    ]
    return Mount(
        PREFIX,
        routes=[
            Route(path, _endpoint(sessionmaker, handler), methods=["GET"])
            for path, handler in routes
        ],
    )
