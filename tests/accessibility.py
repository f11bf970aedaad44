"""The automated accessibility check of the browser tests: axe-core (vendored under
tests/vendor/axe-core, see its README) run in the page, at the widths people use.

axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
govern, so the pages keep their real policy while they are checked (a <script> tag with axe in
it would be refused by ``script-src 'self'``, and turning the policy off would hide violations).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}  # a common phone's CSS width
BLOCKING = ("serious", "critical")


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every violation axe finds on the page as it is now (WCAG 2.x A and AA and axe's best
    practices), each with its rule id, impact and the elements concerned."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(_axe_source())
    result = await page.evaluate(
        """async () => {
            const found = await axe.run(document, {resultTypes: ["violations"]});
            return found.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
            }));
        }"""
    )
    return list(result)


async def blocking_violations(page: Page, widths: tuple[dict[str, int], ...] = (DESKTOP, PHONE)):
    """Serious and critical violations at each width, as ``(width, violation)`` pairs; the page
    is left at the last width."""
    found = []
    for size in widths:
        await page.set_viewport_size(size)
        for violation in await axe_violations(page):
            if violation["impact"] in BLOCKING:
                found.append((size["width"], violation))
    return found
