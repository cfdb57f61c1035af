"""PDFs that hide, strike or fake what a TA sees, drawn with PyMuPDF: one maker per class of trick.

Used by tests/test_pdf_visibility.py and by the red team (bench/red_team_pdf_attacks.py). Each PDF is a
small submission page: "Question 3", a part heading with the answer the TA sees, and the trick,
then "Question 4". Grids are 5 x 5 tables of labelled cells with fills drawn under the labels.
"""

from __future__ import annotations

import pymupdf

SIZE = 11.0
# ways to draw text a reader does not see
TEXT_TRICKS = ("render mode 3", "render mode 7", "opacity 0", "clipped away", "covered by a box",
               "covered by a disc", "hidden layer", "background colour", "black on black", "3 pt",
               "off the page", "white")
STRIKES = ("rule", "slanted", "cross")
GRID_TRICKS = ("opacity 0", "clipped", "hidden layer", "faint")

HIGHLIGHT = (0.7, 0.7, 1.0)
FAINT = (0.88, 0.88, 0.88)


def _hex(text: str) -> str:
    return text.encode("latin-1").hex()


def _raw(doc, page, ops: str) -> None:
    """Append raw content operators to the page (its font /helv registered by an earlier text)."""
    xref = page.get_contents()[-1]
    doc.update_stream(xref, doc.xref_stream(xref) + b"\n" + ops.encode() + b"\n")


def new_page(title: str = "Question 3"):
    """A one-page PDF titled `title` (its font, /helv, is registered for raw content)."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), title, fontsize=13, fontname="helv")
    return doc, page


def hide_text(doc, page, at: tuple[float, float], text: str, trick: str) -> None:
    """Write `text` at `at` (its baseline's start) so that no reader sees it."""
    x, y = at
    if trick in ("render mode 3", "render mode 7"):
        page.insert_text(at, text, fontsize=SIZE, fontname="helv", render_mode=int(trick[-1]))
    elif trick == "opacity 0":
        page.insert_text(at, text, fontsize=SIZE, fontname="helv", fill_opacity=0)
    elif trick == "clipped away":  # inside a clipping path one point wide, far from the text
        height = page.rect.height
        _raw(doc, page, f"q 0 0 1 1 re W n BT /helv {SIZE:g} Tf {x:g} {height - y:g} Td <{_hex(text)}> Tj ET Q")
    elif trick in ("covered by a box", "covered by a disc"):
        page.insert_text(at, text, fontsize=SIZE, fontname="helv")
        box = pymupdf.Rect(x - 2, y - SIZE, x + pymupdf.get_text_length(text, "helv", SIZE) + 2, y + 4)
        if trick == "covered by a box":
            page.draw_rect(box, color=None, fill=(1, 1, 1))
        else:
            page.draw_oval(box + (-12, -10, 12, 10), color=None, fill=(1, 1, 1))
    elif trick == "hidden layer":
        layer = doc.add_ocg("notes", on=False)
        page.insert_text(at, text, fontsize=SIZE, fontname="helv", oc=layer)
    elif trick in ("background colour", "black on black"):
        colour = (0.2, 0.4, 0.8) if trick == "background colour" else (0, 0, 0)
        box = pymupdf.Rect(x - 4, y - SIZE - 2, x + pymupdf.get_text_length(text, "helv", SIZE) + 4, y + 5)
        page.draw_rect(box, color=None, fill=colour)
        page.insert_text(at, text, fontsize=SIZE, fontname="helv", color=colour)
    elif trick == "3 pt":
        page.insert_text(at, text, fontsize=3, fontname="helv")
    elif trick == "off the page":
        page.insert_text((page.rect.width + 40, y), text, fontsize=SIZE, fontname="helv")
    elif trick == "white":
        page.insert_text(at, text, fontsize=SIZE, fontname="helv", color=(1, 1, 1))
    else:
        raise ValueError(trick)


def text_pdf(heading: str, shown: str, hidden: str | None = None, trick: str = "") -> bytes:
    """A part whose answer the TA sees (`shown`), with `hidden` written by the trick just before it."""
    doc, page = new_page()
    if hidden is not None:
        hide_text(doc, page, (72, 100), f"{heading} {hidden}", trick)
    page.insert_text((72, 124), f"{heading} {shown}", fontsize=SIZE, fontname="helv")
    page.insert_text((72, 170), "Question 4", fontsize=13, fontname="helv")
    return doc.tobytes()


def struck_pdf(heading: str, struck: str, kept: str, mark: str) -> bytes:
    """"<heading> Answer: <struck> <kept>." with a line drawn through `struck` (mark: STRIKES)."""
    doc, page = new_page()
    head = f"{heading} Answer: "
    y = 100.0
    page.insert_text((72, y), f"{head}{struck} {kept}.", fontsize=SIZE, fontname="helv")
    x0 = 72 + pymupdf.get_text_length(head, "helv", SIZE)
    x1 = x0 + pymupdf.get_text_length(struck, "helv", SIZE)
    if mark == "rule":
        page.draw_line((x0 - 1, y - 0.3 * SIZE), (x1 + 1, y - 0.3 * SIZE), width=0.6)
    else:
        page.draw_line((x0 - 1, y + 2), (x1 + 1, y - 0.8 * SIZE), width=0.6)
        if mark == "cross":
            page.draw_line((x0 - 1, y - 0.8 * SIZE), (x1 + 1, y + 2), width=0.6)
    page.insert_text((72, 170), "Question 4", fontsize=13, fontname="helv")
    return doc.tobytes()


def grid_pdf(heading: str, shown: set[str], hidden: set[str] = frozenset(), trick: str = "") -> bytes:
    """A 5 x 5 grid of labelled cells under `heading`: `shown` cells filled in plain sight, `hidden`
    cells filled by the trick (GRID_TRICKS)."""
    doc, page = new_page("Question 1")
    page.insert_text((72, 100), f"{heading} The receptive field:", fontsize=SIZE, fontname="helv")
    cell, left, top = 24.0, 100.0, 116.0
    layer = doc.add_ocg("highlights", on=False) if trick == "hidden layer" else None
    clipped = []
    for r in range(1, 6):
        for c in range(1, 6):
            label = f"{r}{c}"
            box = pymupdf.Rect(left + (c - 1) * cell, top + (r - 1) * cell, left + c * cell, top + r * cell)
            if label in shown:
                page.draw_rect(box, color=None, fill=HIGHLIGHT)
            elif label in hidden:
                if trick == "opacity 0":
                    page.draw_rect(box, color=None, fill=HIGHLIGHT, fill_opacity=0)
                elif trick == "hidden layer":
                    page.draw_rect(box, color=None, fill=HIGHLIGHT, oc=layer)
                elif trick == "faint":
                    page.draw_rect(box, color=None, fill=FAINT)
                elif trick == "clipped":
                    clipped.append(box)
                else:
                    raise ValueError(trick)
            page.draw_rect(box, color=(0, 0, 0), width=0.5)
            page.insert_text((box.x0 + 7, box.y1 - 8), label, fontsize=SIZE, fontname="helv")
    height = page.rect.height
    for box in clipped:  # filled inside a clipping path one point wide: nothing is painted
        _raw(doc, page, f"q 0 0 1 1 re W n {' '.join(f'{v:g}' for v in HIGHLIGHT)} rg "
                        f"{box.x0:g} {height - box.y1:g} {box.width:g} {box.height:g} re f Q")
    page.insert_text((72, top + 5 * cell + 40), "Question 2", fontsize=13, fontname="helv")
    return doc.tobytes()
