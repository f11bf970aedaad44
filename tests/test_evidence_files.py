"""Evidence files: uploaded over HTTP (GraphQL multipart), stored on disk or in an S3-compatible
bucket (a real local server, moto's), downloaded only through the service under the evidence's
sharing, refused by size and by a type told from the content, and deleted with their evidence."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mypd_graph import models
from mypd_graph.app import create_app
from mypd_graph.auth import mint_token
from mypd_graph.models import AuditEvent, EvidenceFile
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import actor_for
from mypd_graph.services.feedback.attachments import FileLimits, attach_file, wait_for_removals
from mypd_graph.settings import Settings
from mypd_graph.storage import LocalStorage
from tests.conftest import SECRET, TestDatabase
from tests.factories import COACH, PRINCIPAL_NORTH, TEACHER_A, TEACHER_B, World
from tests.helpers import ROOT, free_port, served

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64)

ADD = """mutation($input: AddEvidenceInput!) {
  addEvidence(input: $input) { evidence { id } userErrors { code } } }"""
UPDATE = """mutation($input: UpdateEvidenceInput!) {
  updateEvidence(input: $input) { evidence { audience } userErrors { code } } }"""
ATTACH = """mutation($evidenceId: ID!, $file: Upload!) {
  attachEvidenceFile(input: {evidenceId: $evidenceId, file: $file}) {
    evidenceFile { id fileName contentType sizeBytes sha256 downloadUrl }
    userErrors { field code message } } }"""
FILES = """query($id: ID!) { node(id: $id) { ... on Evidence { files { id downloadUrl } } } }"""
FILE_NODE = """query($id: ID!) { node(id: $id) { ... on EvidenceFile { id fileName } } }"""
DELETE = """mutation($id: ID!) { deleteEvidence(input: {evidenceId: $id}) {
  removedId userErrors { code } } }"""


def multipart(query: str, variables: dict[str, Any], name: str, content: bytes) -> dict[str, Any]:
    """A GraphQL multipart request (the multipart request spec) binding one file to ``$file``."""
    boundary = f"mypd-{secrets.token_hex(12)}"
    operations = json.dumps({"query": query, "variables": {**variables, "file": None}})
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.file"]}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n",
    ]
    body = "".join(parts).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return {"content": body, "content_type": f"multipart/form-data; boundary={boundary}"}


class Api:
    """GraphQL over a client (a real server's or the ASGI app's), signed in by email."""

    def __init__(self, http: httpx.Client | httpx.AsyncClient, world: World) -> None:
        self.http, self.world = http, world

    def headers(self, email: str, content_type: str | None = None) -> dict[str, str]:
        token = mint_token(SECRET, self.world.id(email), email)
        headers = {"Authorization": f"Bearer {token}"}
        return {**headers, "content-type": content_type} if content_type else headers

    def request(self, email: str, query: str, **variables: Any) -> httpx.Response | Any:
        return self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers(email)
        )

    def upload(self, email: str, evidence_id: str, name: str, content: bytes) -> Any:
        sent = multipart(ATTACH, {"evidenceId": evidence_id}, name, content)
        return self.http.post(
            "/graphql",
            content=sent["content"],
            headers=self.headers(email, sent["content_type"]),
        )


def data(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def wait_until(check: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# --- a real server, files on local disk -------------------------------------------------------


def evidence_app() -> Any:
    """The uvicorn factory for the real-server test: the service, configured from the environment."""
    return create_app(Settings.from_env())


@contextmanager
def evidence_server(database_url: str, files: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "tests.test_evidence_files:evidence_app"]
    env = {
        "MYPD_SECRET_KEY": SECRET,
        "MYPD_DATABASE_URL": database_url,
        "MYPD_EVIDENCE_DIR": str(files),
    }
    with served([*command, "--factory", "--port", str(port)], port, env) as base:
        yield base


async def test_a_file_uploaded_over_http_reaches_only_those_its_evidence_is_shared_with(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    files = tmp_path / "evidence-files"

    def exercise() -> dict[str, Any]:
        with evidence_server(db.url, files) as base, httpx.Client(base_url=base) as http:
            api = Api(http, world)
            added = data(
                api.request(
                    TEACHER_A,
                    ADD,
                    input={"kind": "FILE", "title": "Lesson plan", "audience": "COACH"},
                )
            )
            evidence_id = added["addEvidence"]["evidence"]["id"]
            attached = data(api.upload(TEACHER_A, evidence_id, "lesson plan.pdf", PDF))
            payload = attached["attachEvidenceFile"]
            assert payload["userErrors"] == []
            file = payload["evidenceFile"]
            assert (file["fileName"], file["contentType"], file["sizeBytes"]) == (
                "lesson plan.pdf",
                "application/pdf",
                len(PDF),
            )
            assert [path.read_bytes() for path in stored_files(files)] == [PDF]
            # The teacher downloads it through the service, never from the storage.
            assert file["downloadUrl"].startswith("/files/")
            own = http.get(file["downloadUrl"])
            assert own.status_code == 200 and own.content == PDF
            assert own.headers["content-type"] == "application/pdf"
            assert own.headers["content-disposition"].startswith("attachment;")
            # Shared with the coach: the coach sees it and downloads it with their own link.
            coach_files = data(api.request(COACH, FILES, id=evidence_id))["node"]["files"]
            assert [f["id"] for f in coach_files] == [file["id"]]
            coach_link = coach_files[0]["downloadUrl"]
            assert http.get(coach_link).content == PDF
            # Not shared with supervisors: the principal gets nothing.
            assert data(api.request(PRINCIPAL_NORTH, FILES, id=evidence_id))["node"] is None
            assert data(api.request(PRINCIPAL_NORTH, FILE_NODE, id=file["id"]))["node"] is None
            # PRIVATE now: the coach's link (made while it was shared) and node(id) stop working.
            update = {"evidenceId": evidence_id, "audience": "PRIVATE"}
            assert data(api.request(TEACHER_A, UPDATE, input=update))["updateEvidence"][
                "evidence"
            ] == {"audience": "PRIVATE"}
            refused = http.get(coach_link)
            assert refused.status_code == 404 and refused.content != PDF
            assert data(api.request(COACH, FILE_NODE, id=file["id"]))["node"] is None
            assert http.get(file["downloadUrl"]).content == PDF  # the teacher still may
            assert http.get("/files/not-a-signed-link").status_code == 404
            # Deleting the evidence deletes its file.
            deleted = data(api.request(TEACHER_A, DELETE, id=evidence_id))["deleteEvidence"]
            assert deleted["removedId"] == evidence_id
            wait_until(lambda: stored_files(files) == [])
            assert http.get(file["downloadUrl"]).status_code == 404
            return file

    await asyncio.to_thread(exercise)
    async with db.sessionmaker() as session:
        events = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == "evidence_file")
                .options(selectinload(AuditEvent.subjects))
            )
        )
        assert await session.scalar(select(EvidenceFile.id)) is None
    # The coach's download is in the trail, naming the teacher; the teacher's own are not.
    assert [(event.action, event.user_id) for event in events] == [("read", world.id(COACH))]
    assert [(s.kind, s.subject_id) for s in events[0].subjects] == [
        ("teacher", world.id(TEACHER_A))
    ]


# --- limits, in the app --------------------------------------------------------------------------


@asynccontextmanager
async def app_client(
    db: TestDatabase, plugins: PluginSet, world: World, **settings: Any
) -> AsyncIterator[Api]:
    app = create_app(
        Settings(database_url=db.url, secret_key=SECRET, **settings),
        plugins=plugins,
        engine=db.engine,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(http, world)


async def test_files_are_refused_by_size_and_by_the_type_their_content_shows(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    async with app_client(
        db, plugins, world, evidence_dir=str(files), evidence_max_file_bytes=1000
    ) as api:
        added = data(await api.request(TEACHER_A, ADD, input={"kind": "FILE", "title": "Work"}))
        evidence_id = added["addEvidence"]["evidence"]["id"]

        async def codes(email: str, name: str, content: bytes) -> list[str]:
            payload = data(await api.upload(email, evidence_id, name, content))
            return [error["code"] for error in payload["attachEvidenceFile"]["userErrors"]]

        assert await codes(TEACHER_A, "big.pdf", PDF + bytes(2000)) == ["FILE_TOO_LARGE"]
        assert await codes(TEACHER_A, "setup.pdf", EXE) == ["FILE_TYPE_NOT_ALLOWED"]
        assert await codes(TEACHER_A, "setup.txt", EXE) == ["FILE_TYPE_NOT_ALLOWED"]
        assert await codes(TEACHER_A, "photo.pdf", PNG) == ["FILE_TYPE_MISMATCH"]
        assert await codes(TEACHER_A, "empty.txt", b"") == ["EMPTY_FILE"]
        assert await codes(TEACHER_B, "mine.pdf", PDF) == ["FORBIDDEN"]  # not their evidence
        assert await codes(COACH, "mine.pdf", PDF) == ["FORBIDDEN"]
        assert stored_files(files) == []
        assert await codes(TEACHER_A, "photo.png", PNG) == []
        assert await codes(TEACHER_A, "notes.txt", "Exit tickets: 18/24 ✓".encode()) == []
        assert sorted(path.read_bytes() for path in stored_files(files)) == sorted(
            [PNG, "Exit tickets: 18/24 ✓".encode()]
        )
    async with app_client(
        db, plugins, world, evidence_dir=str(files), evidence_file_types=("pdf",)
    ) as api:
        payload = data(await api.upload(TEACHER_A, evidence_id, "photo.png", PNG))
        assert [e["code"] for e in payload["attachEvidenceFile"]["userErrors"]] == [
            "FILE_TYPE_NOT_ALLOWED"
        ]


# --- an S3-compatible bucket (moto's server, on this machine) -------------------------------------


@contextmanager
def s3_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "no S3 server"
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_files_in_an_s3_compatible_bucket_are_served_by_the_app_and_deleted_with_evidence(
    db: TestDatabase, world: World, plugins: PluginSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"evidence-{db.backend}"
    with s3_server() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket=bucket)

        def objects() -> list[str]:
            listed = s3.list_objects_v2(Bucket=bucket)
            return [item["Key"] for item in listed.get("Contents", [])]

        async with app_client(
            db,
            plugins,
            world,
            evidence_storage="s3",
            evidence_s3_bucket=bucket,
            evidence_s3_endpoint=endpoint,
            evidence_s3_region="us-east-1",
            evidence_s3_prefix="district-1",
        ) as api:
            added = data(
                await api.request(TEACHER_A, ADD, input={"kind": "FILE", "title": "Slides"})
            )
            evidence_id = added["addEvidence"]["evidence"]["id"]
            payload = data(await api.upload(TEACHER_A, evidence_id, "slides.png", PNG))
            file = payload["attachEvidenceFile"]["evidenceFile"]
            keys = objects()
            assert len(keys) == 1 and keys[0].startswith("district-1/")
            assert s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read() == PNG
            assert file["downloadUrl"].startswith("/files/")  # the app's door, not the bucket's
            download = await api.http.get(file["downloadUrl"])
            assert download.status_code == 200 and download.content == PNG
            assert download.headers["content-type"] == "image/png"
            deleted = data(await api.request(TEACHER_A, DELETE, id=evidence_id))
            assert deleted["deleteEvidence"]["userErrors"] == []
            await wait_for_removals()
            assert objects() == []
            assert (await api.http.get(file["downloadUrl"])).status_code == 404


async def test_a_teacher_removes_one_file_and_its_bytes_go(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    async with app_client(db, plugins, world, evidence_dir=str(files)) as api:
        added = data(await api.request(TEACHER_A, ADD, input={"kind": "FILE", "title": "Work"}))
        evidence_id = added["addEvidence"]["evidence"]["id"]
        payload = data(await api.upload(TEACHER_A, evidence_id, "a.pdf", PDF))
        file_id = payload["attachEvidenceFile"]["evidenceFile"]["id"]
        removed = data(
            await api.request(
                TEACHER_A,
                """mutation($id: ID!) { deleteEvidenceFile(input: {evidenceFileId: $id}) {
                  deletedId userErrors { code } } }""",
                id=file_id,
            )
        )["deleteEvidenceFile"]
        assert removed == {"deletedId": file_id, "userErrors": []}
        await wait_for_removals()
        assert stored_files(files) == []


async def test_bytes_stored_by_a_transaction_that_rolls_back_are_removed(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    """The bytes go to storage before the row commits; a failure after that leaves none behind
    (a savepoint rolled back inside the transaction does not count)."""
    storage = LocalStorage(tmp_path / "files")
    limits = FileLimits(1_000_000, ("pdf",))
    async with db.sessionmaker() as session:
        teacher = actor_for(await session.get_one(models.User, world.id(TEACHER_A)))
    async with db.sessionmaker.begin() as session:
        evidence = models.Evidence(teacher_id=teacher.user_id, kind="file", title="Plan")
        session.add(evidence)
    with pytest.raises(RuntimeError):
        async with db.sessionmaker.begin() as session:
            await attach_file(
                session, teacher, storage, limits, evidence.id, io.BytesIO(PDF), "plan.pdf"
            )
            async with session.begin_nested() as savepoint:
                await savepoint.rollback()
            assert [path.read_bytes() for path in stored_files(storage.root)] == [PDF]
            raise RuntimeError("the request failed after the file was stored")
    await wait_for_removals()
    assert stored_files(storage.root) == []


async def test_uploads_have_their_own_body_limit(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    """A file larger than the JSON body limit goes through (the door's upload limit applies to
    multipart bodies); a body over the upload limit is refused at the door (413)."""
    files = tmp_path / "files"
    big = PDF + b"%" + bytes(1_500_000)  # over MYPD_MAX_BODY_BYTES (1 MB)
    async with app_client(db, plugins, world, evidence_dir=str(files)) as api:
        added = data(await api.request(TEACHER_A, ADD, input={"kind": "FILE", "title": "Video"}))
        evidence_id = added["addEvidence"]["evidence"]["id"]
        payload = data(await api.upload(TEACHER_A, evidence_id, "notes.pdf", big))
        assert payload["attachEvidenceFile"]["evidenceFile"]["sizeBytes"] == len(big)
    async with app_client(
        db, plugins, world, evidence_dir=str(files), max_upload_bytes=100_000
    ) as api:
        refused = await api.upload(TEACHER_A, evidence_id, "notes.pdf", big)
        assert refused.status_code == 413
        assert refused.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"
    assert [path.stat().st_size for path in stored_files(files)] == [len(big)]
