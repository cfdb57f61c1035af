"""Running headers and footers: the lines a PDF repeats at the top or the bottom of its pages (the
course, the student's name and ID, "Page 3 of 12"). They answer nothing; left in the text, they
end up inside whichever answer runs across the page break, where a checklist's hint may match them.
They are blanked, a space for each character, so every offset into the text (formulas, hidden
text, grids) still holds; the student's name is read before."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

MARGIN = 0.1  # the share of the page's height, at its top and at its bottom, where furniture sits
MIN_PAGES = 3
_PAGE_NUMBER = re.compile(r"^(?:page\s*|p\.\s*)?#(?:\s*(?:/|of|sur|de)\s*#)?$")


@dataclass(frozen=True)
class EdgeLine:
    """A line near the top or the bottom of its page, where it lies in the document's text."""

    page: int
    start: int
    end: int
    key: str  # its words, the page's number as '#': "Page 3 of 12" and "Page 4 of 12" are one line


def edge_line(text: str, bbox: tuple[float, float, float, float], page_top: float, page_bottom: float,
              page: int, start: int) -> EdgeLine | None:
    """The line as an EdgeLine when it lies in the page's top or bottom margin and may be furniture
    (words, or a page number), else None."""
    height = page_bottom - page_top
    top, bottom = bbox[1] < page_top + MARGIN * height, bbox[3] > page_bottom - MARGIN * height
    if not (top or bottom):
        return None
    key = " ".join(text.split()).lower()
    numbered = re.sub(r"\d+", "#", key)
    if _PAGE_NUMBER.match(numbered):
        key = numbered  # "3", "Page 3 of 12"
    elif bottom:  # a footer's page number: "Jane Student, page 3"; at the top, "Question 3" is content
        key = re.sub(rf"(?<!\d){page + 1}(?!\d)", "#", key)
    if not key or not re.search(r"[^\W\d_]|#", key):
        return None  # a row of numbers (a grid's labels) is content
    return EdgeLine(page, start, start + len(text), key)


def furniture(lines: list[EdgeLine], pages: int) -> list[tuple[int, int]]:
    """The (start, end) of the lines repeated in the margins of half the pages or more (3 at least)."""
    if pages < MIN_PAGES:
        return []
    pages_of: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        pages_of[line.key].add(line.page)
    need = max(MIN_PAGES, math.ceil(pages / 2))
    return [(line.start, line.end) for line in lines if len(pages_of[line.key]) >= need]


def blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each span's characters (line breaks aside) turned to spaces."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
