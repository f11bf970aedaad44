"""Signals that mean something at the district level (issue 14, item 7), on the demo over GraphQL.

No training aligned to an element is not a need by itself: in a teacher's own needs it is the
training signal at 1 (they may want that training), but at the district level it is a missing
signal, so top needs are not led by whichever element nobody trained in
(docs/student-results.md, "Missing signals at the district level").
"""

from __future__ import annotations

from typing import Any

from mypd_graph.demo import DEMO_ADMIN_EMAIL, DEMO_TEACHER_EMAIL
from mypd_graph.demo.basics import DEMO_PRINCIPAL_EMAIL
from mypd_graph.plugins.manager import PluginSet
from tests.test_data_window import _demo

TOP = """{ district { insights { topNeeds(first: 5) {
  teachers note needs { element { code } teachersWithTopNeed meanScore leadingSignal } } } } }"""
OWN = """{ viewer { teacher { needs(first: 50) { element { code }
  signals { kind value evidence } } } } }"""


async def test_top_needs_are_not_led_by_training_nobody_took(
    db: Any, settings: Any, plugins: PluginSet
) -> None:
    demo, http = await _demo(db, settings, plugins)
    async with http:
        views = {
            who: (await demo.run(TOP, who))["district"]["insights"]["topNeeds"]
            for who in (DEMO_ADMIN_EMAIL, DEMO_PRINCIPAL_EMAIL)
        }
        own = (await demo.run(OWN, DEMO_TEACHER_EMAIL))["viewer"]["teacher"]["needs"]
    for top in views.values():
        assert top["note"].endswith(
            "no training aligned to an element counts as missing here, not as a need"
        )
        assert top["needs"], top
        assert all(need["leadingSignal"] != "TRAINING" for need in top["needs"]), top
    # A teacher's own needs still read "no training aligned" as a signal (value 1).
    untrained = [
        signal
        for need in own
        for signal in need["signals"]
        if signal["kind"] == "TRAINING" and signal["value"] == 1.0
    ]
    assert untrained and all("no training aligned" in s["evidence"][0] for s in untrained)
