"""The web app's pages read only through named operations kept in files: every file parses,
every operation in it is named and valid against the schema, and every operation a page runs
exists. A schema change that would break a page fails here, before any page is opened."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, validate

from mypd_graph.schema import create_schema
from mypd_graph.web.core import OPERATIONS

WEB = Path(__file__).resolve().parents[1] / "mypd_graph" / "web"
FILES = sorted(OPERATIONS.glob("*.graphql"))


def operation_names(path: Path) -> set[str]:
    document = parse(path.read_text(encoding="utf-8"))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert all(op.name for op in operations), f"{path.name}: every operation needs a name"
    return {op.name.value for op in operations if op.name}


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_each_operation_file_is_valid_against_the_schema(path: Path) -> None:
    schema = create_schema()._schema
    document = parse(path.read_text(encoding="utf-8"))
    assert validate(schema, document) == []
    assert operation_names(path)


def test_every_operation_a_page_runs_is_in_its_file() -> None:
    """``run(request, actor, "<file>", "<Operation>", ...)`` calls, read from the source."""
    runs = []
    for module in WEB.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run":
                file, operation = node.args[2:4]
                if isinstance(operation, ast.Constant):
                    runs.append((file.value, operation.value))  # type: ignore[attr-defined]
    assert len(runs) >= 5
    for file, operation in runs:
        assert operation in operation_names(OPERATIONS / f"{file}.graphql"), (file, operation)


def test_every_form_action_runs_an_operation_of_its_file() -> None:
    """The pages that pick the mutation by the posted form's action (a table of builders)."""
    from mypd_graph.web import plan_pages
    from mypd_graph.web.forms import Failed

    for action, build in plan_pages.ACTIONS.items():
        operation, field, _ = build(Failed("form"))
        assert operation in operation_names(OPERATIONS / "plan.graphql"), action
        assert field in (OPERATIONS / "plan.graphql").read_text(encoding="utf-8"), action


def test_every_review_action_runs_an_operation_of_its_file() -> None:
    from mypd_graph.web import supervisor_pages
    from mypd_graph.web.forms import Failed

    text = (OPERATIONS / "teacher_home.graphql").read_text(encoding="utf-8")
    for action in ("approve", "return", "comment"):
        operation, field, _ = supervisor_pages._teacher_action(
            Failed("form", values={"action": action})
        )
        assert operation in operation_names(OPERATIONS / "teacher_home.graphql"), action
        assert field in text, action
