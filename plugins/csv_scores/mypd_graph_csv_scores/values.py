"""Turn the text of one vendor cell into a typed value, or raise ``ValueError`` saying why not.

Vendors write the same thing many ways ("215", "215.0", " 215 "; "9/15/2025", "2025-09-15
10:31:05"; "2025-2026", "2025-26", "2026"), and a million-row file repeats the same few dates,
terms and years over and over, so the parsers that see repeated values memoize them in small
bounded caches.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

TERMS = ("Fall", "Winter", "Spring", "Summer")
_TERM_BY_LOWER = {term.lower(): term for term in TERMS}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_YEAR_PAIR = re.compile(r"^\s*(\d{4})\s*[-/–]\s*(\d{2}|\d{4})\s*$")
_SHORT_YEAR_PAIR = re.compile(r"^\s*(\d{2})\s*[-/]\s*(\d{2})\s*$")
_SINGLE_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_TERM_NAME = re.compile(
    r"^\s*(fall|winter|spring|summer)\s+(\d{4})(?:\s*[-/–]\s*(\d{2}|\d{4}))?\s*$", re.IGNORECASE
)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?:\s.*)?$")
_SLASH_ISO_DATE = re.compile(r"^\s*(\d{4})/(\d{1,2})/(\d{1,2})(?:\s.*)?$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_INFINITIES = (float("inf"), float("-inf"))


def normalize_header(name: str) -> str:
    """Compare headers loosely: case, spaces, punctuation and a stray BOM do not matter."""
    return _NON_ALNUM.sub("", name.replace("\ufeff", "").lower())


def slug(text: str) -> str:
    return _NON_ALNUM.sub("-", text.lower()).strip("-")


def number(text: str) -> float | None:
    """A score: "215", "215.0", " 215 ", "1,215"; blank is ``None``."""
    try:
        value = float(text)  # the common case first: float() also ignores surrounding spaces
    except ValueError:
        text = text.strip()
        if not text:
            return None
        if not _THOUSANDS.match(text):
            raise
        value = float(text.replace(",", ""))
    if value != value or value in _INFINITIES:
        raise ValueError("not a finite number")
    return value


def whole_number(text: str) -> int | None:
    """A percentile or level: "55" or "55.0"; "55.5" is an error; blank is ``None``."""
    try:
        return int(text)  # the common case first: int() also ignores surrounding spaces
    except ValueError:
        value = number(text)
    if value is None:
        return None
    if not value.is_integer():
        raise ValueError("not a whole number")
    return int(value)


@lru_cache(maxsize=4096)
def parse_date(text: str) -> date | None:
    """Dates as vendors write them: ISO (with or without a time), M/D/YYYY, M/D/YY, YYYY/M/D."""
    text = text.strip()
    if not text:
        return None
    match = _ISO_DATE.match(text) or _SLASH_ISO_DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return date(year, month, day)
    match = _US_DATE.match(text)
    if match:
        month, day, year = (int(part) for part in match.groups())
        if year < 100:
            year += 2000
        return date(year, month, day)
    for pattern in ("%d-%b-%Y", "%b %d, %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError("not a date (expected YYYY-MM-DD or M/D/YYYY)")


def _pair(first: int, second: int) -> str:
    if second != first + 1:
        raise ValueError("the second year must follow the first")
    return f"{first}-{second % 100:02d}"


@lru_cache(maxsize=256)
def school_year(text: str) -> str:
    """ "2025-2026", "2025-26", "25-26" and "2026" (a year named by its spring) -> "2025-26"."""
    match = _YEAR_PAIR.match(text)
    if match:
        first, second = int(match[1]), int(match[2])
        if second < 100:
            second += first - first % 100 + (100 if second < first % 100 else 0)
        return _pair(first, second)
    match = _SHORT_YEAR_PAIR.match(text)
    if match:
        first = 2000 + int(match[1])
        return _pair(first, 2000 + int(match[2]) + (100 if int(match[2]) < int(match[1]) else 0))
    match = _SINGLE_YEAR.match(text)
    if match:
        spring = int(match[1])
        return _pair(spring - 1, spring)
    raise ValueError("not a school year (expected 2025-26, 2025-2026 or 2026)")


def school_year_of(day: date) -> str:
    """The school year a date falls in; a year starts in July."""
    first = day.year if day.month >= 7 else day.year - 1
    return _pair(first, first + 1)


def term_of(day: date) -> str:
    """The testing season of a date: July-November Fall, December-February Winter, else Spring."""
    if 7 <= day.month <= 11:
        return "Fall"
    if day.month == 12 or day.month <= 2:
        return "Winter"
    return "Spring"


def term(text: str) -> str:
    """ "fall", "FALL", "Fall 2025" -> "Fall"."""
    word = text.strip().split(" ", 1)[0].lower()
    try:
        return _TERM_BY_LOWER[word]
    except KeyError:
        raise ValueError("not a term (expected Fall, Winter, Spring or Summer)") from None


@lru_cache(maxsize=256)
def term_name(text: str) -> tuple[str, str]:
    """NWEA's TermName: "Fall 2025-2026" -> ("Fall", "2025-26").

    Older client-server exports name one calendar year ("Spring 2025"): fall belongs to the
    school year starting then, winter, spring and summer to the one ending then.
    """
    match = _TERM_NAME.match(text)
    if not match:
        raise ValueError("not a term name (expected like 'Fall 2025-2026')")
    season = _TERM_BY_LOWER[match[1].lower()]
    first = int(match[2])
    if match[3]:
        return season, school_year(f"{match[2]}-{match[3]}")
    if season == "Fall":
        return season, _pair(first, first + 1)
    return season, _pair(first - 1, first)


_SUBJECTS = {
    "math": "Math",
    "maths": "Math",
    "mathematics": "Math",
    "ela": "ELA",
    "english": "ELA",
    "englishlanguagearts": "ELA",
    "englishlanguageartsliteracy": "ELA",
    "languagearts": "ELA",
    "reading": "ELA",
    "language": "ELA",
    "languageusage": "ELA",
    "literacy": "ELA",
    "science": "Science",
    "generalscience": "Science",
    "cast": "Science",
}


@lru_cache(maxsize=256)
def subject(text: str) -> str | None:
    """The framework's subject names ("Math", "ELA", "Science") for a vendor's wording."""
    key = normalize_header(text)
    if key in _SUBJECTS:
        return _SUBJECTS[key]
    if "math" in key:
        return "Math"
    if "science" in key:
        return "Science"
    if "reading" in key or "language" in key or key.startswith("ela"):
        return "ELA"
    return None


@lru_cache(maxsize=256)
def grade(text: str) -> str:
    """ "05" -> "5", "KG"/"K"/"KN"/"00" -> "K"; anything else kept as written (at most 8 chars)."""
    text = text.strip().upper()
    if text in ("K", "KG", "KN", "KINDERGARTEN", "00", "0"):
        return "K"
    if text.isdigit():
        return str(int(text))
    if text.startswith("GRADE "):
        return grade(text[6:])
    return text[:8]
