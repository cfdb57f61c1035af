"""One PDF page as the readers see it, each costly extraction fetched once.

The readers of a page (layout, visibility, formulas, grids) share its drawings, filled areas, text
trace and fonts through this wrapper; everything else is the PyMuPDF page itself. The drawings are
fetched once per page with their clipping paths (get_cdrawings(extended=True) costs less than the
plain get_drawings of the bare floor): they say whether the page clips, strokes a slanted line (a
\\cancel) or fills an area text may lie on or under, so that the costlier looks (the text trace, a
second extraction) are taken only where such things are drawn.
"""

from __future__ import annotations

from grader.ingest.grids import THIN, Fill  # THIN: a fill this thin is a rule; it hides no text
from grader.ingest.pdf.paint import page_fills

Box = tuple[float, float, float, float]


class CachedPage:
    __slots__ = ("page", "rect", "_memo", "text_clips", "wants_chars")

    def __init__(self, page) -> None:
        self.page = page
        self.rect = page.rect  # asked for every line: PyMuPDF builds a new Rect on each call
        self._memo: dict[str, object] = {}
        self.text_clips = False  # text set as a clipping path (render modes 4-7) was met on the page
        self.wants_chars = False  # a line drawn over part of a span: the page is read glyph by glyph

    def __getattr__(self, name: str):
        return getattr(self.page, name)

    def _once(self, key: str, fetch):
        if key not in self._memo:
            self._memo[key] = fetch()
        return self._memo[key]

    def get_fonts(self):
        return self._once("fonts", self.page.get_fonts)

    def _extended(self) -> list[dict]:
        return self._once("extended", lambda: self.page.get_cdrawings(extended=True))

    def get_cdrawings(self):
        """The page's paths (get_cdrawings()), without the clips and groups of the extended form."""
        return self._once("drawings", lambda: [d for d in self._extended() if d.get("type") not in ("clip", "group")])

    def get_images(self):
        return self._once("images", self.page.get_images)

    def get_texttrace(self):
        return self._once("trace", self.page.get_texttrace)

    @property
    def clips(self) -> bool:
        """The page sets a clipping path somewhere (text used as one is found by the text layer)."""
        return self._once("clips", lambda: any(d.get("type") == "clip" for d in self._extended()))

    def clip_boxes(self) -> dict[int, Box]:
        """Each path's clipping box (its seqno -> the box it is clipped to), on pages that clip."""
        def compute() -> dict[int, Box]:
            if not self.clips:
                return {}
            out: dict[int, Box] = {}
            stack: list[Box | None] = []
            for d in self._extended():
                level = d.get("level", 0) or 0
                kind = d.get("type")
                if kind in ("clip", "group"):  # what it holds is one level deeper
                    del stack[level:]
                    stack.append(tuple(d["scissor"]) if kind == "clip" else (stack[-1] if stack else None))
                elif d.get("seqno") is not None:
                    del stack[level:]
                    if stack and stack[-1] is not None:
                        out[d["seqno"]] = stack[-1]
            return out
        return self._once("clip_boxes", compute)

    def fills(self) -> list[Fill]:
        """Every filled area, cut to its clip, in paint order."""
        return self._once("fills", lambda: page_fills(self.get_cdrawings(), self.clip_boxes()))

    @property
    def area_fills(self) -> bool:
        """The page fills an area larger than a rule: text may lie on it, or under it."""
        return self._once("areas", lambda: any(f.x1 - f.x0 >= THIN and f.y1 - f.y0 >= THIN for f in self.fills()))

    @property
    def slanted_lines(self) -> bool:
        """The page strokes a slanted straight line: perhaps through text."""
        def find() -> bool:
            for d in self.get_cdrawings():
                if "s" not in (d.get("type") or ""):
                    continue
                for item in d["items"]:
                    if item[0] == "l":
                        (ax, ay), (bx, by) = item[1], item[2]
                        if abs(ax - bx) > 1 and abs(ay - by) > 1:
                            return True
            return False
        return self._once("slanted", find)
