"""What every reader produces: a Document, the common currency of the pipeline.

A reader (sheet, text, tex, pdf) turns one file into a Document. Later stages never look at the
file again: segmentation works on `text` (plus `answers` for structured sheets), and grids found by
a reader's own means (cell fills in a PDF, `\\cellcolor` in LaTeX) travel as `GridFinding`s anchored
at a character offset in `text`, so that segmentation attaches them to the part whose span holds
that offset.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

DocKind = Literal["sheet", "text", "tex", "pdf"]


@dataclass(frozen=True)
class GridFinding:
    """One 5x5 (or n x n) grid as a reader saw it.

    `cells` is None when the grid was found but its highlights could not be read (no fills, text
    layer only, marked with bold text only...); `note` then says why.
    """

    offset: int  # character offset in Document.text where the grid sits
    cells: frozenset[str] | None
    method: str  # how it was read, e.g. "pdf-fill", "tex-cellcolor", "text-marked"
    confidence: float  # 0..1
    note: str = ""
    heading: str | None = None  # nearest heading text the reader itself saw above the grid
    page: int | None = None  # 1-based page, for PDFs
    labels: tuple[str, ...] = ()  # the cell labels of the grid, row-major
    bbox: tuple[float, float, float, float] | None = None  # on its page, for PDFs: grids side by side
    framed: bool = False  # drawn inside a frame of its own (an \fbox, a box around the answer)
    caption: str | None = None  # the caption or label line just below or above it, as printed


STRUCK_OUT = "struck out"  # the reason of text its writer struck out: seen, and withdrawn


@dataclass(frozen=True)
class HiddenText:
    """Text a reader left out because a human reader would not see it (white, tiny, ...)."""

    text: str
    reason: str
    page: int | None = None
    offset: int | None = None  # where in Document.text it was left out, to attach it to a part
    # the reader could not tell whether it is seen (a conditional on a counter, a PDF literal it
    # cannot follow...): it is not in the text either, and the part that holds `offset` goes to a TA
    unsure: bool = False


@dataclass(frozen=True)
class MathSpan:
    """A formula a reader rebuilt (PDF glyphs -> LaTeX), where it sits in Document.text.

    `offset`..`end` covers the formula with its delimiters (`$...$` inline, `\\[ ... \\]` displayed,
    possibly over several lines: the rows of one display); `latex` is what lies between them."""

    offset: int
    end: int
    latex: str
    plain: str  # a linear rendering: (a)/(b), x_0, Σ_(j=1)^k ...
    confidence: float  # 0..1: low when glyphs were unknown or the layout ambiguous
    display: bool
    page: int | None = None
    notes: tuple[str, ...] = ()  # why the confidence is not 1 (unknown glyphs, ambiguous layout)


@dataclass
class Document:
    source: str  # file name inside the submission
    kind: DocKind
    text: str = ""
    grids: list[GridFinding] = field(default_factory=list)
    # For structured answer sheets: part id -> raw answer, as the student gave it.
    answers: dict[str, Any] | None = None
    students: list[dict[str, str]] = field(default_factory=list)
    # Per-part AI-use disclosures given explicitly (answer sheets); text forms are detected later.
    ai_use: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # format problems, shown to students
    hidden: list[HiddenText] = field(default_factory=list)
    pages: int | None = None
    # True when the reader could not get any text (a scan): parts become needs_review, never 0.
    unreadable: str | None = None
    assignment: str | None = None  # the assignment an answer sheet says it answers
    math: list[MathSpan] = field(default_factory=list)  # formulas rebuilt by the reader, in text order


# Runs of blanks carry no meaning, and a hostile run (a million newlines) makes every line-based
# pass slow: keep at most two spaces (a tab where the run had one, so tab-separated grid labels
# stay apart) and one empty line.
_BLANK_RUN = re.compile(r"(?P<spaces>[ \t\f\v\xa0]{3,})|(?P<lines>\n(?:[ \t]*\n){2,})")


def _shorter(m: re.Match) -> str:
    if m["lines"]:
        return "\n\n"
    return "\t" if "\t" in m["spaces"] else "  "


def tidy_whitespace(text: str) -> str:
    return _BLANK_RUN.sub(_shorter, text)


def tidied(doc: Document) -> Document:
    """The document with blank runs shortened, its grids', hidden texts' and formulas' offsets
    moved along."""
    pieces, old_starts, new_starts = [], [0], [0]
    last = 0
    for m in _BLANK_RUN.finditer(doc.text):
        pieces.append(doc.text[last:m.start()])
        short = _shorter(m)
        pieces.append(short)
        old_starts.append(m.end())
        new_starts.append(sum(map(len, pieces)))
        last = m.end()
    if last == 0:
        return doc
    pieces.append(doc.text[last:])

    def moved(offset: int | None) -> int | None:
        if offset is None:
            return None
        i = bisect.bisect_right(old_starts, offset) - 1
        return new_starts[i] + max(0, offset - old_starts[i]) if i > 0 else offset

    return replace(doc, text="".join(pieces),
                   grids=[replace(g, offset=moved(g.offset)) for g in doc.grids],
                   hidden=[replace(h, offset=moved(h.offset)) for h in doc.hidden],
                   math=[replace(m, offset=moved(m.offset), end=moved(m.end)) for m in doc.math])
