"""Accessibility checks shared by the browser tests: `unlabelled_controls(page)` lists the visible
form controls of the page that have no accessible name (no `<label for>`, wrapping label, `aria-label`
or `aria-labelledby`); a test asserts the list is empty."""

from __future__ import annotations

from typing import Any

_UNLABELLED = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))
"""


async def unlabelled_controls(page: Any) -> list[str]:
    found: list[str] = await page.evaluate(_UNLABELLED)
    return found
