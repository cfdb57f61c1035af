"""PDF: the text layer in reading order, the grids' highlights from the vector fills, hidden text.

PyMuPDF (imported lazily: reading a .txt must not pay for it) gives the spans with their positions,
fonts and colours, and the page's drawings. Grids are found from their 25 labels laid out as a
grid; each label takes the topmost fill under its centre (grader/ingest/grids.py). Drawings are
only fetched for pages that hold a grid (with get_cdrawings, half the cost of get_drawings), which
keeps the whole ingest within 2x a bare open + get_text + get_drawings (bench/bench_ingest.py).
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grader.ingest.document import Document, GridFinding, HiddenText
from grader.ingest.grids import (HEADING, Fill, Label, bbox_of, checkbox_options, find_grids, has_checkbox,
                                 read_cells)
from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.text import students_from_text

# a cell label, or a row of labels run together by very tight columns ("1112131415")
_LABEL = re.compile(r"(?<![\w.,])((?:[1-9][1-9])+)(?![\w.,])")
_LABELS = frozenset(f"{r}{c}" for r in range(1, 10) for c in range(1, 10))
_WHOLE = ((0, 2),)
_WHITE_TEXT = 0.95  # text lighter than this on every channel is invisible on paper
_TINY = 2.0  # pt
_SCAN_CHARS = 40
# A line holding only a heading's number ("Q1.1)", "3.2", "(a)", "Question 3"), which a PDF may
# place apart from the rest of its line, or a heading word cut from its number by a line break.
_HEADING_TOKEN = re.compile(r"^\s*(?:(?:Q(?:uestion)?|Problem|Exercise|Part|Answer)?\s*\d+(?:\.\d+)*\s*"
                            r"(?:\.?\(?[a-h]\)?)?\s*[):.]?|\(?[a-h]\))\s*$", re.I)
_HEADING_WORD = re.compile(r"^\s*(?:Q|Question|Problem|Exercise|Part|Answer|Solution)\s*$", re.I)


@dataclass(slots=True)
class _Line:
    text: str
    page: int
    bbox: tuple[float, float, float, float]
    size: float
    labels: list[tuple[str, float, float, float, float, tuple, int]] = field(default_factory=list)
    hidden: list[tuple[str, str]] = field(default_factory=list)  # (text, reason) left out before it


@dataclass
class _Heading:
    text: str
    page: int
    bbox: tuple[float, float, float, float]
    start: int
    end: int  # end of its line in Document.text


def _fill_rgb(fill) -> tuple[float, float, float] | None:
    if fill is None:
        return None
    if len(fill) == 1:
        return (fill[0],) * 3
    if len(fill) == 4:
        c, m, y, k = fill
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return tuple(fill[:3])


def _open(data: bytes, name: str, limits: Limits):
    import pymupdf  # lazily: ~0.15 s, only when a PDF is read

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    if len(data) > limits.max_file_bytes:
        raise RejectedFile(f"{name} is {len(data) / 1e6:.1f} MB, more than the "
                           f"{limits.max_file_bytes / 1e6:.0f} MB allowed")
    if b"%PDF-" not in data[:1024]:
        raise RejectedFile(f"{name} is not a PDF (its content does not start like one); "
                           f"export or print your document to PDF again")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise RejectedFile(f"{name} is not a readable PDF ({str(exc)[:100] or type(exc).__name__})") from exc
    if doc.needs_pass:
        doc.close()
        raise RejectedFile(f"{name} is password-protected; upload it without a password")
    if doc.page_count == 0:
        doc.close()
        raise RejectedFile(f"{name} is damaged or truncated: no page could be read (upload it again)")
    if doc.page_count > limits.max_pages:
        count = doc.page_count
        doc.close()
        raise RejectedFile(f"{name} has {count} pages, more than the {limits.max_pages} read")
    pymupdf.TOOLS.mupdf_warnings()  # clear what the opening logged
    return pymupdf, doc


def read_pdf(path: Path, limits: Limits, root: Path | None = None) -> list[Document]:
    return [read_pdf_bytes(path.read_bytes(), path.name, limits)]


def read_pdf_bytes(data: bytes, name: str, limits: Limits) -> Document:
    started = time.monotonic()
    pymupdf, doc = _open(data, name, limits)
    problems: list[str] = []
    if doc.is_repaired:
        problems.append(f"{name} was damaged and had to be repaired to be read; check that it opens "
                        f"correctly and that nothing is missing")
    # no TEXT_MEDIABOX_CLIP: text outside the page must be seen to be reported as hidden
    flags = pymupdf.TEXT_PRESERVE_WHITESPACE
    everywhere = pymupdf.INFINITE_RECT()  # and no clip either
    page_count = doc.page_count
    pieces: list[str] = []
    length = 0
    hidden: list[HiddenText] = []
    headings: list[_Heading] = []
    grids: list[GridFinding] = []
    scanned: list[int] = []
    try:
        for pno in range(doc.page_count):
            if time.monotonic() - started > limits.parse_seconds:
                raise RejectedFile(f"{name} took longer than {limits.parse_seconds:g} s to read")
            page = doc[pno]
            lines, trailing_hidden = _page_lines(page, pno + 1, flags, everywhere)
            lines = _join_split_headings(lines)
            page_labels: list[Label] = []
            visible = 0  # characters of visible text on the page
            prev_option = None
            for line in lines:
                start = length
                # hidden text is anchored where it was left out, so it can be tied to a part
                hidden += [HiddenText(t, reason, pno + 1, start) for t, reason in line.hidden]
                text = line.text.rstrip()
                if not line.labels:
                    text, prev_option = _relabel_checked_item(text, prev_option)
                pieces.append(text + "\n")
                length += len(text) + 1
                visible += len(text)
                for lab_text, x, y, w, h, style, pos in line.labels:
                    page_labels.append(Label(lab_text, x, y, w, h, style, start + pos))
                m = HEADING.match(text) if _may_be_heading(text) else None
                if m and not _OPTION_LINE.match(text):
                    prev_option = None  # a new part: its options start afresh
                if m:
                    headings.append(_Heading(m["h"].strip(), pno + 1, line.bbox, start, start + len(text)))
            hidden += [HiddenText(t, reason, pno + 1, length) for t, reason in trailing_hidden]
            # a scan: images, and at most a page number or a scanner app's footer as text
            if visible < _SCAN_CHARS and page.get_images():
                scanned.append(pno + 1)
            found = find_grids(page_labels) if len(page_labels) >= 25 else []
            if found:
                grids += _read_page_grids(page, pno + 1, found, headings)
            if length > limits.max_text_chars:
                raise RejectedFile(f"{name} has more than {limits.max_text_chars:,} characters of text")
    finally:
        doc.close()
    text = "".join(pieces)
    unreadable = None
    if scanned:
        if len(scanned) == page_count:
            unreadable = f"{name} has no text layer (a scan or a photo?); a TA will read it"
        else:
            pages = ", ".join(str(p) for p in scanned)
            unreadable = (f"page{'s' if len(scanned) > 1 else ''} {pages} of {name} "
                          f"{'have' if len(scanned) > 1 else 'has'} no text layer (scanned?); "
                          f"answers there are left to a TA")
        problems.append(unreadable)
    if hidden:
        problems.append(f"{name} holds text a reader cannot see (white, tiny or off the page); "
                        f"it was not graded")
    return Document(source=name, kind="pdf", text=text, grids=grids, pages=page_count, hidden=hidden,
                    unreadable=unreadable, problems=problems, students=students_from_text(text))


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


def _page_lines(page, pno: int, flags: int, clip) -> tuple[list[_Line], list[tuple[str, str]]]:
    """The page's visible lines, each with the hidden text met since the previous one, and the
    hidden text after the last line."""
    r = page.rect
    bounds = bx0, by0, bx1, by1 = (r.x0, r.y0, r.x1, r.y1)
    lines: list[_Line] = []
    hidden: list[tuple[str, str]] = []
    for block in page.get_text("dict", flags=flags, clip=clip)["blocks"]:
        if block.get("type") != 0:
            continue
        for line in block["lines"]:
            spans = line["spans"]
            lx0, ly0, lx1, ly1 = line["bbox"]
            # fast path: black text of normal size, inside the page (nearly every line)
            plain = bx0 < lx0 and by0 < ly0 and lx1 < bx1 and ly1 < by1
            if plain:
                for sp in spans:
                    if sp["color"] or sp["size"] < _TINY:
                        plain = False
                        break
            if not plain:
                kept = []
                hidden_parts: dict[str, list[str]] = {}
                for sp in spans:
                    reason = _hidden_reason(sp, bounds)
                    if reason:
                        hidden_parts.setdefault(reason, []).append(sp["text"])
                    else:
                        kept.append(sp)
                for reason, texts in hidden_parts.items():
                    if "".join(texts).strip():
                        hidden.append((" ".join("".join(texts).split()), reason))
                if len(kept) != len(spans):
                    spans = kept
                    if not spans:
                        continue
                    lx0, ly0 = min(sp["bbox"][0] for sp in spans), min(sp["bbox"][1] for sp in spans)
                    lx1, ly1 = max(sp["bbox"][2] for sp in spans), max(sp["bbox"][3] for sp in spans)
            text = "".join([sp["text"] for sp in spans])
            if not text.strip():
                continue
            labels = []
            if not _LABEL.search(text):
                text = _tidy(text)
            else:
                pos = 0
                for sp in spans:
                    s = sp["text"]
                    n = len(s)
                    if n == 2:
                        found = _WHOLE if s in _LABELS else ()
                    else:
                        found = _label_positions(s) if n > 2 else ()
                    if found:
                        x0, y0, x1, y1 = sp["bbox"]
                        style = (sp["color"], bool(sp["flags"] & 16))
                        for start, end in found:
                            if end - start == n:
                                cx, w = (x0 + x1) / 2, x1 - x0
                            else:  # several words in one span: place the label by its characters
                                cx = x0 + (x1 - x0) * (start + end) / (2 * n)
                                w = (x1 - x0) * (end - start) / n
                            labels.append((s[start:end], cx, (y0 + y1) / 2, w, y1 - y0, style, pos + start))
                    pos += n
            lines.append(_Line(text, pno, (lx0, ly0, lx1, ly1), ly1 - ly0, labels, hidden))
            hidden = []
    return lines, hidden


_OPTION_LINE = re.compile(r"^\s*(?:•\s*)?(?:\[[x ]\]\s*)?\(([a-g])\)")


def _relabel_checked_item(text: str, prev_option: str | None) -> tuple[str, str | None]:
    """Check marks the text layer separates from their option letter.

    `\\item[\\checkmark]` prints a mark instead of its letter: after "(a) ...", a line "✓ ..." is
    option (b), checked. A mark at the end of an option whose text wrapped (a fraction breaks a
    formula over lines) belongs to the last option seen: "... ✓" -> "... [x] (b)".
    Returns the line and the option the following lines belong to."""
    m = _OPTION_LINE.match(text)
    if m:
        return text, m.group(1)
    if not prev_option or "✓" not in text:
        return text, prev_option
    stripped = text.lstrip()
    if stripped[:1] == "✓" and not _OPTION_LINE.match(stripped[1:]):
        letter = chr(ord(prev_option) + 1)
        return f"[x] ({letter}) {stripped[1:].lstrip()}", letter
    if not _ANY_OPTION.search(text):
        return text.replace("✓", f"[x] ({prev_option})", 1), prev_option
    return text, prev_option


_ANY_OPTION = re.compile(r"(?<![\w\\])[(\[][a-hA-H][)\]]")


# A cheap filter before the heading regexes: most lines of a grid page are bare labels.
_MAY_BE_HEADING = re.compile(r"\s*(?:[QqPpEeAaSs(\\#*\[]|\d[^.\n]{0,5}\.)")


def _may_be_heading(text: str) -> bool:
    return _MAY_BE_HEADING.match(text) is not None


# pdflatex's OT1 fonts print an accent as its own glyph before the letter ("Jos´e"); cedillas after
_SPACING_ACCENTS = {"´": "\u0301", "`": "\u0300", "ˆ": "\u0302", "˜": "\u0303", "¨": "\u0308",
                    "¯": "\u0304", "˙": "\u0307", "˘": "\u0306", "ˇ": "\u030c", "˝": "\u030b", "˚": "\u030a"}
_ACCENT_BEFORE = re.compile("([" + "".join(_SPACING_ACCENTS) + "])([A-Za-zıȷ])")


_NEEDS_TIDY = re.compile("[" + "".join(_SPACING_ACCENTS) + "¸\x80-\x9f☐□◻☑☒✓✔■⊠▣]")


def _tidy(text: str) -> str:
    """A text line without grid labels: accents joined to their letters, checkboxes as "[x] (b)"."""
    if not _NEEDS_TIDY.search(text):
        return text
    if _ACCENT_BEFORE.search(text):
        text = _ACCENT_BEFORE.sub(lambda m: unicodedata.normalize(
            "NFC", m.group(2).replace("ı", "i") + _SPACING_ACCENTS[m.group(1)]), text)
    if "¸" in text:
        text = re.sub(r"([cCsStT])¸", lambda m: unicodedata.normalize("NFC", m.group(1) + "\u0327"), text)
    head = text.lstrip()[:1]
    if head and "\x80" <= head <= "\x9f":
        # an itemize bullet whose glyph has no Unicode arrives as a C1 control character
        text = re.sub(r"^(\s*)[\x80-\x9f]", r"\1•", text)
    if has_checkbox(text):
        text = checkbox_options(text)
    return text


def _label_positions(s: str) -> list[tuple[int, int]]:
    out = []
    for m in _LABEL.finditer(s):
        run = m.group(1)
        if len(run) == 2:
            out.append((m.start(), m.end()))
            continue
        pairs = [run[i:i + 2] for i in range(0, len(run), 2)]
        # labels of one row run together: same row digit, columns counting up
        if len({p[0] for p in pairs}) == 1 and all(int(b[1]) == int(a[1]) + 1 for a, b in zip(pairs, pairs[1:])):
            out += [(m.start() + i, m.start() + i + 2) for i in range(0, len(run), 2)]
    return out


def _join_split_headings(lines: list[_Line]) -> list[_Line]:
    """Re-join a heading's number with the rest of its line ("3.2" | "Title" at one height), and a
    heading word cut from its number by a line break ("Question" | "3 ...")."""
    out: list[_Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev is not None and not prev.labels and len(prev.text) <= 24 and _may_be_heading(prev.text):
            word_break = _HEADING_WORD.match(prev.text) and re.match(r"\s*\d", line.text)
            same_height = (min(prev.bbox[3], line.bbox[3]) - max(prev.bbox[1], line.bbox[1])
                           > 0.5 * min(prev.bbox[3] - prev.bbox[1], line.bbox[3] - line.bbox[1]))
            close = 0 <= line.bbox[0] - prev.bbox[2] < 4 * max(prev.size, line.size, 1.0)
            number_apart = (same_height and close and _HEADING_TOKEN.match(prev.text)
                            and not _HEADING_TOKEN.match(line.text))
            if word_break or number_apart:
                sep = " " if not prev.text.endswith(" ") else ""
                shift = len(prev.text) + len(sep)
                merged = _Line(prev.text + sep + line.text, prev.page,
                               (min(prev.bbox[0], line.bbox[0]), min(prev.bbox[1], line.bbox[1]),
                                max(prev.bbox[2], line.bbox[2]), max(prev.bbox[3], line.bbox[3])),
                               max(prev.size, line.size),
                               prev.labels + [(*lab[:6], lab[6] + shift) for lab in line.labels],
                               prev.hidden + line.hidden)
                out[-1] = merged
                continue
        out.append(line)
    return out


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
                               heading.text if heading else None, pno, labels, (x0, y0, x1, y1)))
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
