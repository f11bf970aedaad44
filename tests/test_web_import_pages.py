"""Imports in the web app over HTTP on the demo: the admin uploads a training file through the
page's form (multipart, with its CSRF token), lands on the run's page, which shows the figures
and the rejected row as the API reports them; the history lists the run; a refused upload says
why beside its field; nobody but a district admin reaches the pages."""

from __future__ import annotations

import re

import pytest

from tests.test_web_teacher_pages import api
from tests.web_helpers import (
    ADMIN,
    ELENA,
    ROBERT,
    csrf_of,
    dev_sign_in,
    load_demo_district,
    map_scores_file,
    text_of,
    web_client,
)

# Ten good rows and one a district would not recognise (under the 10% the importer tolerates).
TRAINING = (
    "teacher_email,title,provider,completed_on,hours,elements\n"
    + "".join(
        f"{ELENA},Questioning Strategies Session {n},County Office,2026-08-{n + 10},2,1.1;5.2\n"
        for n in range(1, 11)
    )
    + "nobody@demo.mypd.test,Mystery Workshop,Nowhere,2026-01-01,2,\n"
)
RUN = """query($id: ID!) { node(id: $id) { ... on ImportRun { status message rowsRead rowsInserted rowsRejected
  errors(first: 50) { nodes { row reason } } } } }"""


@pytest.fixture
async def demo(db) -> dict[str, int]:
    return await load_demo_district(db)


async def test_admin_uploads_a_file_and_reads_its_run(db, demo, settings, plugins) -> None:
    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ADMIN)
        page = await http.get("/app/imports")
        assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
        token = csrf_of(page.text)
        uploaded = await http.post(
            "/app/imports",
            data={
                "csrf_token": token,
                "form": "upload",
                "action": "upload",
                "importer": "training_csv",
            },
            files={"file": ("pd.csv", TRAINING.encode(), "text/csv")},
        )
        assert uploaded.status_code == 303, text_of(uploaded.text)
        location = uploaded.headers["location"]
        run_id = location.rsplit("/", 1)[1]
        shown = await http.get(location)
        assert shown.status_code == 200
        expected = (await api(http, demo, ADMIN, RUN, id=run_id))["node"]
        words = text_of(shown.text)
        assert expected["status"] == "COMPLETED" and expected["rowsRejected"] == 1, expected
        assert "Status: Completed" in words
        assert f"Rows read {expected['rowsRead']}" in words
        assert f"Inserted {expected['rowsInserted']}" in words
        [error] = expected["errors"]["nodes"]
        assert f"{error['row']}" in words and error["reason"] in words
        assert "data-poll" not in shown.text  # finished: nothing to watch

        history = await http.get("/app/imports")
        assert f'<a href="/app/imports/{run_id}">pd.csv</a>' in history.text

        no_file = await http.post(
            "/app/imports",
            data={
                "csrf_token": token,
                "form": "upload",
                "action": "upload",
                "importer": "csv-scores",
            },
        )
        assert no_file.status_code == 400 and 'id="upload-file-error"' in no_file.text
        forged = await http.post(
            "/app/imports",
            data={"csrf_token": "x", "importer": "training_csv"},
            files={"file": ("pd.csv", TRAINING.encode(), "text/csv")},
        )
        assert forged.status_code == 403
        runs = await api(http, demo, ADMIN, "{ imports { totalCount } }")
        assert runs["imports"]["totalCount"] == 1  # the refused and forged posts ran nothing
        assert re.search(r"1 import\.", text_of(history.text))
    for email in (ELENA, ROBERT):
        async with web_client(db, settings, plugins) as other:
            await dev_sign_in(other, email)
            assert (await other.get("/app/imports")).status_code == 404
            assert (await other.get(f"/app/imports/{run_id}")).status_code == 404


STUDENTS = "{ viewer { teacher { students(first: 100) { nodes { localId firstName lastName gradeLevel } } } } }"


async def test_a_large_score_file_runs_in_the_background_and_its_page_follows(
    db, demo, settings, plugins
) -> None:
    from mypd_graph.services.imports.runs import INLINE_LIMIT_BYTES, wait_for_background_imports

    async with web_client(db, settings, plugins) as http:
        await dev_sign_in(http, ADMIN)
        students = (await api(http, demo, ELENA, STUDENTS))["viewer"]["teacher"]["students"]
        content = map_scores_file(students["nodes"], INLINE_LIMIT_BYTES + 1)
        page = await http.get("/app/imports")
        uploaded = await http.post(
            "/app/imports",
            data={
                "csrf_token": csrf_of(page.text),
                "form": "upload",
                "action": "upload",
                "importer": "csv-scores",
            },
            files={"file": ("map.csv", content, "text/csv")},
        )
        assert uploaded.status_code == 303, text_of(uploaded.text)
        running = await http.get(uploaded.headers["location"])
        words = text_of(running.text)
        assert 'data-poll="2000"' in running.text and "Refresh" in words
        assert "Status: Running" in words or "Status: Completed" in words
        await wait_for_background_imports()
        done = await http.get(uploaded.headers["location"])
        run_id = uploaded.headers["location"].rsplit("/", 1)[1]
        expected = (await api(http, demo, ADMIN, RUN, id=run_id))["node"]
    assert expected["status"] == "COMPLETED", (expected, content[:600])
    assert "data-poll" not in done.text and "Status: Completed" in text_of(done.text)
    assert f"Inserted {expected['rowsInserted']}" in text_of(done.text)
    assert expected["rowsRead"] == content.count(b"\n") - 1 and expected["rowsRejected"] == 0
    assert f"Rows read {expected['rowsRead']}" in text_of(done.text)
