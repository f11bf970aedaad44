"""Each services package says in its docstring which sibling packages it may import ("May import
... :mod:`..x`"), and the code keeps to it; the figures PD impact shares with needs are public.

tests/test_layout.py fails on import cycles; this test holds the stated layering to the code, so
a new import of a sibling package is a decision written where readers look for it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parent.parent / "mypd_graph" / "services"
# The packages whose stated imports are held to the code here (others state theirs loosely yet).
CHECKED = ("personalization", "insights")


def _stated(package: str) -> set[str]:
    doc = ast.get_docstring(ast.parse((SERVICES / package / "__init__.py").read_text())) or ""
    return set(re.findall(r":mod:`\.\.(\w+)`", doc))


def _imported(package: str) -> dict[str, set[str]]:
    """``{sibling package: modules of ``package`` importing it}``."""
    found: dict[str, set[str]] = {}
    siblings = {p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()}
    for path in sorted((SERVICES / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                parts = name.split(".")
                if (
                    parts[:2] == ["mypd_graph", "services"]
                    and len(parts) > 2
                    and parts[2] in siblings
                    and parts[2] != package
                ):
                    found.setdefault(parts[2], set()).add(path.name)
    return found


@pytest.mark.parametrize("package", CHECKED)
def test_a_services_package_imports_only_the_siblings_it_states(package: str) -> None:
    unstated = {
        sibling: sorted(modules)
        for sibling, modules in _imported(package).items()
        if sibling not in _stated(package)
    }
    assert not unstated, f"services.{package} imports packages its docstring does not name"


def test_feedback_never_imports_personalization() -> None:
    assert "feedback" in _imported("personalization")  # signals and growth read calibration
    assert "personalization" not in _imported("feedback")


def test_the_teacher_figures_pd_impact_reads_are_public_and_documented() -> None:
    from mypd_graph.services.personalization import pd_impact
    from mypd_graph.services.students import figures

    assert pd_impact.teacher_status is figures.per_teacher
    assert figures.per_teacher.__doc__ and "PD impact" in figures.per_teacher.__doc__
