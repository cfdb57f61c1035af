"""CSV cells a spreadsheet shows as text and never runs (CSV or formula injection).

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (and some
read one starting with a tab or a carriage return, or with the full-width forms of those signs,
the same way). Such a cell gets a leading apostrophe, which every spreadsheet shows as text; a
cell that only starts with spaces before such a sign gets one too. Every CSV the grader writes
passes its text cells through `cell`.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text[:1] in TRIGGERS or text.lstrip(" \t\r\n\u00a0\u3000")[:1] in TRIGGERS:
        return "'" + text
    return text
