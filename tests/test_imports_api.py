"""Imports through the surfaces: the importFile mutation (a GraphQL multipart request built by hand,
over the ASGI app and over a real uvicorn server), the imports query and node, and the CLI.

The app built here enables Strawberry's multipart uploads itself (:func:`enable_uploads`), so these
tests hold whether or not ``mypd_graph/app.py`` switches them on.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import secrets
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette

from mypd_graph.app import create_app
from mypd_graph.auth import mint_token
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.imports import runs as import_service
from mypd_graph.settings import Settings
from tests.conftest import SECRET
from tests.factories import ADMIN, IMPORTER, OUTSIDER, TEACHER_A, World
from tests.helpers import free_port, served

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
ROSTER = FIXTURES / "rosters" / "test_unified"
TRAINING_ERRORS = FIXTURES / "training" / "pd_transcripts_with_errors.csv"
SCORES = FIXTURES / "scores"

IMPORT_FILE = """
mutation ($file: Upload!, $importer: String!, $format: String, $options: JSON) {
  importFile(input: {importer: $importer, file: $file, format: $format, options: $options}) {
    importRun { id status fileName importer format checksum message
                rowsRead rowsInserted rowsUpdated rowsUnchanged rowsRejected durationSeconds
                user { email } }
    userErrors { field message code }
  }
}
"""

RUN = """
query ($id: ID!, $first: Int!, $after: String) {
  node(id: $id) {
    ... on ImportRun {
      status rowsRead rowsInserted
      errors(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { row column value reason }
      }
    }
  }
}
"""


def enable_uploads(app: Starlette) -> Starlette:
    """Switch on Strawberry's multipart uploads on the app's GraphQL view (see the module doc)."""
    for route in app.routes:
        if getattr(route, "path", None) == "/graphql":
            route.endpoint.app.multipart_uploads_enabled = True  # type: ignore[attr-defined]
    return app


def upload_app() -> Starlette:
    """The uvicorn factory for the real-server test: the service, configured from the environment."""
    return enable_uploads(create_app(Settings.from_env()))


def multipart(
    query: str, variables: dict[str, Any], name: str, content: bytes, content_type: str
) -> tuple[bytes, str]:
    """A GraphQL multipart request (jaydenseric/graphql-multipart-request-spec) for one file bound
    to ``$file``: the operations, the map, then the file part."""
    boundary = f"mypd-{secrets.token_hex(12)}"
    operations = json.dumps({"query": query, "variables": {**variables, "file": None}})
    file_map = json.dumps({"0": ["variables.file"]})
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{file_map}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n",
    ]
    body = "".join(parts).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def roster_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(ROSTER.iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


class UploadClient:
    def __init__(self, http: httpx.AsyncClient, world: World) -> None:
        self.http = http
        self.world = world

    def headers(self, email: str) -> dict[str, str]:
        token = mint_token(SECRET, self.world.id(email), email)
        return {"Authorization": f"Bearer {token}"}

    async def upload(
        self, email: str, importer: str, name: str, content: bytes, **variables: Any
    ) -> dict[str, Any]:
        body, content_type = multipart(
            IMPORT_FILE, {"importer": importer, **variables}, name, content, "text/csv"
        )
        response = await self.http.post(
            "/graphql", content=body, headers={**self.headers(email), "content-type": content_type}
        )
        data = response.json()
        assert response.status_code == 200 and "errors" not in data, data
        return data["data"]["importFile"]

    async def query(self, email: str, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers(email)
        )
        data = response.json()
        assert "errors" not in data, data
        return data["data"]


@pytest.fixture
async def uploads(
    db: TestDatabase, world: World, settings: Settings, plugins: PluginSet
) -> AsyncIterator[UploadClient]:
    app = enable_uploads(create_app(settings, plugins=plugins, engine=db.engine))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield UploadClient(http, world)


# -------------------------------------------------------------------------
# GraphQL over the ASGI app
# -------------------------------------------------------------------------


async def test_upload_a_roster_and_follow_the_run(uploads: UploadClient) -> None:
    payload = await uploads.upload(ADMIN, "oneroster", "oneroster.zip", roster_zip())
    assert payload["userErrors"] == []
    run = payload["importRun"]
    assert run["status"] == "COMPLETED", run["message"]
    assert (run["fileName"], run["importer"], run["format"]) == (
        "oneroster.zip",
        "oneroster",
        "oneroster-1.1",
    )
    # Pat North, the roster's administrator, is already the principal of school N: unchanged.
    assert (run["rowsRead"], run["rowsInserted"], run["rowsUpdated"], run["rowsUnchanged"]) == (
        25,
        13,
        4,
        8,
    )
    assert run["user"] == {"email": ADMIN} and run["durationSeconds"] >= 0

    again = await uploads.upload(IMPORTER, "oneroster", "oneroster.zip", roster_zip())
    assert again["importRun"]["rowsUnchanged"] == 25 and again["importRun"]["rowsInserted"] == 0
    assert again["importRun"]["checksum"] == run["checksum"]

    listed = await uploads.query(
        ADMIN,
        "{ imports(first: 10) { totalCount nodes { id fileName status user { email } } } }",
    )
    assert listed["imports"]["totalCount"] == 2
    assert [n["user"]["email"] for n in listed["imports"]["nodes"]] == [IMPORTER, ADMIN]
    filtered = await uploads.query(
        ADMIN,
        "query ($w: ImportFilterInput) { imports(where: $w) { totalCount } }",
        w={"status": "REJECTED", "importer": "oneroster"},
    )
    assert filtered["imports"]["totalCount"] == 0


async def test_row_errors_are_all_retrievable_page_by_page(uploads: UploadClient) -> None:
    payload = await uploads.upload(
        ADMIN,
        "training_csv",
        "pd.csv",
        TRAINING_ERRORS.read_bytes(),
        options={"max_error_share": 0.7},
    )
    run = payload["importRun"]
    assert (run["status"], run["rowsRejected"]) == ("COMPLETED", 6)
    seen, after = [], None
    while True:
        data = await uploads.query(ADMIN, RUN, id=run["id"], first=4, after=after)
        errors = data["node"]["errors"]
        assert errors["totalCount"] == 6
        seen += [error["row"] for error in errors["nodes"]]
        if not errors["pageInfo"]["hasNextPage"]:
            break
        after = errors["pageInfo"]["endCursor"]
    assert seen == [3, 4, 5, 6, 8, 9]


async def test_a_rejected_upload_reports_why(uploads: UploadClient) -> None:
    payload = await uploads.upload(ADMIN, "training_csv", "pd.csv", TRAINING_ERRORS.read_bytes())
    run = payload["importRun"]
    assert run["status"] == "REJECTED" and "more than the 10% allowed" in run["message"]
    assert run["rowsInserted"] == 0 and run["rowsRejected"] == 6


async def test_only_district_importers_upload_and_see_runs(uploads: UploadClient) -> None:
    refused = await uploads.upload(TEACHER_A, "oneroster", "r.zip", roster_zip())
    assert refused["importRun"] is None
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"

    run = (await uploads.upload(ADMIN, "oneroster", "r.zip", roster_zip()))["importRun"]
    for email in (TEACHER_A, OUTSIDER):
        assert (await uploads.query(email, "{ imports { totalCount } }"))["imports"][
            "totalCount"
        ] == 0
        assert (await uploads.query(email, RUN, id=run["id"], first=5))["node"] is None


async def test_unknown_importers_formats_and_options_are_user_errors(
    uploads: UploadClient,
) -> None:
    cases = [
        ({"importer": "nope"}, "UNKNOWN_IMPORTER", ["input", "importer"]),
        ({"importer": "oneroster", "format": "csv-v9"}, "UNKNOWN_FORMAT", ["input", "format"]),
        ({"importer": "oneroster", "options": [1, 2]}, "BAD_OPTIONS", ["input", "options"]),
        (
            {"importer": "oneroster", "options": {"max_error_share": 2}},
            "OUT_OF_RANGE",
            ["input", "options", "max_error_share"],
        ),
    ]
    for variables, code, field in cases:
        importer = variables.pop("importer")
        payload = await uploads.upload(ADMIN, importer, "r.zip", roster_zip(), **variables)
        assert payload["importRun"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert (await uploads.query(ADMIN, "{ imports { totalCount } }"))["imports"]["totalCount"] == 0


async def test_large_uploads_import_in_the_background(
    uploads: UploadClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_service, "INLINE_LIMIT_BYTES", 100)
    payload = await uploads.upload(ADMIN, "oneroster", "big.zip", roster_zip())
    run = payload["importRun"]
    assert run["status"] == "RUNNING" and run["durationSeconds"] is None
    await import_service.wait_for_background_imports()
    done = await uploads.query(ADMIN, RUN, id=run["id"], first=1)
    assert done["node"]["status"] == "COMPLETED" and done["node"]["rowsInserted"] == 13


# -------------------------------------------------------------------------
# A real server, and the command line
# -------------------------------------------------------------------------


@contextmanager
def upload_server(database_url: str) -> Iterator[str]:
    """A real uvicorn process serving the app (with uploads on), stopped afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "tests.test_imports_api:upload_app",
        "--factory",
        "--port",
        str(port),
    ]
    env = {"MYPD_SECRET_KEY": SECRET, "MYPD_DATABASE_URL": database_url}
    with served(command, port, env) as base:
        yield base


