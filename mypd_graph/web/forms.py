"""What the pages' forms share: reading a posted form, the CSRF check, turning a mutation's
``userErrors`` into messages beside the fields they name, and the answer after a saved form
(303 to the page, so a reload does not post again)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.responses import RedirectResponse


@dataclass
class Failed:
    """A refused form: which one (its ``key``, also the prefix of its fields' ids), the messages
    by field name, the messages about the form as a whole, and what was typed (kept)."""

    key: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors or self.problems)

    def summary(self) -> list[tuple[str, str]]:
        """(link, message) pairs for the error summary: a field's message links to the field,
        a message about the form to the form."""
        links = [(f"#{self.key}", message) for message in self.problems]
        for name, messages in self.errors.items():
            target = f"#{self.key}-{name}" if name in self.values else f"#{self.key}"
            links.extend((target, message) for message in messages)
        return links


def kept(form: FormData, lists: Iterable[str] = ()) -> dict[str, Any]:
    """The posted values (``lists``: names posted several times, e.g. checkboxes)."""
    values: dict[str, Any] = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
    for name in lists:
        values[name] = [str(v) for v in form.getlist(name)]
    return values


def add_user_errors(failed: Failed, user_errors: list[dict[str, Any]]) -> Failed:
    """A mutation's userErrors on ``failed``: ``input.<name>[.<i>]`` by the field ``name``."""
    for error in user_errors:
        path = error["field"]
        if len(path) >= 2 and path[0] == "input":
            failed.add(path[1], error["message"])
        else:
            failed.problems.append(error["message"])
    return failed


def optional_date(failed: Failed, name: str) -> str | None:
    """A date field: empty is none; anything but YYYY-MM-DD is a message beside the field."""
    value = str(failed.values.get(name, "")).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        failed.add(name, "Enter a date like 2026-05-29.")
        return None


def optional_int(failed: Failed, name: str, low: int, high: int) -> int | None:
    value = str(failed.values.get(name, "")).strip()
    if not value:
        return None
    if not value.lstrip("-").isdigit() or not low <= int(value) <= high:
        failed.add(name, f"Enter a whole number from {low} to {high}.")
        return None
    return int(value)


def saved(path: str, **query: Any) -> RedirectResponse:
    """Back to ``path`` after a saved form, with ``query`` (e.g. saved=goal)."""
    clean = {k: v for k, v in query.items() if v not in (None, "")}
    return RedirectResponse(f"{path}?{urlencode(clean)}" if clean else path, status_code=303)
