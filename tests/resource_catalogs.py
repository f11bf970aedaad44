"""A real remote PD catalog for the resource tests: a small HTTP server, and the provider plugin a
vendor would write for it (httpx, live search and listing).

:class:`CatalogServer` serves ``GET /catalog`` (every item) and ``GET /search`` (items whose title
or description contains ``q``, at most ``limit``; it ignores every other filter on purpose, so the
tests prove that the core applies them). A test can make it slow (``delay``) or broken
(``status``), change its items between syncs, and read which requests it has answered.

:class:`RemoteCatalog` is the provider: ``resources()`` with a blocking client, ``search()`` with
an async one, as a vendor might. ``remote_catalogs_from_env`` is the same plugin as an installed
distribution would offer it (entry point ``remote_catalog``): it reads the catalogs to offer from
``MYPD_TEST_REMOTE_CATALOGS`` (``name=url,name=url``), so the command line can be run against it
in a subprocess (:func:`entry_point_site`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import ResourceQuery, ResourceRecord

CSTP = "cstp-2009"


def item(external_id: str, title: str, codes: tuple[str, ...], **fields: Any) -> dict[str, Any]:
    """One catalog item as the server's JSON carries it."""
    return {
        "external_id": external_id,
        "title": title,
        "framework_key": CSTP,
        "element_codes": list(codes),
        "url": fields.pop("url", f"https://pd.example/{external_id}"),
        "format": fields.pop("format", "course"),
        "description": fields.pop("description", ""),
        "subjects": list(fields.pop("subjects", ())),
        "grade_band": fields.pop("grade_band", ""),
        "duration_minutes": fields.pop("duration_minutes", None),
        "identifier": fields.pop("identifier", ""),
        **fields,
    }


@dataclass
class CatalogServer:
    """A PD catalog served over HTTP on 127.0.0.1, in a thread of the test process."""

    items: list[dict[str, Any]] = field(default_factory=list)
    search_only: list[dict[str, Any]] = field(default_factory=list)  # found, but not listed
    delay: float = 0.0  # seconds before every answer
    status: int = 200  # anything else: an error page instead of the catalog
    answered: list[str] = field(default_factory=list)  # paths of requests fully answered
    received: list[str] = field(default_factory=list)  # paths of requests received
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def start(self) -> CatalogServer:
        catalog = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                catalog.received.append(self.path)
                time.sleep(catalog.delay)
                parts = urlsplit(self.path)
                if catalog.status != 200:
                    self._send(catalog.status, {"error": "catalog service unavailable"})
                elif parts.path == "/catalog":
                    self._send(200, {"resources": catalog.items})
                elif parts.path == "/search":
                    self._send(200, {"results": catalog.search(parse_qs(parts.query))})
                else:
                    self._send(404, {"error": "no such page"})
                catalog.answered.append(self.path)

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (a cut-off provider)
                    self.wfile.write(data)

            def log_message(self, *_: Any) -> None:  # quiet
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def search(self, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        text = (params.get("q") or [""])[0].lower()
        limit = int((params.get("limit") or ["25"])[0])
        found = [
            entry
            for entry in self.items + self.search_only
            if text in entry["title"].lower() or text in entry["description"].lower()
        ]
        return found[:limit]


@contextmanager
def catalog_servers(*servers: CatalogServer) -> Iterator[tuple[CatalogServer, ...]]:
    for server in servers:
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def _record(entry: dict[str, Any]) -> ResourceRecord:
    return ResourceRecord(
        external_id=entry["external_id"],
        title=entry["title"],
        framework_key=entry["framework_key"],
        element_codes=tuple(entry["element_codes"]),
        url=entry.get("url") or "",
        format=entry.get("format") or "course",
        description=entry.get("description") or "",
        subjects=tuple(entry.get("subjects") or ()),
        grade_band=entry.get("grade_band") or "",
        duration_minutes=entry.get("duration_minutes"),
        identifier=entry.get("identifier") or "",
    )


class RemoteCatalog:
    """A vendor's provider: its catalog lives behind an HTTP API."""

    def __init__(self, name: str, base_url: str, title: str = "") -> None:
        self.name = name
        self.title = title or f"Remote catalog {name}"
        self.base_url = base_url
        self.notice = "A remote catalog for the tests."

    def resources(self) -> Iterator[ResourceRecord]:
        response = httpx.get(f"{self.base_url}/catalog", timeout=30)
        response.raise_for_status()
        for entry in response.json()["resources"]:
            yield _record(entry)

    async def search(self, query: ResourceQuery) -> list[ResourceRecord]:
        params = {"q": query.text, "limit": str(query.limit)}
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            response = await client.get("/search", params=params)
            response.raise_for_status()
        return [_record(entry) for entry in response.json()["results"]]


class RemoteCatalogPlugin:
    """The plugin object registering some remote catalogs (in-process, for one test)."""

    def __init__(self, *catalogs: RemoteCatalog) -> None:
        self.catalogs = catalogs

    @hookimpl
    def mypd_graph_register_resource_providers(self, register: Any) -> None:
        for catalog in self.catalogs:
            register(catalog)


class _FromEnvironment:
    """The entry point's plugin: the catalogs named in ``MYPD_TEST_REMOTE_CATALOGS``."""

    @hookimpl
    def mypd_graph_register_resource_providers(self, register: Any) -> None:
        for pair in filter(None, os.environ.get("MYPD_TEST_REMOTE_CATALOGS", "").split(",")):
            name, _, url = pair.partition("=")
            register(RemoteCatalog(name.strip(), url.strip()))


remote_catalogs_from_env = _FromEnvironment()


def entry_point_site(directory: Path) -> Path:
    """A directory that, on ``PYTHONPATH``, makes this plugin an installed distribution with the
    entry point ``remote_catalog`` of group ``mypd_graph`` (what ``pip install`` would write)."""
    info = directory / "mypd_test_remote_catalog-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mypd-test-remote-catalog\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[mypd_graph]\nremote_catalog = tests.resource_catalogs:remote_catalogs_from_env\n",
        encoding="utf-8",
    )
    return directory


def catalog_file(path: Path, items: list[dict[str, Any]], name: str = "district-file") -> Path:
    """A district's catalog file for the built-in ``catalog`` provider (``MYPD_CATALOG_FILE``)."""
    path.write_text(json.dumps({"name": name, "resources": items}), encoding="utf-8")
    return path


@asynccontextmanager
async def app_client(db: Any, world: Any, plugins: Any, **settings: Any) -> Any:
    """The real app over HTTP semantics with these plugins (a GraphQLClient, as conftest's)."""
    from mypd_graph.app import create_app
    from mypd_graph.settings import Settings
    from tests.conftest import SECRET, GraphQLClient

    app = create_app(
        Settings(database_url=db.url, secret_key=SECRET, **settings),
        plugins=plugins,
        engine=db.engine,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, world)
