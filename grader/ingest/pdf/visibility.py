"""What a reader of the printed page would not see: white, tiny or off-page text."""

from __future__ import annotations

_WHITE_TEXT = 0.95  # text lighter than this on every channel is invisible on paper
_TINY = 2.0  # pt


def _hidden_reason(span: dict, page: tuple[float, float, float, float]) -> str | None:
    # spaces are classified too, so that hidden words keep their spaces
    if span["size"] < _TINY:
        return "tiny text"
    color = span["color"]
    if color and min(color >> 16 & 255, color >> 8 & 255, color & 255) > _WHITE_TEXT * 255:
        return "white text"
    x0, y0, x1, y1 = span["bbox"]
    if x1 <= page[0] or x0 >= page[2] or y1 <= page[1] or y0 >= page[3]:
        return "outside the page"
    return None

