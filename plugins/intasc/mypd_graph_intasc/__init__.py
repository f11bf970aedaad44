"""mypd_graph plugin: the InTASC Model Core Teaching Standards (CCSSO, 2013), as a CASE package.

Shipped the way a standards vendor ships a framework: a 1EdTech CASE CFPackage (JSON) that the
plugin hands to mypd_graph, which imports it through its CASE importer at start-up, with a
crosswalk to the California Standards for the Teaching Profession that a district reviews before
it relies on it. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import CasePackage

__all__ = [
    "CROSSWALK",
    "FRAMEWORK_KEY",
    "PACKAGE",
    "case_package",
    "mypd_graph_register_case_packages",
]

FRAMEWORK_KEY = "intasc-2013"
HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "intasc-2013.json"
CROSSWALK = HERE / "intasc-2013-to-cstp-2009.csv"

# Which standards' growth should show in students' results in a tested subject (needs reads a
# weak subject result as a signal on them). Kept narrow, as for CSTP: content knowledge (4),
# assessment (6), planning (7) and instructional strategies (8) for every subject; application
# of content (5: critical thinking, problem solving) for Math and Science; learning differences
# (2: language development, 2(e)) for ELA. Learner development (1), the environment (3) and
# professional responsibility (9, 10) matter for every subject, but only indirectly.
SUBJECT_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Math": ("4", "5", "6", "7", "8"),
    "ELA": ("2", "4", "6", "7", "8"),
    "Science": ("4", "5", "6", "7", "8"),
}


def case_package() -> CasePackage:
    """A fresh description of what this plugin ships."""
    return CasePackage(
        key=FRAMEWORK_KEY,
        path=PACKAGE,
        jurisdiction="United States (model standards)",
        subject_elements=dict(SUBJECT_ELEMENTS),
        crosswalks=(CROSSWALK,),
    )


@hookimpl
def mypd_graph_register_case_packages(register: Callable[[CasePackage], None]) -> None:
    """Offer InTASC (2013); the core imports the package through its CASE importer."""
    register(case_package())
