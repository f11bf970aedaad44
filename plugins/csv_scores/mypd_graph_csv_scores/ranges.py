"""The scores each assessment can produce: a score outside its scale is a row error, never stored.

A RIT of -5 or 99999 is a typing or export error, and stored it would skew every figure built on
the results. Each assessment's plausible range, and where it comes from (checked 2026-12):

- **NWEA MAP Growth (RIT)**: one RIT scale per subject (Math, Reading, Language Usage, Science),
  the same for every grade; NWEA's reports and the 2020 RIT Scale Norms tables (Thum & Kuhfeld)
  place students from about 100 (kindergarten fall, low percentiles) to about 350 (the top of
  high school), and districts' guides quote ranges within 95-350. Bounds: 95 to 350.
- **CAASPP Smarter Balanced ELA and Math, summative**: the lowest and highest obtainable scale
  scores (LOSS and HOSS) of grades 3-8 and 11 published by the CDE ("Smarter Balanced Scale
  Score Ranges") and ETS's TOMS help ("Appendix A: Scale Score Ranges"): ELA 2114 (grade 3, before
  2020-21; 2115 since) to 2900 (grade 11 since 2020-21; 2795 before); Math 2189 (2190 since) to
  2900 (2862 before). Bounds: ELA 2114 to 2900, Math 2189 to 2900.
- **CAASPP interims (IAB, FIAB, ICA) in ELA and Math**: reported on the same vertical scale, which
  runs from 2000 to 3000; an interim taken off grade is not held to a grade's LOSS and HOSS.
  Bounds: 2000 to 3000. CAST interims have a range per form (ETS, "Reporting Overall Performance
  on CAST Interim Assessments"): none is assumed.
- **California Science Test (CAST), summative**: a scale per grade band, grade 5 150-250, grade 8
  350-450, high school 550-650 (as republished from the CDE's CAST scale score ranges; the CDE's
  own page was not reachable to check). Bounds: 150 to 650.
- **i-Ready Diagnostic**: one scale from 100 to 800 for every grade and both subjects
  (Curriculum Associates, "i-Ready Diagnostic Scale Score Placement Tables"). Bounds: 100 to 800.
- **generic**: the district's own benchmark, so the bounds are its options ``score_min`` and
  ``score_max`` (either or both); without them any finite score is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mypd_graph.plugins.types import FileRejected
from mypd_graph_csv_scores.common import BadValue


@dataclass(frozen=True)
class ScoreRange:
    """The scores an assessment's scale can produce, inclusive."""

    low: float
    high: float
    scale: str

    def problem(self, value: float, text: str, field_name: str = "score") -> BadValue:
        if self.low == float("-inf"):
            bounds = f"at most {self.high:g}"
        elif self.high == float("inf"):
            bounds = f"at least {self.low:g}"
        else:
            bounds = f"{self.low:g} to {self.high:g}"
        return BadValue(
            field_name,
            f"the score {value:g} is outside the {self.scale} scale ({bounds}): no test "
            "produces it",
            text,
        )

    def check(self, value: float | None, text: str, field_name: str = "score") -> None:
        """Raise :class:`BadValue` for a score outside the range (a blank one is not checked)."""
        if value is not None and not self.low <= value <= self.high:
            raise self.problem(value, text, field_name)


MAP_RIT = ScoreRange(95, 350, "MAP Growth RIT")
SMARTER_ELA = ScoreRange(2114, 2900, "Smarter Balanced ELA summative")
SMARTER_MATH = ScoreRange(2189, 2900, "Smarter Balanced Math summative")
SMARTER_INTERIM = ScoreRange(2000, 3000, "Smarter Balanced")
CAST = ScoreRange(150, 650, "California Science Test")
IREADY = ScoreRange(100, 800, "i-Ready Diagnostic")

# CAASPP: the summative tests by subject, and the interims of a subject
CAASPP_SUMMATIVE = {"ELA": SMARTER_ELA, "Math": SMARTER_MATH, "Science": CAST}
CAASPP_INTERIM = {"ELA": SMARTER_INTERIM, "Math": SMARTER_INTERIM}


def option_range(options: Mapping[str, Any], scale: str) -> ScoreRange | None:
    """``score_min`` and ``score_max`` from the options (generic files), or None when neither."""
    bounds = []
    for name, default in (("score_min", float("-inf")), ("score_max", float("inf"))):
        value = options.get(name)
        if value in (None, ""):
            bounds.append(default)
            continue
        try:
            bounds.append(float(value))
        except (TypeError, ValueError):
            raise FileRejected(f"option {name}={value!r} is not a number") from None
    low, high = bounds
    if low == float("-inf") and high == float("inf"):
        return None
    if low > high:
        raise FileRejected(f"option score_min={low:g} is above score_max={high:g}")
    return ScoreRange(low, high, scale)
