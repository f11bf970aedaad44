"""Proficiency rules, stated and shared (issue 14, item 2), on the demo over GraphQL.

Needs and growth read the same rule: the share below standard Elena's need quotes for Math is the
one her growth view shows for the same subject and year, and both state the rule. MAP results
(percentiles, no achievement level, as the presets import them) are judged by percentile against
the district's cut.
"""

from __future__ import annotations

import re
from typing import Any

from mypd_graph.demo import DEMO_ADMIN_EMAIL, DEMO_TEACHER_EMAIL
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.students.status import RESULTS_RULES
from tests.test_data_window import _demo

NEEDS_AND_GROWTH = """{ viewer { teacher {
  needs(first: 50, includeUnscored: true) { element { code }
    signals { kind value evidence rule } }
  growth {
    studentStatus { subject schoolYear suppressed students belowStandard shareBelowStandard rule }
    studentResults { assessmentName schoolYear term suppressed students shareAtOrAboveStandard }
  }
} } }"""
CUT = """mutation { updatePersonalizationSettings(input: {
  resultsRules: { proficientPercentile: 99 } }) {
  settings { resultsRules { proficientPercentile } } userErrors { field message code } } }"""
QUOTED = re.compile(r"(\d+)% below standard in (\w+), (\d{4}-\d{2}): (\d+) of your (\d+) students")


def _quoted(teacher: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(subject, year) -> (below, students) as the needs' student signals quote them."""
    found = {}
    for need in teacher["needs"]:
        for signal in need["signals"]:
            if signal["kind"] != "STUDENT_PERFORMANCE":
                continue
            for line in signal["evidence"]:
                match = QUOTED.match(line)
                if match:
                    found[(match[2], match[3])] = (int(match[4]), int(match[5]))
    return found


async def test_needs_and_growth_give_the_same_share_below_standard(
    db: Any, settings: Any, plugins: PluginSet
) -> None:
    demo, http = await _demo(db, settings, plugins)
    async with http:
        teacher = (await demo.run(NEEDS_AND_GROWTH, DEMO_TEACHER_EMAIL))["viewer"]["teacher"]
    quoted = _quoted(teacher)
    assert ("Math", "2025-26") in quoted
    status = {(r["subject"], r["schoolYear"]): r for r in teacher["growth"]["studentStatus"]}
    for key, (below, students) in quoted.items():
        row = status[key]
        assert (row["belowStandard"], row["students"]) == (below, students), key
        assert row["shareBelowStandard"] == round(below / students, 4)
        assert row["rule"] == RESULTS_RULES
    student_signals = [
        signal
        for need in teacher["needs"]
        for signal in need["signals"]
        if signal["kind"] == "STUDENT_PERFORMANCE"
    ]
    assert all(s["rule"].startswith(RESULTS_RULES) for s in student_signals)
    assert "most recent complete year" in student_signals[0]["rule"]
    # MAP windows are judged (by percentile), though the demo's MAP results have no level.
    map_terms = [
        row
        for row in teacher["growth"]["studentResults"]
        if row["assessmentName"].startswith("NWEA") and not row["suppressed"]
    ]
    assert map_terms and all(row["shareAtOrAboveStandard"] is not None for row in map_terms)


async def test_map_results_follow_the_districts_percentile_cut(
    db: Any, settings: Any, plugins: PluginSet
) -> None:
    """Raising the district's cut from the 50th to the 99th percentile judges every MAP result
    below standard, but Elena's Math students (grades with CAASPP) keep the status their
    summative result decides: needs and growth still agree."""
    demo, http = await _demo(db, settings, plugins)
    async with http:
        before = (await demo.run(NEEDS_AND_GROWTH, DEMO_TEACHER_EMAIL))["viewer"]["teacher"]
        changed = await demo.run(CUT, DEMO_ADMIN_EMAIL)  # judges MAP results anew
        assert changed["updatePersonalizationSettings"]["userErrors"] == []
        refused = await demo.run(CUT.replace("99", "100"), DEMO_ADMIN_EMAIL)
        assert [e["code"] for e in refused["updatePersonalizationSettings"]["userErrors"]] == [
            "RANGE"
        ]
        after = (await demo.run(NEEDS_AND_GROWTH, DEMO_TEACHER_EMAIL))["viewer"]["teacher"]
    was, now = _quoted(before)[("Math", "2025-26")], _quoted(after)[("Math", "2025-26")]
    assert now == was  # the summative (CAASPP) result decides, not the MAP percentiles
    status = {(r["subject"], r["schoolYear"]): r for r in after["growth"]["studentStatus"]}
    assert status[("Math", "2025-26")]["belowStandard"] == now[0]
    map_terms = [
        row["shareAtOrAboveStandard"]
        for row in after["growth"]["studentResults"]
        if row["assessmentName"].startswith("NWEA") and not row["suppressed"]
    ]
    assert map_terms and max(map_terms) < 0.05
