"""What every page handler uses: the app's parts, running a named operation from a ``.graphql``
file as the signed-in user, and rendering a template.

Pages get their data only through the schema, with a context built exactly as /graphql builds
it, so every page obeys the same access and sharing rules as the API and doubles as an example
of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import strawberry
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

import mypd_graph.web.session as session
from mypd_graph import oidc
from mypd_graph.db import SessionMaker
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.schema.context import Context
from mypd_graph.services.access import Actor
from mypd_graph.settings import Settings

HERE = Path(__file__).resolve().parent
OPERATIONS = HERE / "operations"
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Web:
    """The parts of the service the web app runs on (``request.app.state.web``)."""

    schema: strawberry.Schema
    settings: Settings
    sessionmaker: SessionMaker
    plugins: PluginSet
    keys: oidc.KeyCache


def web_of(request: Request) -> Web:
    return request.app.state.web  # type: ignore[no-any-return]


class OperationFailed(Exception):
    """The operation answered errors; a page shows a plain message, the log the details."""


@cache
def document(name: str) -> str:
    """The text of ``operations/<name>.graphql``, read once."""
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def run(
    request: Request,
    actor: Actor,
    file: str,
    operation: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the named ``operation`` of ``operations/<file>.graphql`` as ``actor``."""
    web = web_of(request)
    context = Context(
        signed_in=actor,
        sessionmaker=web.sessionmaker,
        settings=web.settings,
        plugins=web.plugins,
        request=request,
    )
    result = await web.schema.execute(
        document(file),
        variable_values=variables,
        context_value=context,
        operation_name=operation,
    )
    if result.errors:
        log.error("web operation %s/%s failed: %s", file, operation, result.errors)
        raise OperationFailed("; ".join(error.message for error in result.errors))
    return result.data or {}


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    """A page: ``template`` with ``values``, the session's CSRF token and the page's path."""
    values.setdefault("signed_in", "uid" in request.session)
    values["csrf_token"] = session.csrf_token(request)
    # The menu lists only pages that exist.
    values["routes"] = {"/app" + getattr(route, "path", "") for route in request.app.routes}
    response = TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)
    # Pages show one person's record: no shared cache may keep them.
    response.headers["cache-control"] = "no-store"
    return response


Handler = Callable[[Request, Actor], Awaitable[Response]]


def signed_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Run ``handler`` for a signed-in user, within the service's request time limit (as
    /graphql is); anyone else goes to the sign-in page, which brings them back afterwards."""

    async def page(request: Request) -> Response:
        web = web_of(request)
        actor = await session.signed_in_actor(request, web.sessionmaker)
        if actor is None:
            query = urlencode({"next": request.url.path})
            return RedirectResponse(f"/app/login?{query}", status_code=303)
        try:
            async with asyncio.timeout(web.settings.request_timeout_seconds):
                return await handler(request, actor)
        except TimeoutError:
            log.warning("page %s took over the time limit", request.url.path)
            return render(
                request,
                "error.html",
                status_code=503,
                title="This took too long",
                message="The page took too long to load and was stopped; try again later.",
            )
        except OperationFailed:
            return render(
                request,
                "error.html",
                status_code=500,
                title="Something went wrong",
                message="This page could not be loaded. It has been logged; try again later.",
            )

    page.__name__ = handler.__name__
    page.__doc__ = handler.__doc__
    return page


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this app, never another site."""
    if value and value.startswith("/app") and not value.startswith("//") and "\\" not in value:
        return value
    return "/app/"


def not_found() -> HTTPException:
    return HTTPException(404, "not found")
