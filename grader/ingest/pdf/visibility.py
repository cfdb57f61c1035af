"""What a reader of the printed page would not see, and why.

Per run of text (a span of the text layer), cheapest first:
- under 4 pt ("tiny text"); drawn in render mode 3 or 7, or at opacity 0 (the span's alpha);
  outside the page; struck through (strikes.py);
- in the colour of what lies under it, or under an opaque shape painted over it (paint.py): looked
  at only on pages whose content fills an area, for text on such an area; elsewhere the background
  is the white page ("white text", any colour too light to see on it).
Per page: on a page that clips (page.py: its drawings hold a clipping path, or its text sets one),
text clipped away is found by extracting the page's words with and without the clip; in a document
with an optional-content layer that is off, text only in such a layer by extracting them with every
layer on. Both are anchored where they were left out.

Cell labels ("11".."99") on a page holding a grid are the grid's own drawing: what is painted on
them is the grid reader's business (a dark cell hides its label and is plainly highlighted).
"""

from __future__ import annotations

import re

from grader.ingest.document import STRUCK_OUT
from grader.ingest.grids import THIN, Fill
from grader.ingest.pdf.paint import SEEN, WHITE, apart, blend, int_rgb, unseen
from grader.ingest.pdf.strikes import StrikeMarks, cut, is_line_font, only_slashes, slash_run

TINY = 4.0  # pt: text smaller than this is not read on paper
_FILLED, _STROKED, _CLIPPED = 16, 32, 64
QUICK_FLAGS = _CLIPPED  # a span without it, black, not tiny, opaque, with nothing drawn on it: seen
_BAND = 24.0  # pt: fills are indexed by bands of the page's height
DRAWING = "drawing"  # glyphs of a line font: part of a picture, left out without a report
_LABELS = re.compile(r"\s*(?:[1-9][1-9]\s*)+")
CELL_LABELS = frozenset(f"{r}{c}" for r in range(1, 10) for c in range(1, 10))
_HIGHLIGHT_ANNOT = 8  # PDF_ANNOT_HIGHLIGHT: drawn with a multiply blend, it never hides the text


