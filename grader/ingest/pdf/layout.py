"""Page -> lines: the text layer's lines in reading order, hidden spans left out, grid labels
placed, accents and checkboxes tidied, headings split by the PDF joined again."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from grader.ingest.grids import checkbox_options, has_checkbox
from grader.ingest.pdf.visibility import CELL_LABELS, DRAWING, QUICK_FLAGS, TINY, PageVisibility, bare_reason

# a cell label, or a row of labels run together by very tight columns ("1112131415")
_LABEL = re.compile(r"(?<![\w.,])((?:[1-9][1-9])+)(?![\w.,])")
_LABELS = CELL_LABELS
_WHOLE = ((0, 2),)
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
    spans: list[dict] | None = None  # the visible rawdict spans, kept on pages the formula reader reads
    # formulas in the text: (start, end, reading, display) from the line's start; a display's end
    # may lie in a later line (an equation of several rows)
    math: list[tuple[int, int, object, bool]] = field(default_factory=list)


@dataclass
class _Heading:
    text: str
    page: int
    bbox: tuple[float, float, float, float]
    start: int
    end: int  # end of its line in Document.text



def _page_lines(blocks: list[dict], rect, pno: int, raw: bool = False, page=None
                ) -> tuple[list[_Line], list[tuple[str, str]]]:
    """The page's visible lines (from get_text "dict" blocks, or "rawdict" ones when `raw`, whose
    horizontal lines then keep their spans for the formula reader), each with the hidden text met
    since the previous one, and the hidden text after the last line. `page` (a CachedPage) lets
    visibility judge the text by what the page draws under, over and through it."""
    bounds = bx0, by0, bx1, by1 = (rect.x0, rect.y0, rect.x1, rect.y1)
    text_lines = [line for block in blocks if block.get("type") == 0 for line in block["lines"]]
    if raw:
        for line in text_lines:
            for sp in line["spans"]:
                sp["text"] = "".join([c["c"] for c in sp["chars"]])
    seen = PageVisibility(page, [sp for line in text_lines for sp in line["spans"]]) if page is not None else None
    lines: list[_Line] = []
    hidden: list[tuple[str, str]] = []
    for line in text_lines:
        spans = line["spans"]
        lx0, ly0, lx1, ly1 = line["bbox"]
        # fast path: black opaque text of normal size, inside the page, with nothing drawn on or through
        # it, not set as a clip (nearly every line)
        plain = bx0 < lx0 and by0 < ly0 and lx1 < bx1 and ly1 < by1
        if plain:
            for sp in spans:
                if (sp["color"] or sp["size"] < TINY or sp.get("alpha", 255) != 255
                        or sp.get("char_flags", 0) & QUICK_FLAGS):
                    plain = False
                    break
        # a row of cell labels is the grid's own drawing, whatever is drawn on it (grid pages: most lines)
        clear = seen is None or (plain and seen.grid_page and _labels_only(spans)) or seen.clear(line["bbox"])
        plain = plain and clear
        if not plain:
            kept = []
            hidden_parts: dict[str, list[str]] = {}
            last_end: dict[str, float] = {}
            for whole in spans:
                judged = seen.judge(whole, clear) if seen is not None else [(whole, bare_reason(whole, bounds))]
                for sp, reason in judged:
                    if not reason:
                        kept.append(sp)
                        continue
                    parts = hidden_parts.setdefault(reason, [])
                    if parts and sp["bbox"][0] - last_end[reason] > 0.2 * sp["size"]:
                        parts.append(" ")  # pieces apart on the line: words apart
                    parts.append(sp["text"])
                    last_end[reason] = sp["bbox"][2]
            for reason, texts in hidden_parts.items():
                if reason != DRAWING and "".join(texts).strip():
                    hidden.append((" ".join("".join(texts).split()), reason))
            if len(kept) != len(spans) or any(a is not b for a, b in zip(kept, spans)):
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
        horizontal = raw and abs(line["dir"][1]) < 1e-3 and line["dir"][0] > 0
        lines.append(_Line(text, pno, (lx0, ly0, lx1, ly1), ly1 - ly0, labels, hidden,
                           spans if horizontal else None))
        hidden = []
    return lines, hidden


def _labels_only(spans: list[dict]) -> bool:
    return all(sp["text"] in _LABELS or not sp["text"].strip() for sp in spans)


_OPTION_LINE = re.compile(r"^\s*(?:•\s*)?(?:\[[x ]\]\s*)?\(([a-g])\)")


def _relabel_checked_item(text: str, prev_option: str | None) -> tuple[str, str | None]:
    """Check marks the text layer separates from their option letter.

    `\\item[\\checkmark]` prints a mark instead of its letter: after "(a) ...", a line "✓ ..." is
    option (b), checked. A mark at the end of an option whose text wrapped (a fraction breaks a
    formula over lines) belongs to the last option seen: "... ✓" -> "... [x] (b)".
    Returns the line and the option the following lines belong to."""
    m = _OPTION_LINE.match(text)
    if m:
        if "✓" in text[m.end():] and "[" not in text[:m.start(1)]:
            # the mark after its option's text, on the same line: "(b) ... ✓" -> "[x] (b) ..."
            head = text[:len(text) - len(text.lstrip())]
            rest = text[len(head):].replace("✓", "").rstrip()
            return f"{head}[x] {rest.removeprefix('• ')}" if not rest.startswith("•") else \
                f"{head}• [x] {rest[1:].lstrip()}", m.group(1)
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
                               prev.hidden + line.hidden, None,
                               prev.math + [(s + shift, e + shift, r, d) for s, e, r, d in line.math])
                out[-1] = merged
                continue
        out.append(line)
    return out