async def test_upload_end_to_end_over_http(db: TestDatabase, world: World) -> None:
    token = mint_token(SECRET, world.id(ADMIN), ADMIN)
    body, content_type = multipart(
        IMPORT_FILE, {"importer": "oneroster"}, "oneroster.zip", roster_zip(), "application/zip"
    )

    def exercise() -> None:
        with upload_server(db.url) as base:
            headers = {"Authorization": f"Bearer {token}"}
            response = httpx.post(
                f"{base}/graphql",
                content=body,
                headers={**headers, "content-type": content_type},
                timeout=30,
            )
            assert response.status_code == 200, response.text
            payload = response.json()["data"]["importFile"]
            assert payload["userErrors"] == []
            assert payload["importRun"]["status"] == "COMPLETED"
            assert payload["importRun"]["rowsInserted"] == 13
            run_id = payload["importRun"]["id"]
            follow = httpx.post(
                f"{base}/graphql",
                json={"query": RUN, "variables": {"id": run_id, "first": 5}},
                headers=headers,
            ).json()
            assert follow["data"]["node"]["errors"]["totalCount"] == 0
            unauthenticated = httpx.post(
                f"{base}/graphql", content=body, headers={"content-type": content_type}
            )
            assert unauthenticated.status_code == 401

    await asyncio.to_thread(exercise)


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypd_graph", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "MYPD_SECRET_KEY": SECRET, "MYPD_DATABASE_URL": database_url},
    )


