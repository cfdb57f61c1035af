"""The grids of a page: their highlights read from the page's vector fills (grader/ingest/grids.py),
anchored in the text and tied to the nearest heading above them."""

from __future__ import annotations

from grader.ingest.document import GridFinding
from grader.ingest.grids import Fill, Label, bbox_of, read_cells
from grader.ingest.pdf.layout import _Heading


def _fill_rgb(fill) -> tuple[float, float, float] | None:
    if fill is None:
        return None
    if len(fill) == 1:
        return (fill[0],) * 3
    if len(fill) == 4:
        c, m, y, k = fill
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return tuple(fill[:3])


def _fills(page) -> list[Fill]:
    """Every filled area of the page, one per subpath: a TikZ \\fill with several rectangles
    arrives as one drawing whose bounding box spans the gaps between them."""
    fills: list[Fill] = []
    for order, d in enumerate(page.get_cdrawings()):
        rgb = _fill_rgb(d.get("fill"))
        if rgb is None:
            continue
        box: list[float] | None = None
        last = None
        for item in d["items"]:
            kind = item[0]
            if kind == "re":
                if box:
                    fills.append(Fill(*box, rgb, order))
                    box = None
                x0, y0, x1, y1 = item[1]
                fills.append(Fill(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), rgb, order))
                last = None
                continue
            pts = item[1] if kind == "qu" else item[1:]
            first = pts[0]
            if kind == "qu" or last is None or abs(first[0] - last[0]) > 0.01 or abs(first[1] - last[1]) > 0.01:
                if box:
                    fills.append(Fill(*box, rgb, order))
                box = [first[0], first[1], first[0], first[1]]
            for x, y in pts:
                box[0], box[1] = min(box[0], x), min(box[1], y)
                box[2], box[3] = max(box[2], x), max(box[3], y)
            last = pts[-1] if kind != "qu" else None
            if kind == "qu":
                fills.append(Fill(*box, rgb, order))
                box = None
        if box:
            fills.append(Fill(*box, rgb, order))
    return fills


def _read_page_grids(page, pno: int, found: list[dict[str, Label]], headings: list[_Heading]) -> list[GridFinding]:
    fills = _fills(page)
    out = []
    for grid in found:
        reading = read_cells(grid, fills, "pdf-fill", "pdf-text-mark")
        offset = min(lab.index for lab in grid.values())
        x0, y0, x1, y1 = bbox_of(grid)
        heading = _heading_above(headings, pno, x0, y0, x1, y1)
        by_text = next((h for h in reversed(headings) if h.start < offset), None)
        if (heading is not None and by_text is not None and heading is not by_text
                and by_text.page == pno and by_text.bbox[0] >= x1 - 1):
            # grids side by side: the text order puts the right-hand heading before the left grid's
            # labels; anchor the grid on its own heading's line instead
            offset = heading.end - 1 if heading.end > heading.start else heading.start
        labels = tuple(sorted(grid))  # "rc" with 1-9 digits: text order is row-major order
        out.append(GridFinding(offset, reading.cells, reading.method, reading.confidence, reading.note,
                               heading.text if heading else None, pno, labels))
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