class PageVisibility:
    """The visibility of the text of one page (a CachedPage), deciding span by span."""

    def __init__(self, page, raw_spans: list[dict]) -> None:
        self.page = page
        r = page.rect
        self.bounds = (r.x0, r.y0, r.x1, r.y1)
        self.line_fonts = line_fonts = any(is_line_font(f[3]) for f in page.get_fonts())
        glyphs = [sp["bbox"] for sp in raw_spans if (line_fonts and is_line_font(sp["font"])) or slash_run(sp)]
        # cell labels are let be only on a page that may hold a grid (25 of them at least): elsewhere
        # a list of cells is an answer like any text, and judged as such
        self.grid_page = sum(1 for sp in raw_spans if sp["text"] in CELL_LABELS) >= 25
        self.strikes = StrikeMarks(page.get_cdrawings(), glyphs)
        self._bands: dict[int, list[Fill]] = {}
        self.fills: list[Fill] = []
        if page.area_fills or page.get_images():
            self.fills = self._page_fills()
            for f in self.fills:
                if f.x1 - f.x0 >= THIN and f.y1 - f.y0 >= THIN:
                    for band in range(int(f.y0 // _BAND), int(f.y1 // _BAND) + 1):
                        self._bands.setdefault(band, []).append(f)
        self._trace: list[tuple[tuple, int, tuple]] | None = None  # the text trace's runs, once needed

    def clear(self, box: tuple[float, float, float, float]) -> bool:
        """Whether nothing is drawn on or through a line's box: no fill, no line across it (its black,
        opaque, unclipped text of normal size is then seen as it is)."""
        if self.on_fill(box):
            return False
        x0, y0, x1, y1 = box
        return not any(m.x0 < x1 and m.x1 > x0 for m in self.strikes.near(y0, y1))

    # -- the paint model

    def _page_fills(self) -> list[Fill]:
        fills = self.page.fills()
        marked = self._highlight_annotations()
        if marked:
            fills = [f for f in fills if not any(m[0] - 1 <= f.x0 and m[1] - 1 <= f.y0 and f.x1 <= m[2] + 1
                                                 and f.y1 <= m[3] + 1 for m in marked)]
        return sorted(fills + self._images(), key=lambda f: f.order)

    def _images(self) -> list[Fill]:
        """The page's images as areas of unknown colour in paint order (an image's number is its
        seqno); one with a transparency mask is left out: what it hides cannot be told."""
        if not self.page.get_images():
            return []
        return [Fill(*info["bbox"], None, info["number"], 0.0 if info.get("has-mask") else 1.0)
                for info in self.page.get_image_info()]

    def _highlight_annotations(self) -> list[tuple[float, float, float, float]]:
        out = []
        annot = self.page.first_annot
        while annot is not None:
            if annot.type[0] == _HIGHLIGHT_ANNOT:
                out.append(tuple(annot.rect))
            annot = annot.next
        return out

    def on_fill(self, box: tuple[float, float, float, float]) -> bool:
        """Whether a filled area (under or over it) meets the box."""
        if not self._bands:
            return False
        x0, y0, x1, y1 = box
        for band in range(int(y0 // _BAND), int(y1 // _BAND) + 1):
            for f in self._bands.get(band, ()):
                if f.x0 < x1 and f.x1 > x0 and f.y0 < y1 and f.y1 > y0:
                    return True
        return False

    def _seqno(self, span: dict) -> int | None:
        """When the span was painted: the text trace's character at the span's first origin (two
        runs painted at one place are told apart by their characters)."""
        if self._trace is None:
            self._trace = [(t["bbox"], t["seqno"], t["chars"]) for t in self.page.get_texttrace()]
        chars = span.get("chars")
        firsts = [(c["c"], c["origin"]) for c in chars[:4]] if chars else [(span["text"][:1], span.get("origin"))]
        for c, origin in firsts:
            if origin is None:
                continue
            x, y = origin
            found = [(chr(ch[0]), seqno) for (x0, y0, x1, y1), seqno, run in self._trace
                     if x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1
                     for ch in run if abs(ch[2][0] - x) < 0.3 and abs(ch[2][1] - y) < 0.3]
            same = [seqno for t, seqno in found if t == c]
            if same or found:
                return max(same or [seqno for _, seqno in found])
        return None

    def _painted(self, span: dict) -> str | None:
        seqno = self._seqno(span)
        if seqno is None:
            return None
        why = unseen(self.fills, seqno, int_rgb(span["color"]), span.get("alpha", 255) / 255, span["bbox"])
        if why == "covered":
            return "covered by a shape or an image drawn over it"
        if why == "background":
            return "the colour of its background"
        return None

    # -- the verdict

    def judge(self, span: dict, clear: bool = False) -> list[tuple[dict, str | None]]:
        """The span, or its pieces when a drawn mark strikes some of its words only, each with the
        reason a reader would not see it (None: seen). `clear`: nothing is drawn on its line."""
        if clear:
            return [(span, self.reason(span, clear=True))]
        text = span["text"]
        if self._drawing(span):
            return [(span, DRAWING)]
        if self.grid_page and not span["color"] and span.get("alpha", 255) == 255 and span["size"] >= TINY and (
                text in CELL_LABELS or (text[:1].isdigit() and _LABELS.fullmatch(text))):
            return [(span, None)]  # cell labels, in black: a grid's own drawing, never an answer
        touched = self.strikes.touches(span)
        edges = self._fill_edges(span)
        if "chars" not in span:
            if (touched and not self.strikes.struck(span)) or edges:
                self.page.wants_chars = True  # a mark or a fill over part of it: read the page glyph by glyph
            return [(span, self.reason(span))]
        if not touched and not edges:
            return [(span, self.reason(span))]
        out = []
        for part, struck in self.strikes.split(span) if touched else [(span, False)]:
            if struck:
                out.append((part, _unseen_anywhere(part, self.bounds) or STRUCK_OUT))
                continue
            edges = self._fill_edges(part)
            if not edges:
                out.append((part, self.reason(part)))
                continue
            # a fill whose edge falls inside the run (a box over its last words): judge each side apart
            sides = [sum((ch["bbox"][0] + ch["bbox"][2]) / 2 > e for e in edges) for ch in part["chars"]]
            out += [(piece, self.reason(piece)) for piece, _ in cut(part, sides)]
        return out

    def _drawing(self, span: dict) -> bool:
        """Glyphs that draw rather than write: a line font's, a run of slashes set over words."""
        text = span["text"]
        return (self.line_fonts and is_line_font(span["font"])) or ("///" in text and only_slashes(text))

    def _fill_edges(self, span: dict) -> list[float]:
        """The x of fill edges inside the span's box, of fills across its middle."""
        if not self._bands or not span["text"].strip():
            return []
        x0, y0, x1, y1 = span["bbox"]
        mid = (y0 + y1) / 2
        edges = set()
        for band in range(int(y0 // _BAND), int(y1 // _BAND) + 1):
            for f in self._bands.get(band, ()):
                if f.y0 <= mid <= f.y1 and f.x0 < x1 and f.x1 > x0:
                    edges.update(e for e in (f.x0, f.x1) if x0 + 1 < e < x1 - 1)
        return sorted(edges)

    def reason(self, span: dict, clear: bool = False) -> str | None:
        """Why a reader would not see this span, or None. Spaces are judged too, so that hidden
        words keep their spaces (on a fill, a space is let be). `clear`: nothing is drawn on or
        through it."""
        if span.get("char_flags", 0) & _CLIPPED:
            self.page.text_clips = True  # what follows may be clipped to it: read the page with its clip
        why = _unseen_anywhere(span, self.bounds)
        if why:
            return why
        text = span["text"]
        if self._drawing(span):
            return DRAWING
        if not clear:
            if "chars" not in span and self.strikes.struck(span):
                return STRUCK_OUT
            if self._bands and self.on_fill(span["bbox"]):
                if not text.strip() or (self.grid_page and _LABELS.fullmatch(text)):
                    return None  # a space, or a cell label on its cell's fill (the grid reader's business)
                return self._painted(span)
        return _unseen_on_white(span) if span["color"] or span.get("alpha", 255) < 255 else None


def marks_drawn(page) -> bool:
    """Whether the page may strike words with marks the text layer cannot place word by word
    (slanted lines, line-font glyphs): such a page is read with its characters."""
    return page.slanted_lines or any(is_line_font(f[3]) for f in page.get_fonts())


def _unseen_anywhere(span: dict, bounds: tuple[float, float, float, float]) -> str | None:
    """Reasons that hold whatever is drawn around the span: its size, its render mode or opacity,
    its place off the page."""
    if span["size"] < TINY:
        return "tiny text"
    if span.get("alpha", 255) == 0:
        flags = span.get("char_flags", _FILLED)
        if flags & _CLIPPED or not flags & (_FILLED | _STROKED):
            return "invisible render mode"
        return "opacity 0"
    x0, y0, x1, y1 = span["bbox"]
    if x1 <= bounds[0] or x0 >= bounds[2] or y1 <= bounds[1] or y0 >= bounds[3]:
        return "outside the page"
    return None


def _unseen_on_white(span: dict) -> str | None:
    color, alpha = span["color"], span.get("alpha", 255)
    if color or alpha < 255:
        glyph = blend(int_rgb(color), WHITE, alpha / 255)
        if apart(glyph, WHITE) < SEEN:
            return "white text" if alpha == 255 else "too faint to see"
    return None


def bare_reason(span: dict, bounds: tuple[float, float, float, float]) -> str | None:
    """The verdict without the page's drawings (a caller that has only the text layer)."""
    return _unseen_anywhere(span, bounds) or _unseen_on_white(span)


def words_apart(page, flags: int, other_page=None, clip_flag: int = 0) -> list[tuple[str, tuple]]:
    """Words of `page` extracted as given but missing when extracted with `clip_flag` added (the
    words a clipping path cuts away), or missing from `page` and present on `other_page` (the same
    page with every layer on): [(word, box)], in reading order."""
    import pymupdf

    everywhere = pymupdf.INFINITE_RECT()
    if other_page is None:
        shown = page.get_text("words", flags=flags | clip_flag, clip=everywhere)
        full = page.get_text("words", flags=flags, clip=everywhere)
    else:
        shown = page.get_text("words", flags=flags, clip=everywhere)
        full = other_page.get_text("words", flags=flags, clip=everywhere)
    seen: dict[tuple, int] = {}
    for w in shown:
        key = (w[4], round(w[0]), round(w[1]))
        seen[key] = seen.get(key, 0) + 1
    out = []
    for w in full:
        key = (w[4], round(w[0]), round(w[1]))
        if seen.get(key):
            seen[key] -= 1
            continue
        if w[4].strip():
            out.append((w[4], (w[0], w[1], w[2], w[3])))
    return out


def all_layers_on(data: bytes, doc):
    """The document opened again with every optional-content layer shown, when some layer is off
    (what is only in such a layer is hidden text); None when no layer is off."""
    try:
        layers = doc.get_ocgs()
    except Exception:
        return None
    if not layers or all(info.get("on", True) for info in layers.values()):
        return None
    import pymupdf

    shown = pymupdf.open(stream=data, filetype="pdf")
    try:
        for layer in shown.layer_ui_configs():
            shown.set_layer_ui_config(layer["number"], 0)  # 0: on
    except Exception:
        shown.close()
        return None
    return shown


def placed_apart(lines: list, trailing: list[tuple[str, str]], words: list[tuple[str, tuple]], rect,
                 reason: str = "clipped away") -> None:
    """Words left out of the page's text apart from its lines (clipped away, in a hidden layer) added
    to its hidden text, each run before the first line that starts below it (or after the last)."""
    b = (rect.x0, rect.y0, rect.x1, rect.y1)
    runs: list[tuple[int, str, list[str]]] = []  # (line index, reason, words)
    for word, (x0, y0, x1, y1) in words:
        why = reason
        if reason == "clipped away" and (x1 <= b[0] or x0 >= b[2] or y1 <= b[1] or y0 >= b[3]):
            why = "outside the page"
        at = next((i for i, line in enumerate(lines) if line.bbox[1] >= y0 - 1), len(lines))
        if runs and runs[-1][0] == at and runs[-1][1] == why:
            runs[-1][2].append(word)
        else:
            runs.append((at, why, [word]))
    for at, why, found in runs:
        entry = (" ".join(found), why)
        if at < len(lines):
            lines[at].hidden.append(entry)
        else:
            trailing.append(entry)
