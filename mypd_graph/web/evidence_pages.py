"""The teacher's evidence at /app/evidence: what they added, with its files and who sees it, and
a form that adds a piece (addEvidence) and attaches a chosen file to it (attachEvidenceFile).
Files download through the service's signed, short-lived links, which check the audience again."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

import mypd_graph.web.session as session
from mypd_graph.services.access import Actor
from mypd_graph.web.core import not_found, render, run, signed_in
from mypd_graph.web.forms import Failed, add_user_errors, kept, saved
from mypd_graph.web.teacher_pages import AUDIENCE_NAMES

KINDS = (
    ("FILE", "A file"),
    ("ARTIFACT", "An artifact (a lesson plan, a handout)"),
    ("STUDENT_WORK", "Student work"),
    ("REFLECTION", "A reflection"),
    ("LINK", "A link"),
)


async def _page(request: Request, actor: Actor, status_code: int = 200, **values: Any) -> Response:
    data = await run(request, actor, "evidence", "EvidencePage")
    teacher = data["viewer"]["teacher"]
    if teacher is None:
        raise not_found()
    return render(
        request,
        "evidence.html",
        status_code=status_code,
        title="My evidence",
        viewer=data["viewer"],
        t=teacher,
        framework=data["district"]["activeFramework"],
        kinds=KINDS,
        audiences=[("", "My district’s default"), *AUDIENCE_NAMES.items()],
        audience_names=AUDIENCE_NAMES,
        **values,
    )


@signed_in
async def evidence(request: Request, actor: Actor) -> Response:
    """/app/evidence: the list; POST adds a piece, with its file when one is chosen."""
    if request.method == "GET":
        return await _page(request, actor, message=request.query_params.get("saved") == "1")
    form = await request.form()
    values = kept(form, lists=("elementCodes",))
    upload = form.get("file")
    values["file"] = ""
    failed = Failed("new-evidence", values=values)
    if not session.csrf_ok(request, form):
        failed.problems.append("The form had expired; please choose the file again.")
        return await _page(request, actor, status_code=403, failed=failed)
    has_file = isinstance(upload, UploadFile) and bool(upload.filename)
    kind = values.get("kind", "")
    if kind == "FILE" and not has_file:
        failed.add("file", "Choose the file to upload.")
    if not failed:
        variables = {
            "kind": kind if kind in dict(KINDS) else "FILE",
            "title": values.get("title", ""),
            "body": values.get("body", ""),
            "url": values.get("url", ""),
            "elementCodes": values.get("elementCodes", []),
            "audience": values.get("audience") or None,
        }
        data = await run(request, actor, "evidence", "AddEvidence", {"input": variables})
        add_user_errors(failed, data["addEvidence"]["userErrors"])
        if not failed and has_file:
            attach = {"evidenceId": data["addEvidence"]["evidence"]["id"], "file": upload}
            data = await run(request, actor, "evidence", "AttachEvidenceFile", {"input": attach})
            problems = data["attachEvidenceFile"]["userErrors"]
            for problem in problems:  # the evidence is saved; its file was refused
                failed.add("file", f"The evidence is saved, but not its file: {problem['message']}")
    if failed:
        return await _page(request, actor, status_code=400, failed=failed)
    return saved("/app/evidence", saved=1)
