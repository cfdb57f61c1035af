"""Ingest: file -> Document. One module per format; READERS maps a suffix to its reader.

A reader takes (path, limits, submission root) and returns Documents; it raises RejectedFile with
a reason a student understands when the file cannot be read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.ingest.document import Document
from grader.ingest.limits import Limits
from grader.ingest.sheet import looks_like_sheet, read_sheet
from grader.ingest.text import read_text

Reader = Callable[[Path, Limits, Path], list[Document]]


def _text_or_sheet(path: Path, limits: Limits, root: Path) -> list[Document]:
    return [read_sheet(path)] if looks_like_sheet(path) else [read_text(path, limits)]


def _sheet(path: Path, limits: Limits, root: Path) -> list[Document]:
    return [read_sheet(path)]


READERS: dict[str, Reader] = {
    ".txt": _text_or_sheet,
    ".md": _text_or_sheet,
    ".markdown": _text_or_sheet,
    ".yaml": _sheet,
    ".yml": _sheet,
    ".json": _sheet,
}
