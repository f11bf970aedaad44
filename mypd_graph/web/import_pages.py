"""Imports for district admins: the history of runs (/app/imports), an upload form that sends
the file through importFile, and a run's page (/app/imports/{id}) with its figures, its progress
while it runs (the page refreshes its figures every two seconds with a little JavaScript, or by
its Refresh link) and its row errors."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

import mypd_graph.web.session as session
from mypd_graph.services.access import Actor
from mypd_graph.web.core import not_found, render, run, signed_in
from mypd_graph.web.forms import Failed, add_user_errors, kept, saved

IMPORTERS = (
    ("csv-scores", "Student assessment results (CSV, TSV or a zip of them)"),
    ("oneroster", "A OneRoster 1.1 roster (a zip of its CSV files)"),
    ("training_csv", "Training records, past PD (CSV)"),
)
STATUSES = ("QUEUED", "RUNNING", "COMPLETED", "REJECTED", "FAILED")
STATUS_NAMES = {
    "QUEUED": "Waiting for a worker",
    "RUNNING": "Running",
    "COMPLETED": "Completed",
    "REJECTED": "Rejected: nothing imported",
    "FAILED": "Failed: nothing imported",
}


def _admin(actor: Actor) -> None:
    if actor.role.value != "district_admin":
        raise not_found()


async def _history(
    request: Request, actor: Actor, status_code: int = 200, **values: Any
) -> Response:
    status = request.query_params.get("status", "")
    variables = {
        "after": request.query_params.get("after") or None,
        "status": status if status in STATUSES else None,
    }
    data = await run(request, actor, "imports", "ImportHistory", variables)
    return render(
        request,
        "imports.html",
        status_code=status_code,
        title="Imports",
        viewer=data["viewer"],
        runs=data["imports"],
        importers=IMPORTERS,
        status_names=STATUS_NAMES,
        status=variables["status"] or "",
        **values,
    )


@signed_in
async def imports(request: Request, actor: Actor) -> Response:
    """/app/imports: the history; POST uploads a file (multipart) through importFile."""
    _admin(actor)
    if request.method == "GET":
        return await _history(request, actor)
    form = await request.form()
    values = kept(form)
    upload = form.get("file")
    values.pop("file", None)
    failed = Failed("upload", values=values | {"file": ""})
    if not session.csrf_ok(request, form):
        failed.problems.append("The form had expired; please choose the file again.")
        return await _history(request, actor, status_code=403, failed=failed)
    if values.get("importer") not in dict(IMPORTERS):
        failed.add("importer", "Choose what the file holds.")
    if not isinstance(upload, UploadFile) or not upload.filename:
        failed.add("file", "Choose a file to upload.")
    if not failed:
        variables = {
            "input": {
                "importer": values["importer"],
                "file": upload,
                "format": values.get("format") or None,
            }
        }
        data = await run(request, actor, "imports", "ImportFile", variables)
        payload = data["importFile"]
        add_user_errors(failed, payload["userErrors"])
        if not failed and payload["importRun"]:
            return saved(f"/app/imports/{payload['importRun']['id']}")
    return await _history(request, actor, status_code=400, failed=failed)


@signed_in
async def import_run(request: Request, actor: Actor) -> Response:
    """/app/imports/{id}: one run, its progress and its row errors (50 a page)."""
    _admin(actor)
    variables = {
        "id": request.path_params["id"],
        "after": request.query_params.get("after") or None,
    }
    data = await run(request, actor, "imports", "ImportRunPage", variables)
    found = data["node"]
    if not found or "status" not in found:
        raise not_found()
    return render(
        request,
        "import_run.html",
        title=f"Import of {found['fileName']}",
        viewer=data["viewer"],
        r=found,
        status_names=STATUS_NAMES,
        running=found["status"] in ("QUEUED", "RUNNING"),
    )