async def test_cli_imports_with_a_summary_and_exit_status(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    def exercise() -> None:
        roster = cli(db.url, "import", "roster", str(ROSTER), "--as", ADMIN)
        assert roster.returncode == 0, roster.stderr
        assert "completed: test_unified (oneroster, oneroster-1.1)" in roster.stdout
        assert "read 25 rows: 13 inserted, 4 updated, 8 unchanged, 0 rejected" in roster.stdout

        cers = cli(
            db.url,
            "import",
            "scores",
            str(SCORES / "caaspp_cers_export.csv"),
            "--format",
            "caaspp-cers",
            "-o",
            "create_students=true",
            "--as",
            ADMIN,
        )
        assert cers.returncode == 0, cers.stdout + cers.stderr
        assert "0 rejected, 1 skipped" in cers.stdout and "ELPAC results" in cers.stdout

        # the one importer service user is the default
        rejected = cli(db.url, "import", "training", str(TRAINING_ERRORS))
        assert rejected.returncode == 3, rejected.stdout + rejected.stderr
        assert "rejected" in rejected.stdout and "more than the 10% allowed" in rejected.stdout
        assert "row 3, teacher_email 'nobody@test.mypd': unknown teacher" in rejected.stdout
        run_id = rejected.stdout.split()[1]
        errors = cli(db.url, "import", "errors", run_id)
        assert errors.returncode == 0 and len(errors.stdout.strip().splitlines()) == 7

        allowed = cli(
            db.url, "import", "training", str(TRAINING_ERRORS), "-o", "max_error_share=0.7"
        )
        assert allowed.returncode == 0 and "4 inserted" in allowed.stdout

        refused = cli(db.url, "import", "roster", str(ROSTER), "--as", TEACHER_A)
        assert refused.returncode == 1 and "only a district admin" in refused.stderr
        unknown = cli(db.url, "import", "scores", str(TRAINING_ERRORS), "--importer", "nope")
        assert unknown.returncode == 1 and "installed importers:" in unknown.stderr
        mapping = tmp_path / "mapping.json"
        mapping.write_text(json.dumps({"teacher_email": "who", "title": "what"}))
        odd = tmp_path / "odd.csv"
        odd.write_text(
            "who,what,completed_on,hours\nana.teacher@test.mypd,Odd Course,2025-01-02,2\n"
        )
        mapped = cli(
            db.url, "import", "training", str(odd), "--mapping", str(mapping), "--as", ADMIN
        )
        assert mapped.returncode == 0 and "1 inserted" in mapped.stdout, mapped.stdout

    await asyncio.to_thread(exercise)
