"""The mypd-graph-intasc plugin: a second real framework, shipped as a CASE package.

Plain synchronous tests with no database, like tests/test_cstp_plugin.py: the plugin is found
through its installed distribution's entry point, hands the core a CASE package that the core's
own parser reads into the right tree (ten standards in four groups, official wording, order,
the learning progressions' levels), and its crosswalk to CSTP names only codes both frameworks
rate. The import at start-up is tested on both databases in test_plugin_case_packages.py.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from pathlib import Path
from types import ModuleType

import mypd_graph_cstp
import pytest

from mypd_graph.case.parse import Package, parse_package
from mypd_graph.case.tree import assign_codes, choose_rated
from mypd_graph.plugins.manager import load_plugins
from mypd_graph.plugins.types import CasePackage
from mypd_graph.services.frameworks.crosswalks import parse_csv, relation_name

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "plugins" / "intasc"
GROUPS = [
    ("LL", "The Learner and Learning", ["1", "2", "3"]),
    ("CK", "Content Knowledge", ["4", "5"]),
    ("IP", "Instructional Practice", ["6", "7", "8"]),
    ("PR", "Professional Responsibility", ["9", "10"]),
]
PERFORMANCES = {"1": 3, "2": 6, "3": 8, "4": 9, "5": 8, "6": 9, "7": 6, "8": 9, "9": 6, "10": 11}


@pytest.fixture(scope="module")
def plugin() -> ModuleType:
    return importlib.import_module("mypd_graph_intasc")


@pytest.fixture(scope="module")
def registered(plugin: ModuleType) -> list[CasePackage]:
    collected: list[CasePackage] = []
    plugin.mypd_graph_register_case_packages(register=collected.append)
    return collected


@pytest.fixture(scope="module")
def shipped(registered: list[CasePackage]) -> CasePackage:
    assert len(registered) == 1
    return registered[0]


@pytest.fixture(scope="module")
def package(shipped: CasePackage) -> Package:
    parsed = parse_package(shipped.path.read_bytes())
    assign_codes(parsed)
    return parsed


def test_discoverable_through_its_installed_distribution() -> None:
    try:
        installed = distribution("mypd-graph-intasc")
    except PackageNotFoundError:
        pytest.fail(
            "mypd-graph-intasc is not installed: make install (pip install -e plugins/intasc)"
        )
    matches = [ep for ep in entry_points(group="mypd_graph") if ep.name == "intasc"]
    assert len(matches) == 1, "the distribution does not declare its entry point"
    (entry_point,) = matches
    assert entry_point.value == "mypd_graph_intasc"
    assert entry_point.dist is not None and entry_point.dist.name == installed.metadata["Name"]
    assert entry_point.load() is importlib.import_module("mypd_graph_intasc")


def test_the_plugin_manager_finds_it_and_it_offers_one_framework() -> None:
    loaded = load_plugins(allow=("intasc", "cstp"))
    assert not loaded.failures, loaded.failures
    info = {plugin.name: plugin for plugin in loaded.plugins}["intasc"]
    assert (info.distribution, info.hooks) == (
        "mypd-graph-intasc",
        ["mypd_graph_register_case_packages"],
    )
    assert list(loaded.case_packages) == ["intasc-2013"]
    assert loaded.case_packages["intasc-2013"].plugin == "intasc"
    assert loaded.offered_by("intasc")["frameworks"] == ["intasc-2013"]


def test_plugins_list_shows_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypd_graph", "plugins", "list"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "MYPD_PLUGINS": "cstp,intasc"},
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intasc (mypd-graph-intasc 0.1.0)\n  frameworks: intasc-2013" in result.stdout


def test_hook_is_marked_and_each_call_builds_an_independent_package(plugin: ModuleType) -> None:
    assert hasattr(plugin.mypd_graph_register_case_packages, "mypd_graph_impl")
    first: list[CasePackage] = []
    second: list[CasePackage] = []
    plugin.mypd_graph_register_case_packages(register=first.append)
    plugin.mypd_graph_register_case_packages(register=second.append)
    assert first == second
    assert first[0].subject_elements is not second[0].subject_elements


def test_registered_package_validates_and_its_files_ship(shipped: CasePackage) -> None:
    shipped.validate()
    assert shipped.key == "intasc-2013"
    assert shipped.path.name == "intasc-2013.json" and shipped.path.is_file()
    assert [path.name for path in shipped.crosswalks] == ["intasc-2013-to-cstp-2009.csv"]
    assert shipped.rated_level is None, "the package's rubric names the rated standards"


def test_the_shipped_package_is_what_its_source_builds(
    shipped: CasePackage, tmp_path: Path
) -> None:
    rebuilt = tmp_path / "rebuilt.json"
    subprocess.run(
        [sys.executable, str(PLUGIN / "build_package.py"), str(rebuilt)], check=True, cwd=ROOT
    )
    assert rebuilt.read_bytes() == shipped.path.read_bytes(), (
        "intasc-2013.json differs from intasc-2013.toml: run python plugins/intasc/build_package.py"
    )


def test_document_provenance(package: Package) -> None:
    assert package.title == (
        "InTASC Model Core Teaching Standards and Learning Progressions for Teachers 1.0"
    )
    assert package.version == "2013"
    assert package.publisher == "Council of Chief State School Officers (CCSSO)"
    assert package.creator.startswith("CCSSO's Interstate Teacher Assessment and Support")
    assert package.official_source_url == (
        "https://ccsso.org/sites/default/files/2017-12/"
        "2013_INTASC_Learning_Progressions_for_Teachers.pdf"
    )
    assert "publishes no CASE package" in package.description
    assert not package.notes, "nothing in the package is skipped or renumbered"


def test_ten_standards_in_four_groups_in_document_order(package: Package) -> None:
    assert [
        (group.code, group.text, [standard.code for standard in group.children])
        for group in package.roots
    ] == GROUPS
    assert {root.item_type for root in package.roots} == {"Category"}


def test_the_rubric_rates_the_ten_standards(package: Package) -> None:
    rated, how = choose_rated(package, None)
    by_id = {node.identifier: node for node, _, _ in package.walk()}
    assert sorted((by_id[i].code for i in rated), key=int) == [str(n) for n in range(1, 11)]
    assert how == "the items the package's rubric criteria name"
    assert {by_id[i].item_type for i in rated} == {"Standard"}


def test_performances_are_indicators_under_their_standard(package: Package) -> None:
    standards = [standard for group in package.roots for standard in group.children]
    counts = {standard.code: len(standard.children) for standard in standards}
    assert counts == PERFORMANCES
    assert sum(counts.values()) == 75
    for standard in standards:
        letters = [child.code for child in standard.children]
        expected = [f"{standard.code}({chr(ord('a') + i)})" for i in range(len(letters))]
        assert letters == expected
        assert {child.item_type for child in standard.children} == {"Performance"}
        assert all(not child.children for child in standard.children)


@pytest.mark.parametrize(
    ("code", "statement"),
    [
        (
            "1",
            "The teacher understands how learners grow and develop, recognizing that patterns of "
            "learning and development vary individually within and across the cognitive, "
            "linguistic, social, emotional, and physical areas, and designs and implements "
            "developmentally appropriate and challenging learning experiences.",
        ),
        (
            "3",
            "The teacher works with others to create environments that support individual and "
            "collaborative learning, and that encourage positive social interaction, active "
            "engagement in learning, and self motivation.",
        ),
        (
            "6",
            "The teacher understands and uses multiple methods of assessment to engage learners "
            "in their own growth, to monitor learner progress, and to guide the teacher's and "
            "learner's decision making.",
        ),
        (
            "10",
            "The teacher seeks appropriate leadership roles and opportunities to take "
            "responsibility for student learning, to collaborate with learners, families, "
            "colleagues, other school professionals, and community members to ensure learner "
            "growth, and to advance the profession.",
        ),
        (
            "8(f)",
            "The teacher engages all learners in developing higher order questioning skills and "
            "metacognitive processes.",
        ),
    ],
)
def test_official_wording(package: Package, code: str, statement: str) -> None:
    texts = {node.code: node.text for node, _, _ in package.walk()}
    assert texts[code] == statement


def test_standard_names_ride_along_as_abbreviated_statements(shipped: CasePackage) -> None:
    items = json.loads(shipped.path.read_text(encoding="utf-8"))["CFItems"]
    names = {item["humanCodingScheme"]: item.get("abbreviatedStatement") for item in items}
    assert names["1"] == "Learner Development"
    assert names["9"] == "Professional Learning and Ethical Practice"


def test_text_is_clean(package: Package) -> None:
    for node, _, _ in package.walk():
        assert node.text == node.text.strip() and "  " not in node.text, node.code
        assert node.text.isascii(), node.code


def test_levels_are_the_learning_progressions_three(package: Package) -> None:
    assert [level.label for level in package.levels] == ["Level 1", "Level 2", "Level 3"]
    assert all(level.description for level in package.levels)


def test_subject_elements_name_rated_standards(shipped: CasePackage, package: Package) -> None:
    rated = {str(n) for n in range(1, 11)}
    assert set(shipped.subject_elements) == {"Math", "ELA", "Science"}
    for subject, codes in shipped.subject_elements.items():
        assert codes and len(set(codes)) == len(codes), subject
        assert set(codes) <= rated, subject


def test_crosswalk_parses_and_every_code_is_rated_in_both_frameworks(
    shipped: CasePackage,
) -> None:
    (path,) = shipped.crosswalks
    rows, errors = parse_csv(path.read_text(encoding="utf-8"))
    assert not errors and rows
    cstp = set(mypd_graph_cstp.build_framework().element_codes())
    intasc = {str(n) for n in range(1, 11)}
    for row in rows:
        assert (row.from_framework, row.to_framework) == ("intasc-2013", "cstp-2009")
        assert row.from_code in intasc, row
        assert row.to_code in cstp, row
        assert relation_name(row.relation) == row.relation == "isRelatedTo", row
    assert {row.from_code for row in rows} == intasc, "every InTASC standard maps somewhere"
    assert {row.to_code for row in rows} == cstp, "every CSTP element maps back to one"
    assert len({(row.from_code, row.to_code) for row in rows}) == len(rows), "no duplicate rows"
