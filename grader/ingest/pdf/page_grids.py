"""The grids of a page: their highlights read from the page's vector fills (grader/ingest/grids.py),
anchored in the text and tied to the nearest heading above them."""

from __future__ import annotations

import re

from grader.ingest.document import GridFinding
from grader.ingest.grids import Label, bbox_of, read_cells
from grader.ingest.pdf.layout import _Heading


Box = tuple[float, float, float, float]
# The line under (or over) a grid that names it: a figure's or table's caption, or a few words saying
# it is the answer or which case it is.
_FIGURE = re.compile(r"^\s*(?:fig(?:ure)?\.?|table(?:au)?)\s*\d*\s*[:.]", re.I)
_NAMES_IT = re.compile(r"\b(?:final|answer|r[ée]ponse|case|cas)\b", re.I)


def _cell_box(grid: dict[str, Label]) -> Box:
    """The grid's outer cell borders: its labels' centres, half a cell's spacing further out."""
    xs = sorted({round(lab.x, 1) for lab in grid.values()})
    ys = sorted({round(lab.y, 1) for lab in grid.values()})
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1) / 2
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1) / 2
    return (xs[0] - dx, ys[0] - dy, xs[-1] + dx, ys[-1] + dy)


def _sides(drawings: list[dict]) -> tuple[list[Box], list[Box]]:
    """The page's horizontal and vertical strokes: lines, thin filled rules (TeX's \\hrule), and the
    four sides of each rectangle drawn."""
    flat, upright = [], []
    for d in drawings:
        for item in d["items"]:
            if item[0] == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
                boxes = [(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))]
            elif item[0] == "re":
                x0, y0, x1, y1 = item[1]
                x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
                if x1 - x0 < 2 or y1 - y0 < 2:
                    boxes = [(x0, y0, x1, y1)]
                else:
                    boxes = [(x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)]
            else:
                continue
            for b in boxes:
                if b[3] - b[1] < 2 and b[2] - b[0] >= 2:
                    flat.append(b)
                elif b[2] - b[0] < 2 and b[3] - b[1] >= 2:
                    upright.append(b)
    return flat, upright


def _framed(cell: Box, others: list[Box], sides: tuple[list[Box], list[Box]], drawings: list[dict],
            margin: float = 1.5) -> bool:
    """A box drawn around this grid alone (an \\fbox, a tcolorbox, a framed environment): one shape
    or four sides outside its cell borders, not much larger than it, holding no other grid."""
    flat, upright = sides
    area = (cell[2] - cell[0]) * (cell[3] - cell[1])

    def alone(box: Box) -> bool:
        return (box[2] - box[0]) * (box[3] - box[1]) <= 6 * area and not any(
            box[0] <= o[0] and box[1] <= o[1] and box[2] >= o[2] and box[3] >= o[3] for o in others)

    for d in drawings:  # a shape around it: a tcolorbox's rounded frame, a framed rectangle
        x0, y0, x1, y1 = d["rect"]
        if x0 < cell[0] - margin and y0 < cell[1] - margin and x1 > cell[2] + margin and y1 > cell[3] + margin \
                and alone((x0, y0, x1, y1)):
            return True
    tops = [s for s in flat if s[1] < cell[1] - margin and s[0] <= cell[0] - margin and s[2] >= cell[2] + margin]
    bottoms = [s for s in flat if s[1] > cell[3] + margin and s[0] <= cell[0] - margin and s[2] >= cell[2] + margin]
    for top in tops:
        for bottom in bottoms:
            if abs(top[0] - bottom[0]) > 2 or abs(top[2] - bottom[2]) > 2:
                continue
            box = (top[0], top[1], top[2], bottom[3])
            if not alone(box):
                continue
            walls = [s for s in upright if s[1] <= box[1] + 2 and s[3] >= box[3] - 2]
            if any(abs(s[0] - box[0]) <= 2 for s in walls) and any(abs(s[0] - box[2]) <= 2 for s in walls):
                return True
    return False


