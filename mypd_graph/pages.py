"""The HTML the service serves (the home page, GraphiQL) and their static files, all from the
package: a district's network may have no internet, so no page names another host, and a
Content-Security-Policy that allows only the service's own origin holds every page to that."""

from __future__ import annotations

import secrets
from functools import cache
from importlib import metadata
from pathlib import Path
from string import Template

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mypd_graph.settings import Settings

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"


def content_security_policy(style_nonce: str | None = None) -> str:
    """Only this origin: scripts and styles are files under /static (no inline script, no eval);
    fonts and the favicon may be ``data:`` URLs (GraphiQL's CSS embeds its fonts). A nonce lets
    one page's own scripts add a <style> element (GraphiQL's dialogs lock scrolling that way)."""
    style = "'self'" + (f" 'nonce-{style_nonce}'" if style_nonce else "")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {style}",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """Gives every HTML response that sets no policy of its own the strict one, so a page added
    later is covered without remembering to; and ``nosniff`` on everything, so a browser runs only
    files served as scripts as scripts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("x-content-type-options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("content-security-policy", content_security_policy())
                    headers.setdefault("referrer-policy", "no-referrer")
            await send(message)

        await self.app(scope, receive, send_with_headers)


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def graphiql_page() -> HTMLResponse:
    """GraphiQL from the package's own copies (see static/graphiql/README.md), with a fresh
    style nonce on every response."""
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(
        _template("graphiql.html").substitute(nonce=nonce),
        headers={
            "content-security-policy": content_security_policy(style_nonce=nonce),
            # The page differs per response (its nonce); a cached copy would carry a stale one.
            "cache-control": "no-store",
        },
    )


def home_page(settings: Settings) -> HTMLResponse:
    """What the service is and where to go next, instead of "Not Found" at ``/``."""
    if settings.graphiql:
        graphql = (
            '<a href="/graphql">GraphiQL</a> at <code>/graphql</code>: write and run queries in '
            "the browser, with the schema's documentation beside them."
        )
    else:
        graphql = (
            "The GraphQL endpoint is <code>/graphql</code> (POST JSON with a bearer token); "
            "GraphiQL is turned off on this deployment (<code>MYPD_GRAPHIQL</code>)."
        )
    return HTMLResponse(_template("home.html").substitute(graphql=graphql))


async def home(request: Request) -> HTMLResponse:
    return home_page(request.app.state.settings)


@cache
def _readme() -> str:
    """The README as the installed distribution's metadata holds it (a wheel's too): the body
    of METADATA, or its ``Description`` field in older metadata versions; "" when absent."""
    try:
        found = metadata.metadata("mypd-graph")
    except metadata.PackageNotFoundError:
        return ""
    text = found.get_payload() or found.get("Description") or ""  # type: ignore[attr-defined]
    return text if isinstance(text, str) else ""


async def readme(_: Request) -> PlainTextResponse:
    """The quick start, the tour and the settings, readable where the repository is out of reach."""
    text = _readme()
    if not text.strip():
        return PlainTextResponse("this installation carries no README", status_code=404)
    return PlainTextResponse(text)  # Markdown, shown as text: browsers download text/markdown


def static_files() -> Mount:
    """``/static``: the package's files, compressed for clients that accept gzip (GraphiQL's
    script is about 1 MB, a quarter of that gzipped)."""
    return Mount("/static", app=GZipMiddleware(StaticFiles(directory=STATIC)), name="static")
