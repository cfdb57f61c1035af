"""Paint order: the page's filled areas, and what a reader sees of a run of text among them.

A PDF paints in order: later marks cover earlier ones. Text is seen where its colour, blended by its
opacity over what was painted before it, differs from that background, and no opaque shape was
painted over it afterwards. Both are judged at a few points across the run, composing the fills
under each point in their paint order (PyMuPDF's seqno, shared by drawings and the text trace).
A fill clipped away paints nothing; a fill at opacity 0 neither. An opaque image painted over text
covers it; under text, its colours are not looked at (the text counts as seen).
"""

from __future__ import annotations

from grader.ingest.grids import RGB, Fill, cmyk_to_rgb

WHITE: RGB = (1.0, 1.0, 1.0)
# Text whose every channel is within this of its background is not seen on paper (on white: lighter
# than 0.9 on every channel), nor is text under a shape that makes it so.
SEEN = 0.1
_SAMPLES = 5


def fill_rgb(fill) -> RGB | None:
    if fill is None:
        return None
    if len(fill) == 1:
        return (fill[0],) * 3
    if len(fill) == 4:
        return cmyk_to_rgb(*fill)
    return tuple(fill[:3])


def _clip(box: tuple[float, float, float, float], clip) -> tuple[float, float, float, float] | None:
    if clip is None:
        return box
    x0, y0, x1, y1 = max(box[0], clip[0]), max(box[1], clip[1]), min(box[2], clip[2]), min(box[3], clip[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def page_fills(drawings: list[dict], clips: dict[int, tuple] | None = None) -> list[Fill]:
    """Every filled area of the page, one per subpath (a TikZ \\fill with several rectangles arrives
    as one drawing whose bounding box spans the gaps between them), cut to its clipping box; areas
    clipped away or at opacity 0 are left out. `order` is the paint order (seqno)."""
    fills: list[Fill] = []
    clips = clips or {}
    for index, d in enumerate(drawings):
        rgb = fill_rgb(d.get("fill"))
        if rgb is None:
            continue
        opacity = d.get("fill_opacity")
        opacity = 1.0 if opacity is None else float(opacity)
        if opacity <= 0.0:
            continue
        order = d.get("seqno", index)
        clip = clips.get(order)
        exact = True
        boxes: list[list[float]] = []
        box: list[float] | None = None
        last = None
        for item in d["items"]:
            kind = item[0]
            if kind == "re":
                if box:
                    boxes.append(box)
                    box = None
                x0, y0, x1, y1 = item[1]
                boxes.append([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)])
                last = None
                continue
            exact = exact and kind != "c"
            pts = item[1] if kind == "qu" else item[1:]
            first = pts[0]
            if kind == "qu" or last is None or abs(first[0] - last[0]) > 0.01 or abs(first[1] - last[1]) > 0.01:
                if box:
                    boxes.append(box)
                box = [first[0], first[1], first[0], first[1]]
            for x, y in pts:
                box[0], box[1] = min(box[0], x), min(box[1], y)
                box[2], box[3] = max(box[2], x), max(box[3], y)
            last = pts[-1] if kind != "qu" else None
            if kind == "qu":
                boxes.append(box)
                box = None
        if box:
            boxes.append(box)
        for b in boxes:
            kept = _clip(tuple(b), clip)
            if kept is not None:
                fills.append(Fill(*kept, rgb, order, opacity, exact))
    return fills


def blend(top: RGB, under: RGB, alpha: float) -> RGB:
    return (top[0] * alpha + under[0] * (1 - alpha), top[1] * alpha + under[1] * (1 - alpha),
            top[2] * alpha + under[2] * (1 - alpha))


def apart(a: RGB, b: RGB) -> float:
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]), abs(a[2] - b[2]))


def int_rgb(color: int) -> RGB:
    return ((color >> 16 & 255) / 255, (color >> 8 & 255) / 255, (color & 255) / 255)


def _inside(f: Fill, x: float, y: float) -> bool:
    if f.exact:
        return f.x0 <= x <= f.x1 and f.y0 <= y <= f.y1
    # a curved shape's box overstates it: count its middle only (a disc covers its centre, not corners)
    mx, my = (f.x1 - f.x0) * 0.15, (f.y1 - f.y0) * 0.15
    return f.x0 + mx <= x <= f.x1 - mx and f.y0 + my <= y <= f.y1 - my


def seen_at(fills: list[Fill], seqno: int, rgb: RGB, alpha: float, x: float, y: float) -> str | None:
    """Why the text painted at `seqno` is not seen at (x, y), or None. `fills` in paint order."""
    under = WHITE
    glyph = None
    for f in fills:
        if not _inside(f, x, y):
            continue
        if glyph is None and f.order > seqno:
            glyph = blend(rgb, under, alpha)
            if apart(glyph, under) < SEEN:
                return "background"
        if f.rgb is None:  # an image: opaque over the text, unknown under it (taken as the page)
            if glyph is not None and f.opacity >= 1.0:
                return "covered"
            continue
        under = blend(f.rgb, under, f.opacity)
        if glyph is not None:
            glyph = blend(f.rgb, glyph, f.opacity)
    if glyph is None:
        glyph = blend(rgb, under, alpha)
        return "background" if apart(glyph, under) < SEEN else None
    return "covered" if apart(glyph, under) < SEEN else None


def unseen(fills: list[Fill], seqno: int, rgb: RGB, alpha: float, box: tuple[float, float, float, float]
           ) -> str | None:
    """Why a run of text is not seen ("background": its colour is its background's; "covered": a
    shape painted over it hides it), judged at points across its middle: most of them decide."""
    x0, y0, x1, y1 = box
    y = (y0 + y1) / 2
    width = x1 - x0
    votes: dict[str | None, int] = {}
    for k in range(_SAMPLES):
        x = x0 + width * (0.1 + 0.8 * k / (_SAMPLES - 1))
        why = seen_at(fills, seqno, rgb, alpha, x, y)
        votes[why] = votes.get(why, 0) + 1
    why, count = max(votes.items(), key=lambda kv: (kv[1], kv[0] is None))
    return why if count * 2 > _SAMPLES else None