def _caption(cell: Box, lines: list[tuple[str, Box]], others: list[Box]) -> str | None:
    """The caption line just below the grid, over its columns ("Figure 3: case 3", "Final answer");
    or a short title just above it ("Answer", a tcolorbox's) that is no other grid's caption."""
    best = None
    for text, (x0, y0, x1, y1) in lines:
        if x1 < cell[0] or x0 > cell[2]:
            continue
        words = len(text.split())
        if not (_FIGURE.match(text) or (words <= 6 and _NAMES_IT.search(text))):
            continue
        height = max(y1 - y0, 1.0)
        below = y0 - cell[3]
        above = cell[1] - y1
        if -1 <= below <= 2.5 * height:
            gap = below
        elif -1 <= above <= 1.5 * height and words <= 3 and not any(
                -1 <= y0 - o[3] <= 2.5 * height and o[0] < x1 and o[2] > x0 for o in others):
            gap = above + 0.5  # a title above counts after a caption below
        else:
            continue
        if best is None or gap < best[0]:
            best = (gap, text.strip())
    return best[1] if best else None


def _read_page_grids(page, pno: int, found: list[dict[str, Label]], headings: list[_Heading],
                     lines: list[tuple[str, Box]] = ()) -> list[GridFinding]:
    drawings = page.get_cdrawings()
    # a fill clipped away or at opacity 0 paints nothing: no highlight
    fills = page.fills()
    sides = _sides(drawings)
    cells = {id(grid): _cell_box(grid) for grid in found}
    out = []
    for grid in found:
        reading = read_cells(grid, fills, "pdf-fill", "pdf-text-mark")
        offset = min(lab.index for lab in grid.values())
        x0, y0, x1, y1 = bbox_of(grid)
        cell = cells[id(grid)]
        others = [b for k, b in cells.items() if k != id(grid)]
        framed = _framed(cell, others, sides, drawings)
        caption = _caption(cell, lines, others)
        heading = _heading_above(headings, pno, x0, y0, x1, y1)
        by_text = next((h for h in reversed(headings) if h.start < offset), None)
        if (heading is not None and by_text is not None and heading is not by_text
                and by_text.page == pno and by_text.bbox[0] >= x1 - 1):
            # grids side by side: the text order puts the right-hand heading before the left grid's
            # labels; anchor the grid on its own heading's line instead
            offset = heading.end - 1 if heading.end > heading.start else heading.start
        labels = tuple(sorted(grid))  # "rc" with 1-9 digits: text order is row-major order
        out.append(GridFinding(offset, reading.cells, reading.method, reading.confidence, reading.note,
                               heading.text if heading else None, pno, labels, (x0, y0, x1, y1), framed, caption))
    return out


def _heading_above(headings: list[_Heading], pno: int, x0: float, y0: float, x1: float,
                   y1: float) -> _Heading | None:
    """The nearest heading above the grid on its page, or run in at its left ("Q1.2)" then the
    table on the same line); among headings side by side at that height, the one over the grid's
    columns. Else the last heading of an earlier page (a page break in between)."""
    def bottom(h: _Heading) -> float:  # a run-in heading counts as touching the grid's top
        return min(h.bbox[3], y0)

    near = [h for h in headings if h.page == pno
            and (h.bbox[3] <= y0 + 2 or (h.bbox[2] <= x0 + 2 and h.bbox[1] < y1))]
    if near:
        nearest = max(bottom(h) for h in near)
        band = [h for h in near if nearest - bottom(h) < max(4.0, 0.8 * (h.bbox[3] - h.bbox[1]))]
        centre = (x0 + x1) / 2
        return min(band, key=lambda h: (not (h.bbox[0] < x1 and h.bbox[2] > x0 - 2),
                                        abs((h.bbox[0] + h.bbox[2]) / 2 - centre)))
    earlier = [h for h in headings if h.page < pno]
    return earlier[-1] if earlier else None
