"""The teacher's evidence page over HTTP on the demo: Elena adds a private piece of evidence with
a file through the page's multipart form (addEvidence, then attachEvidenceFile); the page lists it
with its download link, which returns the bytes to her; her coach and principal see neither the
piece nor its file; a file-kind piece without a file is refused beside the field."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mypd_graph.ids import to_global_id
from tests.test_web_teacher_pages import api
from tests.web_helpers import (
    DAVID,
    ELENA,
    ROBERT,
    csrf_of,
    dev_sign_in,
    load_demo_district,
    text_of,
    web_client,
)

EVIDENCE = (
    "{ viewer { teacher { evidence { title audience elements { code } files { fileName } } } } }"
)
NOTES = b"Lesson notes: wait time, think-pair-share, exit tickets.\n"


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


async def test_elena_adds_private_evidence_with_a_file(
    db, demo, settings, plugins, tmp_path
) -> None:
    settings = dataclasses.replace(settings, evidence_dir=str(tmp_path / "files"))
    elena = f"/app/teachers/{to_global_id('Teacher', demo[ELENA])}"
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ELENA)
        page = await http.get("/app/evidence")
        assert page.status_code == 200
        token = csrf_of(page.text)
        no_file = await http.post(
            "/app/evidence",
            data={"csrf_token": token, "kind": "FILE", "title": "Forgot the file"},
        )
        assert no_file.status_code == 400 and 'id="new-evidence-file-error"' in no_file.text
        assert 'value="Forgot the file"' in no_file.text
        saved = await http.post(
            "/app/evidence",
            data={
                "csrf_token": token,
                "kind": "FILE",
                "title": "Questioning notes",
                "elementCodes": ["1.1"],
                "audience": "PRIVATE",
            },
            files={"file": ("notes.txt", NOTES, "text/plain")},
        )
        assert saved.status_code == 303, text_of(saved.text)
        shown = await http.get(saved.headers["location"])
        assert "Your evidence is saved." in shown.text
        link = re.search(r'<a href="([^"]+)">notes.txt</a>', shown.text)[1].replace("&amp;", "&")
        assert link.startswith("/files/") or link.startswith("http://test/files/")
        download = await http.get(link)
        assert download.status_code == 200 and download.content == NOTES
        stored = (await api(http, demo, ELENA, EVIDENCE))["viewer"]["teacher"]["evidence"]
    [piece] = [e for e in stored if e["title"] == "Questioning notes"]
    assert piece["audience"] == "PRIVATE" and [e["code"] for e in piece["elements"]] == ["1.1"]
    assert [f["fileName"] for f in piece["files"]] == ["notes.txt"]
    assert not [e for e in stored if e["title"] == "Forgot the file"]
    for email in (DAVID, ROBERT):
        async with web_client(db, settings, plugins) as other:
            await dev_sign_in(other, email)
            seen = text_of((await other.get(elena)).text)
            assert "Elena Ramirez" in seen and "Questioning notes" not in seen
            assert "notes.txt" not in seen
            assert (await other.get("/app/evidence")).status_code == 404


async def test_an_upload_over_the_limit_is_refused_before_it_is_read(db, settings, plugins) -> None:
    """/app's forms are held to MYPD_MAX_UPLOAD_BYTES like /graphql: a declared length over it is
    refused at once, and a body without one as soon as it passes it."""
    await load_demo_district(db)
    small = dataclasses.replace(settings, max_upload_bytes=1_000)
    async with web_client(db, small, plugins) as http:
        await dev_sign_in(http, ELENA)  # signed in, the page reads the form
        declared = await http.post(
            "/app/evidence", content=b"x" * 2_000, headers={"content-type": "multipart/form-data"}
        )

        async def chunks():  # no Content-Length: the body streams in pieces
            for _ in range(5):
                yield b"y" * 500

        streamed = await http.post(
            "/app/evidence",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        fine = await http.get("/app/")
    assert declared.status_code == 413 and "larger than this service takes" in declared.text
    assert streamed.status_code == 413
    assert fine.status_code == 200
