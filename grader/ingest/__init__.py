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


# The LaTeX, PDF and zip readers are imported when first used: `grader check notes.txt` should
# not pay for PyMuPDF (~0.15 s) or the LaTeX tables.
def _tex(path: Path, limits: Limits, root: Path) -> list[Document]:
    from grader.ingest.tex import read_tex

    return read_tex(path, limits, root)


def _pdf(path: Path, limits: Limits, root: Path) -> list[Document]:
    from grader.ingest.pdf import read_pdf

    return read_pdf(path, limits, root)


def _zip(path: Path, limits: Limits, root: Path) -> list[Document]:
    from grader.ingest.archive import read_zip

    return read_zip(path, limits, root)


READERS: dict[str, Reader] = {
    ".tex": _tex,
    ".pdf": _pdf,
    ".zip": _zip,
    ".txt": _text_or_sheet,
    ".md": _text_or_sheet,
    ".markdown": _text_or_sheet,
    ".yaml": _sheet,
    ".yml": _sheet,
    ".json": _sheet,
}
