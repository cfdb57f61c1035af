"""PDF: the text layer in reading order, the grids' highlights from the vector fills, hidden text.

PyMuPDF (imported lazily: reading a .txt must not pay for it) gives the spans with their positions,
fonts and colours, and the page's drawings. Grids are found from their 25 labels laid out as a
grid; each label takes the topmost fill under its centre (grader/ingest/grids.py). Each page's
drawings are fetched once (page.py: get_cdrawings with its clips, cheaper than the get_drawings of
the bare floor) and shared by visibility, formulas and grids; the text trace and a second
extraction are taken only on pages that draw over text, clip it or hide layers, which keeps the
whole ingest near 2x a bare open + get_text + get_drawings (bench/bench_ingest.py).

layout.py turns a page into lines, visibility.py says what a reader would not see (paint.py: what
lies under and over text; strikes.py: lines drawn through words), page_grids.py reads the grids of
a page. On a page that uses a math font, or strikes words with drawn lines, the lines are taken
from "rawdict" (each glyph's position, size and font; glyphs without Unicode keep their code);
math.py rebuilds its formulas (rows.py, formula.py) as LaTeX in the text, each in Document.math.
"""

from __future__ import annotations

import time
from pathlib import Path

from grader.ingest.document import STRUCK_OUT, Document, GridFinding, HiddenText, MathSpan
from grader.ingest.grids import HEADING, Label, find_grids
from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.pdf.layout import (_OPTION_LINE, _Heading, _join_split_headings, _may_be_heading,
                                      _page_lines, _relabel_checked_item)
from grader.ingest.pdf.furniture import EdgeLine, blanked, edge_line, furniture
from grader.ingest.pdf.math import math_fonts, rewrite_lines
from grader.ingest.pdf.page import CachedPage
from grader.ingest.pdf.page_grids import _read_page_grids
from grader.ingest.pdf.visibility import all_layers_on, marks_drawn, placed_apart, words_apart
from grader.ingest.text import students_from_text

_SCAN_CHARS = 40


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
    # no TEXT_MEDIABOX_CLIP: text outside the page must be seen to be reported as hidden (a page that
    # clips is read with TEXT_CLIP, and what the clip cut away is found apart)
    flags = pymupdf.TEXT_PRESERVE_WHITESPACE
    # on pages with math, glyphs without Unicode keep their code in the font (cmex's sums and
    # big delimiters), which the formula reader maps by font
    math_flags = flags | pymupdf.TEXT_CID_FOR_UNKNOWN_UNICODE
    page_count = doc.page_count
    pieces: list[str] = []
    length = 0
    hidden: list[HiddenText] = []
    headings: list[_Heading] = []
    grids: list[GridFinding] = []
    maths: list[MathSpan] = []
    scanned: list[int] = []
    edges: list[EdgeLine] = []  # lines in the pages' margins: running headers and footers among them
    layered = all_layers_on(data, doc)  # the document with every optional-content layer shown
    try:
        for pno in range(doc.page_count):
            if time.monotonic() - started > limits.parse_seconds:
                raise RejectedFile(f"{name} took longer than {limits.parse_seconds:g} s to read")
            page = CachedPage(doc[pno])
            fonts = math_fonts(page)
            clip = pymupdf.TEXT_CLIP if page.clips else 0
            lines, trailing_hidden = _read_page(pymupdf, page, fonts, flags | clip, math_flags | clip)
            if page.text_clips and not clip:  # text set as a clipping path: what follows is cut to it
                clip = pymupdf.TEXT_CLIP
                lines, trailing_hidden = _read_page(pymupdf, page, fonts, flags | clip, math_flags | clip)
            if clip:
                placed_apart(lines, trailing_hidden, words_apart(page, flags, clip_flag=clip), page.rect)
            if layered is not None:
                placed_apart(lines, trailing_hidden, words_apart(page, flags, layered[pno]), page.rect,
                             "in a hidden layer")
            if fonts:
                lines = rewrite_lines(lines, page)
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
                if line.math:
                    maths += _math_spans(line, text, start, pno + 1)
                edge = None if line.labels else edge_line(text, line.bbox, page.rect.y0, page.rect.y1, pno, start)
                if edge is not None:
                    edges.append(edge)
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
                grids += _read_page_grids(page, pno + 1, found, headings,
                                          [(line.text, line.bbox) for line in lines if not line.labels])
            if length > limits.max_text_chars:
                raise RejectedFile(f"{name} has more than {limits.max_text_chars:,} characters of text")
    finally:
        doc.close()
        if layered is not None:
            layered.close()
    text = "".join(pieces)
    students = students_from_text(text)  # a running header may be where the name is
    repeated = furniture(edges, page_count)
    if repeated:
        text = blanked(text, repeated)
        maths = [m for m in maths if not any(start <= m.offset < end for start, end in repeated)]
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
    unseen = sorted({h.reason for h in hidden if h.reason != STRUCK_OUT})
    if unseen:
        problems.append(f"{name} holds text a reader cannot see ({'; '.join(unseen)}); it was not graded")
    if any(h.reason == STRUCK_OUT for h in hidden):
        problems.append(f"{name} has struck-out text; what is struck out is not an answer, and was not graded")
    return Document(source=name, kind="pdf", text=text, grids=grids, pages=page_count, hidden=hidden,
                    unreadable=unreadable, problems=problems, students=students, math=maths)


def _read_page(pymupdf, page: CachedPage, fonts: set[str], flags: int, math_flags: int):
    """The page's lines and trailing hidden text, from "dict" spans, or "rawdict" ones (each glyph)
    where formulas are rebuilt or a drawn mark may strike single words."""
    everywhere = pymupdf.INFINITE_RECT()  # and no clip either
    if not (fonts or marks_drawn(page)):
        blocks = page.get_text("dict", flags=flags, clip=everywhere)["blocks"]
        lines, trailing = _page_lines(blocks, page.rect, page.number + 1, page=page)
        if not page.wants_chars:
            return lines, trailing
    # OpenType math draws big delimiters and operators as taller glyphs on the baseline: their true
    # boxes are needed to place what hangs from them
    accurate = pymupdf.TEXT_ACCURATE_BBOXES if "umath" in fonts else 0
    blocks = page.get_text("rawdict", flags=(math_flags if fonts else flags) | accurate, clip=everywhere)["blocks"]
    return _page_lines(blocks, page.rect, page.number + 1, raw=True, page=page)


def _math_spans(line, text: str, start: int, page: int) -> list[MathSpan]:
    """The line's formulas at their offsets in the document (the line's text may have been
    relabelled since they were placed: each is found again from where it was)."""
    out, searched = [], 0
    for s, e, reading, display in line.math:
        opener = "\\[" if display else "$" + reading.latex
        found = text.find(opener, searched) if text[s:s + len(opener)] != opener else s
        if found < 0:
            continue
        shift = found - s
        searched = e + shift if e + shift <= len(text) else found + 1
        out.append(MathSpan(start + found, start + e + shift, reading.latex, reading.plain,
                            reading.confidence, display, page, tuple(reading.notes)))
    return out

