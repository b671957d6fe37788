"""Cells of the CSV files envol writes, made safe for spreadsheets.

Spreadsheets run a cell starting with = + - @ as a formula: text that came from a server, an
archive or a user is data, so such a cell gets a leading apostrophe (OWASP's "CSV injection"
advice). Numbers are written as numbers. Pure Python: the apps and the web share it.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, neutralised; anything else as is."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
