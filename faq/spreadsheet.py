"""CSV cells that spreadsheets open as text.

Excel and LibreOffice run a cell that starts with ``= + - @`` (or a tab or carriage return) as a
formula; residents' questions and editors' texts land in CSV exports that are opened there. A
leading apostrophe makes the cell text; importing strips it again, so an export round-trips.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def defuse(value):
    """The value to write in a CSV cell: text that would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The text a defused CSV cell stood for (other text unchanged)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value
