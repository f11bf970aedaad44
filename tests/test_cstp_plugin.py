"""Tests for the mypd-graph-cstp plugin: the CSTP (2009) data and its discovery.

Plain synchronous tests with no database: a framework plugin must be checkable on its own.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from types import ModuleType

import pytest

from mypd_graph.plugins.types import FrameworkDefinition

EXPECTED_ELEMENT_COUNTS = {"1": 6, "2": 7, "3": 6, "4": 5, "5": 7, "6": 7}


@pytest.fixture(scope="module")
def plugin() -> ModuleType:
    return importlib.import_module("mypd_graph_cstp")


@pytest.fixture(scope="module")
def registered(plugin: ModuleType) -> list[FrameworkDefinition]:
    collected: list[FrameworkDefinition] = []
    plugin.mypd_graph_register_frameworks(register=collected.append)
    return collected


@pytest.fixture(scope="module")
def cstp(registered: list[FrameworkDefinition]) -> FrameworkDefinition:
    assert len(registered) == 1
    return registered[0]


def test_registers_exactly_one_framework(registered: list[FrameworkDefinition]) -> None:
    assert [definition.key for definition in registered] == ["cstp-2009"]


def test_hook_is_marked_as_a_mypd_graph_hookimpl(plugin: ModuleType) -> None:
    assert hasattr(plugin.mypd_graph_register_frameworks, "mypd_graph_impl")


def test_metadata(cstp: FrameworkDefinition) -> None:
    assert cstp.name == "California Standards for the Teaching Profession"
    assert cstp.version == "2009"
    assert cstp.jurisdiction == "California"
    assert cstp.description
    assert cstp.source_url.startswith("https://www.ctc.ca.gov/")


def test_definition_validates(cstp: FrameworkDefinition) -> None:
    cstp.validate()


def test_six_standards_with_official_titles(cstp: FrameworkDefinition) -> None:
    assert [(standard.code, standard.title) for standard in cstp.standards] == [
        ("1", "Engaging and Supporting All Students in Learning"),
        ("2", "Creating and Maintaining Effective Environments for Student Learning"),
        ("3", "Understanding and Organizing Subject Matter for Student Learning"),
        ("4", "Planning Instruction and Designing Learning Experiences for All Students"),
        ("5", "Assessing Students for Learning"),
        ("6", "Developing as a Professional Educator"),
    ]


def test_element_counts(cstp: FrameworkDefinition) -> None:
    counts = {standard.code: len(standard.elements) for standard in cstp.standards}
    assert counts == EXPECTED_ELEMENT_COUNTS
    assert len(cstp.element_codes()) == 38


def test_element_codes_in_document_order(cstp: FrameworkDefinition) -> None:
    expected = [
        f"{standard}.{number}"
        for standard, count in EXPECTED_ELEMENT_COUNTS.items()
        for number in range(1, count + 1)
    ]
    assert cstp.element_codes() == expected
    for standard in cstp.standards:
        assert all(element.code.startswith(f"{standard.code}.") for element in standard.elements)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("1.1", "Using knowledge of students to engage them in learning"),
        ("1.6", "Monitoring student learning and adjusting instruction while teaching"),
        ("2.7", "Using instructional time to optimize learning"),
        (
            "3.1",
            "Demonstrating knowledge of subject matter, academic content standards, and "
            "curriculum frameworks",
        ),
        (
            "4.1",
            "Using knowledge of students' academic readiness, language proficiency, cultural "
            "background, and individual development to plan instruction",
        ),
        (
            "5.4",
            "Using assessment data to establish learning goals and to plan, differentiate, and "
            "modify instruction",
        ),
        ("6.7", "Demonstrating professional responsibility, integrity, and ethical conduct"),
    ],
)
def test_official_wording(cstp: FrameworkDefinition, code: str, text: str) -> None:
    texts = {element.code: element.text for s in cstp.standards for element in s.elements}
    assert texts[code] == text


def test_element_text_is_clean(cstp: FrameworkDefinition) -> None:
    for standard in cstp.standards:
        for element in standard.elements:
            assert element.text == element.text.strip()
            assert "  " not in element.text
            assert not element.text.endswith(".")
            assert element.text.isascii()


def test_levels_in_continuum_order(cstp: FrameworkDefinition) -> None:
    assert [(level.key, level.label) for level in cstp.levels] == [
        ("emerging", "Emerging"),
        ("exploring", "Exploring"),
        ("applying", "Applying"),
        ("integrating", "Integrating"),
        ("innovating", "Innovating"),
    ]
    assert all(level.description.strip() for level in cstp.levels)


def test_subject_elements_refer_to_existing_elements(cstp: FrameworkDefinition) -> None:
    known = set(cstp.element_codes())
    assert set(cstp.subject_elements) == {"Math", "ELA", "Science"}
    for subject, codes in cstp.subject_elements.items():
        assert codes, subject
        assert len(set(codes)) == len(codes), subject
        assert set(codes) <= known, subject


def test_each_call_builds_an_independent_definition(plugin: ModuleType) -> None:
    first: list[FrameworkDefinition] = []
    second: list[FrameworkDefinition] = []
    plugin.mypd_graph_register_frameworks(register=first.append)
    plugin.mypd_graph_register_frameworks(register=second.append)
    assert first[0] == second[0]
    assert first[0].subject_elements is not second[0].subject_elements


def test_discoverable_through_entry_point_group() -> None:
    try:
        distribution("mypd-graph-cstp")
    except PackageNotFoundError:
        pytest.skip("mypd-graph-cstp is not installed in this environment")
    matches = [ep for ep in entry_points(group="mypd_graph") if ep.name == "cstp"]
    assert len(matches) == 1, "mypd-graph-cstp is installed but does not declare its entry point"
    (entry_point,) = matches
    assert entry_point.value == "mypd_graph_cstp"
    assert entry_point.load() is importlib.import_module("mypd_graph_cstp")
