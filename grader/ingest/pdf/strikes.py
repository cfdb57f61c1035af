"""Struck-out text in a PDF: a line drawn through a word says the writer took it back.

The marks, as LaTeX and word processors print them:
- a horizontal rule through the middle of the letters (ulem's \\sout, soul's \\st, a word
  processor's strikethrough): it lies between _LOW and _HIGH of the size above the baseline. An
  underline lies at or below the baseline, an overline or a radical's vinculum above the letters,
  a fraction bar under its numerator's baseline and over its denominator's letters, a table's rule
  between rows: none of them strikes;
- a slanted line across the word (cancel's \\cancel, \\bcancel, \\xcancel drawn with pict2e or
  TikZ, a line drawn over the PDF): a stroked segment that climbs through the word's middle band
  over most of its width (a circle, a box or an arrow to the word does not);
- the same lines set with LaTeX's picture-mode line fonts (line10, linew10: \\cancel without
  pict2e), whose glyphs are drawings, never text;
- slashes printed over the letters (ulem's \\xout).
A mark strikes the words it crosses (over `_SHARE` of their width), judged word by word on the
page's characters; only words holding a letter or a digit count (a radical sign or a big delimiter
crossed by its own rules is no struck word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.ingest.pdf.symbols import family, is_math_font

_LINE_FONT = re.compile(r"(?:^|\+)(?:LINEW?10|LCIRCLEW?10)$", re.I)
_WORDY = re.compile(r"[^\W_]")
_ONLY_SLASHES = re.compile(r"\s*/{3,}[/\s]*")
# a strike rule lies this far above the baseline, in units of the size (ulem and soul: about 0.5ex)
_LOW, _HIGH = 0.08, 0.42
_SHARE = 0.6  # of a word's width a mark must cross
_BAND = 24.0  # pt: marks are indexed by bands of the page's height


def is_line_font(font: str) -> bool:
    return _LINE_FONT.search(font) is not None


def wordy(text: str) -> bool:
    return _WORDY.search(text) is not None


def strikable(span: dict) -> bool:
    """A run that may be a struck word: a letter or a digit, not a glyph of a math extension font
    (a radical sign or a big delimiter, crossed by its own rules, hangs from its origin)."""
    return wordy(span["text"]) and family(span["font"]) != "ex"


def slash_run(span: dict) -> bool:
    """A run of slashes in a text font, as \\xout prints over the letters it strikes (a math
    font's glyphs without Unicode may come out as slashes too)."""
    return "///" in span["text"] and not is_math_font(span["font"])


def chained(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Boxes that touch joined into one: the pieces of one line drawn with line-font glyphs."""
    out: list[list[float]] = []
    for box in sorted(boxes):
        for merged in out:
            if box[0] <= merged[2] + 1 and box[2] >= merged[0] - 1 and box[1] <= merged[3] + 1 and box[3] >= merged[1] - 1:
                merged[:] = [min(merged[0], box[0]), min(merged[1], box[1]), max(merged[2], box[2]), max(merged[3], box[3])]
                break
        else:
            out.append(list(box))
    return [tuple(b) for b in out]


def only_slashes(text: str) -> bool:
    return _ONLY_SLASHES.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class Mark:
    """A line drawn on the page: a segment from (x0, y0) to (x1, y1), x0 <= x1; or, for a glyph of
    a line font or a run of slashes, the box it covers (`box`)."""

    x0: float
    y0: float
    x1: float
    y1: float
    box: bool = False

    def y_at(self, x: float) -> float:
        if self.x1 == self.x0:
            return self.y0
        return self.y0 + (self.y1 - self.y0) * (x - self.x0) / (self.x1 - self.x0)

    def crosses(self, x0: float, top: float, x1: float, bottom: float) -> bool:
        """Whether it runs through the band [x0, x1] x [top, bottom] (a word's middle)."""
        width = x1 - x0
        if width <= 0 or min(x1, self.x1) - max(x0, self.x0) < _SHARE * width:
            return False
        if self.box:  # a glyph's box: about as tall as the word it strikes (a diagram's long line is not)
            size = (bottom - top) / (_HIGH - _LOW)
            return self.y0 <= (top + bottom) / 2 <= self.y1 and self.y1 - self.y0 <= 3 * size
        lo, hi = max(x0, self.x0), min(x1, self.x1)
        ya, yb = self.y_at(lo), self.y_at(hi)
        if abs(ya - yb) < 0.5:  # horizontal: through the middle of the letters
            return top <= ya <= bottom
        return min(ya, yb) <= top and max(ya, yb) >= bottom  # slanted: it climbs through the band


def drawn_marks(drawings: list[dict]) -> list[Mark]:
    """The page's straight strokes and thin filled rules (horizontal or slanted; not vertical), a
    rule drawn in touching pieces (soul's \\st strikes syllable by syllable) joined into one."""
    out = []
    for d in drawings:
        kind = d.get("type") or ""
        for item in d["items"]:
            if item[0] == "l" and "s" in kind:
                (ax, ay), (bx, by) = item[1], item[2]
                if abs(ax - bx) > 1:
                    if ax > bx:
                        ax, ay, bx, by = bx, by, ax, ay
                    out.append(Mark(ax, ay, bx, by))
            elif item[0] == "re" and "f" in kind:
                x0, y0, x1, y1 = item[1]
                x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
                if y1 - y0 < 1.5 and x1 - x0 > 1:
                    out.append(Mark(x0, (y0 + y1) / 2, x1, (y0 + y1) / 2))
    flat = sorted((m for m in out if abs(m.y1 - m.y0) < 0.3), key=lambda m: (round(m.y0, 1), m.x0))
    joined: list[Mark] = []
    for m in flat:
        last = joined[-1] if joined else None
        if last is not None and abs(last.y0 - m.y0) < 0.3 and m.x0 <= last.x1 + 1.0:
            joined[-1] = Mark(last.x0, last.y0, max(last.x1, m.x1), last.y1)
        else:
            joined.append(m)
    return joined + [m for m in out if abs(m.y1 - m.y0) >= 0.3]


def _band(span: dict) -> tuple[float, float]:
    """The span's letters' middle band, [top, bottom] (for horizontal text; a rotated span gives
    its box's middle third)."""
    x0, y0, x1, y1 = span["bbox"]
    origin = span.get("origin")
    size = span["size"]
    if origin is None or not (y0 - 1 <= origin[1] <= y1 + 1):
        third = (y1 - y0) / 3
        return y0 + third, y1 - third
    return origin[1] - _HIGH * size, origin[1] - _LOW * size


class StrikeMarks:
    """The marks a page draws that may strike its text, indexed by height."""

    def __init__(self, drawings: list[dict], glyph_boxes: list[tuple[float, float, float, float]]) -> None:
        marks = drawn_marks(drawings) + [Mark(*box, box=True) for box in chained(glyph_boxes)]
        self._bands: dict[int, list[Mark]] = {}
        for m in marks:
            for band in range(int(min(m.y0, m.y1) // _BAND), int(max(m.y0, m.y1) // _BAND) + 1):
                self._bands.setdefault(band, []).append(m)

    def near(self, top: float, bottom: float) -> list[Mark]:
        if not self._bands:
            return []
        found: list[Mark] = []
        for band in range(int(top // _BAND), int(bottom // _BAND) + 1):
            for m in self._bands.get(band, ()):
                if min(m.y0, m.y1) <= bottom and max(m.y0, m.y1) >= top and m not in found:
                    found.append(m)
        return found

    def touches(self, span: dict) -> bool:
        """Whether a mark lies in the span's middle band over part of it (a cheap first look)."""
        top, bottom = _band(span)
        x0, _, x1, _ = span["bbox"]
        return any(m.x0 < x1 and m.x1 > x0 for m in self.near(top, bottom))

    def struck(self, span: dict) -> bool:
        """Whether a mark runs through the whole span's letters."""
        if not strikable(span):
            return False
        top, bottom = _band(span)
        x0, _, x1, _ = span["bbox"]
        return any(m.crosses(x0, top, x1, bottom) for m in self.near(top, bottom))

    def split(self, span: dict) -> list[tuple[dict, bool]]:
        """A span of the raw text layer (with its characters) cut into its struck words and the
        rest: [(part, struck)], in order."""
        chars = span["chars"]
        size = span["size"]
        if family(span["font"]) == "ex":
            return [(span, False)]
        flags = [False] * len(chars)
        start = None
        for i in range(len(chars) + 1):
            if i < len(chars) and not chars[i]["c"].isspace():
                if start is None:
                    start = i
                continue
            if start is None:
                continue
            word = chars[start:i]
            base = word[0]["origin"][1]
            top, bottom = base - _HIGH * size, base - _LOW * size
            x0, x1 = word[0]["bbox"][0], word[-1]["bbox"][2]
            if wordy("".join(ch["c"] for ch in word)) and any(
                    m.crosses(x0, top, x1, bottom) for m in self.near(top, bottom)):
                flags[start:i] = [True] * (i - start)
            start = None
        if not any(flags):
            return [(span, False)]
        struck = [i for i, f in enumerate(flags) if f]
        for i in range(struck[0], struck[-1]):  # the spaces between struck words go with them
            if chars[i]["c"].isspace() and flags[i - 1] and any(flags[i + 1:]):
                flags[i] = True
        return cut(span, flags)


def cut(span: dict, keys: list) -> list[tuple[dict, object]]:
    """A raw span cut into runs of characters with equal keys: [(piece, key)], in order."""
    chars = span["chars"]
    out: list[tuple[dict, object]] = []
    i = 0
    while i < len(chars):
        j = i
        while j < len(chars) and keys[j] == keys[i]:
            j += 1
        piece = chars[i:j]
        out.append((dict(span, chars=piece, text="".join(ch["c"] for ch in piece), origin=piece[0]["origin"],
                         bbox=(min(ch["bbox"][0] for ch in piece), min(ch["bbox"][1] for ch in piece),
                               max(ch["bbox"][2] for ch in piece), max(ch["bbox"][3] for ch in piece))),
                    keys[i]))
        i = j
    return out
