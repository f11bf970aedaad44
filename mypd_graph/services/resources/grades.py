"""Grade bands (``K-5``, ``6-12``, ``7``) as sets of grades, so a search's band and a resource's
band can be compared: searches use it, and so does recommendations' teacher fit."""

from __future__ import annotations

GRADES = ("TK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")


def grade_index(grade: str) -> int | None:
    text = grade.strip().upper().removeprefix("GRADE ").lstrip("0") or "0"
    if text == "0":
        text = "K"
    return GRADES.index(text) if text in GRADES else None


def grade_span(band: str) -> frozenset[int] | None:
    """Grade indices of a band; ``None`` when unreadable."""
    low, _, high = band.strip().partition("-")
    first, last = grade_index(low), grade_index(high or low)
    if first is None or last is None or last < first:
        return None
    return frozenset(range(first, last + 1))


def bands_overlap(asked: str, offered: str) -> bool:
    """Whether two bands share a grade; an empty or unreadable band fits (it says nothing)."""
    if not asked.strip() or not offered.strip():
        return True
    first, second = grade_span(asked), grade_span(offered)
    return first is None or second is None or bool(first & second)
