r"""Formulas on a page: the lines that hold math are rebuilt from their glyphs, with each formula
read as LaTeX (formula.py) in place of the pieces the text layer cut it into.

The glyphs of the lines around any math glyph are regrouped into rows (rows.py: a fraction's parts
with its bar, a script with its base ...). In each row, words of text stay text and the rest is math:
inline math becomes `$...$` inside its line; a row of math alone is displayed math, `\[ ... \]`,
and rows of displayed math set close together (an align, an equation continued on the next row)
are one display, `\[ row \\ row \]`, with `&` before relations that line up.

Only pages whose fonts include a math font are read this way (math_fonts): others keep the
text layer's lines and cost nothing more.
"""

from __future__ import annotations

import re

from grader.ingest.pdf import rows as rows_of
from grader.ingest.pdf.formula import read
from grader.ingest.pdf.glyphs import Glyph, Rule, combining_accents, page_rules, span_glyphs
from grader.ingest.pdf.layout import _Line, _tidy
from grader.ingest.pdf.mathtree import Reading
from grader.ingest.pdf.rows import TAG
from grader.ingest.pdf.symbols import MARKERS, MATH_FAMILIES, OPERATOR_NAMES, family, is_math_font, marker_text

MAX_ZONE_GLYPHS = 20_000  # per page: more is not read as math (the text layer's lines stay)
_LABEL = re.compile(r"^(?:[QqPp]?\d+(?:\.\d+)+(?:\.?[a-h])?[.):]*|[QqPp]?\d+(?:\.?[a-h])?[.):]+"
                    r"|\(?(?:[a-h]|[ivx]{1,4}|\d{1,2})\)[.:]?|[a-h]\.)$")
_PUNCT = ".,;:"


def math_fonts(page) -> set[str]:
    """The families of math fonts the page uses (symbols.family): none for a page of text."""
    return {fam for f in page.get_fonts() if (fam := family(f[3])) in MATH_FAMILIES}


# ---------------------------------------------------------------------------------- text and math

def _main_base(glyphs: list[Glyph], rules: list[Rule]) -> tuple[float, float]:
    """The row's main line: the baseline holding the most full-size glyphs, a fraction's numerator
    and denominator (over and under a rule) not counting."""
    parts = {id(g) for r in rules for g in glyphs if r.x0 - 0.6 <= g.cx <= r.x1 + 0.6 and abs(g.cy - r.y) < 1.5 * g.size}
    based = [g for g in glyphs if not g.hangs and g.role != "accent" and id(g) not in parts] or glyphs
    size = max(g.size for g in based)
    counts: dict[int, int] = {}
    for g in based:
        if g.size >= 0.92 * size:
            counts[round(g.base)] = counts.get(round(g.base), 0) + 1
    key = max(counts, key=lambda k: (counts[k], k))
    bases = [g.base for g in based if g.size >= 0.92 * size and round(g.base) == key]
    return sum(bases) / len(bases), size


def _chunks(glyphs: list[Glyph], rules: list[Rule], base: float, size: float
            ) -> list[tuple[float, float, list[Glyph], list[Rule]]]:
    """The row (main line at `base`) cut into pieces at spaces and gaps of its main line; a glyph off
    the main line goes with the piece over which its centre lies, a rule joins the pieces it spans."""
    main = sorted((g for g in glyphs if not _off_line(g, base, size) and not g.hangs
                   and not (g.role == "accent" and g.x1 - g.x0 < 0.1)), key=lambda g: g.x0)
    pieces: list[list] = []  # [x0, x1, glyphs, rules]
    for g in main:
        if pieces and not g.space_before and g.x0 - pieces[-1][1] < 0.25 * size:
            pieces[-1][1] = max(pieces[-1][1], g.x1)
            pieces[-1][2].append(g)
        else:
            pieces.append([g.x0, g.x1, [g], []])
    on_main = set(main)
    for g in sorted((g for g in glyphs if g not in on_main), key=lambda g: g.x0):
        if g.role == "accent" and g.x1 - g.x0 < 0.1:  # a combining mark goes with what follows it
            home = min((p for p in pieces if p[1] > g.x0 + 0.1), key=lambda p: p[0], default=None)
        else:  # over a piece, or hanging from the end of one (a script after its base)
            home = next((p for p in pieces if p[0] - 0.3 <= g.cx <= p[1] + 0.3), None) or next(
                (p for p in pieces if p[1] - 0.1 <= g.x0 <= p[1] + 0.3 * size), None)
        if home is None:
            pieces.append([g.x0, g.x1, [g], []])
            pieces.sort(key=lambda p: p[0])
        else:
            home[1] = max(home[1], g.x1)
            home[2].append(g)
    for r in rules:
        spanned = [p for p in pieces if p[0] < r.x1 and r.x0 < p[1]]
        if not spanned:
            pieces.append([r.x0, r.x1, [], [r]])
            pieces.sort(key=lambda p: p[0])
            continue
        first = spanned[0]
        first[0], first[1] = min(first[0], r.x0), max(p[1] for p in spanned + [[0, r.x1]])
        first[3].append(r)
        for p in spanned[1:]:
            first[2] += p[2]
            first[3] += p[3]
            pieces.remove(p)
    merged: list[list] = []
    for p in sorted(pieces, key=lambda p: p[0]):
        if merged and p[0] < merged[-1][1] - 0.1:
            merged[-1][1] = max(merged[-1][1], p[1])
            merged[-1][2] += p[2]
            merged[-1][3] += p[3]
        else:
            merged.append(p)
    return [(p[0], p[1], p[2], p[3]) for p in merged]


def _off_line(g: Glyph, base: float, size: float) -> bool:
    """Off the row's main line: raised or lowered, or smaller and shifted even a little (x_j)."""
    shift = abs(g.base - base)
    return shift > 0.15 * size or (g.size < 0.85 * size and shift > 0.05 * size)


def _kind(glyphs: list[Glyph], rules: list[Rule], base: float, size: float, italic_math: bool) -> str:
    """'math', 'text' (a word of prose), or 'neutral' (digits, operators, \\log, KL ...)."""
    if rules:
        return "math"
    letters = ""
    math = False
    for g in glyphs:
        if marker_text(g.c, g.tex) in MARKERS:
            letters += " "  # a checkbox or a bullet, even set from a math font, marks text
        elif g.fam != "text" or (_off_line(g, base, size) and g.role != "accent"):
            math = True
        elif g.c.isalpha():
            if letters and letters[-1] != " " and (letters[-1] == "_") != g.italic:
                letters += " "  # \log w: an upright name, then an italic variable
            letters += g.c if not (g.italic and italic_math) else "_"  # an italic letter may be a variable
        else:
            letters += " "
    if math:
        return "math"
    # italic letters alone or in pairs (p(x), dz in Times-based math) are variables; longer italic
    # words are emphasis
    words = [w.replace("_", "x") for w in letters.split() if w and not (set(w) == {"_"} and len(w) <= 2)]
    if all(len(w) <= 2 for w in words) and glyphs and all(g.tex.startswith(r"\mathbf") for g in glyphs
                                                         if g.c.isalpha()):
        return "neutral"  # bold letters: vectors and matrices (\mathbf{W}\mathbf{x})
    if any(w not in OPERATOR_NAMES and not (w.isupper() and len(w) <= 4) for w in words):
        return "text"
    return "neutral"


def _reading_order(glyphs: list[Glyph]) -> list[Glyph]:
    """Left to right; glyphs starting at the same place (the letters of a ligature, "ﬁ" -> "f",
    "i" beside the next letter) keep the text layer's order."""
    ordered = sorted(glyphs, key=lambda g: (g.x0, g.base))
    for i in range(1, len(ordered)):
        j = i
        while j > 0 and ordered[j].x0 - ordered[j - 1].x0 < 0.3 and ordered[j].seq < ordered[j - 1].seq:
            ordered[j - 1], ordered[j] = ordered[j], ordered[j - 1]
            j -= 1
    return ordered


def _text_of(glyphs: list[Glyph]) -> str:
    """Glyphs of text as the text layer would give them: spaces where it put them or where a gap
    opens, markers (☐ ✓ •) as their character."""
    out, last = "", None
    for g in _reading_order(glyphs):
        gap = last is not None and g.x0 - last.x1 > 0.2 * g.size
        out += (" " if out and (g.space_before or gap) else "") + marker_text(g.c, g.tex)
        last = g
    return out


def _boxed(reading: Reading, glyphs: list[Glyph], frames: list[tuple]) -> Reading:
    """A formula inside a frame (\\boxed, \\fbox) is marked as such: it is often the answer."""
    x0, x1 = min(g.x0 for g in glyphs), max(g.x1 for g in glyphs)
    top, bottom = min(g.top for g in glyphs), max(g.bottom for g in glyphs)
    for fx0, fy0, fx1, fy1 in frames:
        if fx0 - 0.5 <= x0 and x1 <= fx1 + 0.5 and fy0 - 1.5 <= top and bottom <= fy1 + 1.5 \
                and (fx1 - fx0) < (x1 - x0) + 40:
            return Reading(rf"\boxed{{{reading.latex}}}", reading.plain, reading.confidence, reading.notes)
    return reading


def _read_row(glyphs: list[Glyph], rules: list[Rule], frames: list[tuple], italic_math: bool = False
              ) -> tuple[str, list[tuple[int, int, Reading]], bool]:
    """The row's text, its formulas (start, end, reading), and whether it is displayed math.
    `italic_math`: the page sets its variables in a text italic (no math italic font)."""
    base, size = _main_base(glyphs, rules)
    chunks = _chunks(glyphs, rules, base, size)
    kinds = [_kind(c[2], c[3], base, size, italic_math) for c in chunks]
    for i in range(min(2, len(chunks) - 1)):  # "4.6.a)", "3.2 (a).", "(b)": a heading or an item's label
        if kinds[i] != "neutral" or not _LABEL.match(_text_of(chunks[i][2]).replace(" ", "")):
            break
        kinds[i] = "text"
    tag = ""
    if len(chunks) > 1 and kinds[-1] != "math" and TAG.match(_text_of(chunks[-1][2]).replace(" ", "")):
        if chunks[-1][0] - chunks[-2][1] > 2 * size:  # an equation number at the margin
            tag = _text_of(chunks[-1][2]).replace(" ", "")
            chunks, kinds = chunks[:-1], kinds[:-1]
    if "math" not in kinds:
        return _tidy(_text_of(glyphs)), [], False
    first = kinds.index("math")
    last = len(kinds) - 1 - kinds[::-1].index("math")
    inside = [_text_of(c[2]) for c, k in zip(chunks[first:last], kinds[first:last]) if k == "text"]
    # displayed math: nothing but math on its row, with at most a few words between ("for all");
    # a capitalised word there starts a sentence: inline math in a line of text
    display = (all(k != "text" for k in kinds[:first]) and all(k != "text" for k in kinds[last + 1:])
               and len(inside) <= 4 and not any(w[:1].isupper() and not w.isupper() for w in inside))
    if display:
        shown = glyphs if not tag else [g for c in chunks for g in c[2]]
        reading = _boxed(read(shown, rules), shown, frames)
        text = reading.latex + (rf" \tag{{{tag[1:-1]}}}" if tag else "")
        return text, [(0, len(text), reading)], True
    # inline: runs of math (with the neutral pieces between and around them) inside the text
    runs: list[list[int]] = []
    for i, k in enumerate(kinds):
        if k == "text":
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    runs = [_trim_names(r, kinds, chunks) for r in runs if any(kinds[i] == "math" for i in r)]
    text, spans, done = "", [], 0
    for run in runs:
        head = [g for c in chunks[done:run[0]] for g in c[2]]
        run_glyphs = [g for i in run for g in chunks[i][2]]
        run_rules = [r for i in run for r in chunks[i][3]]
        lead, trail = _marks_around(run_glyphs, base, size)
        run_glyphs = [g for g in run_glyphs if g not in trail and g not in lead]
        head += lead
        if head:
            text += _tidy(_text_of(head)) + " "
        reading = _boxed(read(run_glyphs, run_rules), run_glyphs, frames) if run_glyphs else read([], run_rules)
        start = len(text)
        text += f"${reading.latex}$"
        spans.append((start, len(text), reading))
        if trail:
            text += _tidy(_text_of(trail))
        text += " "
        done = run[-1] + 1
    tail = [g for c in chunks[done:] for g in c[2]]
    text = (text + _tidy(_text_of(tail))) if tail else text.rstrip()
    return text, spans, False


def _trim_names(run: list[int], kinds: list[str], chunks: list) -> list[int]:
    """A capitalised name written apart at the edge of a formula ("forward KL $D_{KL}[...]$") is
    the prose's: the formula starts after it."""
    def name(i: int) -> bool:
        text = _text_of(chunks[i][2]).strip(_PUNCT + " ")
        return kinds[i] == "neutral" and len(text) >= 2 and text.isalpha() and text.isupper()
    while len(run) > 1 and name(run[0]):
        run = run[1:]
    while len(run) > 1 and name(run[-1]):
        run = run[:-1]
    return run


def _marks_around(glyphs: list[Glyph], base: float, size: float) -> tuple[list[Glyph], list[Glyph]]:
    """Checkboxes and check marks before a formula, punctuation and marks after it: text, not math."""
    main = sorted((g for g in glyphs if not _off_line(g, base, size)), key=lambda g: g.x0)
    lead: list[Glyph] = []
    while len(main) > 1 and marker_text(main[0].c, main[0].tex) in MARKERS:
        lead.append(main.pop(0))
    trail: list[Glyph] = []
    while len(main) > 1 and (marker_text(main[-1].c, main[-1].tex) in MARKERS
                             or main[-1].c in _PUNCT and main[-1].fam in ("text", "mi")):
        if any(g.x1 > main[-1].x0 + 0.1 and g is not main[-1] and _off_line(g, base, size) for g in glyphs):
            break  # a script after it: part of the formula
        trail.insert(0, main.pop())
    return lead, trail


# ---------------------------------------------------------------------------------- the page

def rewrite_lines(lines: list[_Line], page) -> list[_Line]:
    """The page's lines with those holding math rebuilt from their glyphs (see the module doc)."""
    if not any(ln.spans for ln in lines):
        return lines
    if not any(is_math_font(sp["font"]) for ln in lines if ln.spans for sp in ln.spans):
        return lines
    rules, frames = page_rules(page.get_cdrawings())
    zone = rows_of.zone(lines, rules)
    glyphs: list[Glyph] = []
    span_of: list[int] = []
    span_id = 0
    for i in zone:
        space = False
        for sp in lines[i].spans:
            got, space = span_glyphs(sp, i, space)
            for g in got:
                g.seq = len(glyphs)
                glyphs.append(g)
            span_of += [span_id] * len(got)
            span_id += 1
    if not glyphs or len(glyphs) > MAX_ZONE_GLYPHS:
        return lines
    if any(g.fam == "umath" for g in glyphs):
        glyphs, span_of = _traced_accents(page, glyphs, span_of)
    x0 = min(g.x0 for g in glyphs) - 20
    x1 = max(g.x1 for g in glyphs) + 20
    y0 = min(g.top for g in glyphs) - 20
    y1 = max(g.bottom for g in glyphs) + 20
    rules = [r for r in rules if r.x1 > x0 and r.x0 < x1 and y0 < r.y < y1
             and r.width < 0.45 * page.rect.width]
    rows = rows_of.with_limits(rows_of.with_tags(rows_of.rows(glyphs, rules, span_of)))
    # variables set in the text italic (mathptmx and other Times-based math): no letter on the page
    # comes from a math italic font
    italic_math = sum(1 for g in glyphs if g.fam in ("mi", "umath") and g.c.isalpha()) <= 2
    zone_set = set(zone)
    by_first: dict[int, list[tuple[list[Glyph], list[Rule]]]] = {}
    for row in rows:
        by_first.setdefault(min(g.line for g in row[0]), []).append(row)
    out: list[_Line] = []
    pending_display: list[tuple[_Line, float, float, float, float]] = []
    for i, line in enumerate(lines):
        if i not in zone_set:
            _flush(pending_display, out)
            out.append(line)
            continue
        for row_glyphs, row_rules in sorted(by_first.get(i, []), key=lambda r: min(g.base for g in r[0])):
            lines_of_row = {g.line for g in row_glyphs}
            hidden = [h for j in sorted(lines_of_row) for h in lines[j].hidden] if min(lines_of_row) == i else []
            if _plain_text(row_glyphs, row_rules) and _whole_lines(lines, lines_of_row, row_glyphs):
                _flush(pending_display, out)  # text alone: the text layer's own lines
                out += [lines[j] for j in sorted(lines_of_row)]
                continue
            text, spans, display = _read_row(row_glyphs, row_rules, frames, italic_math)
            box = (min(g.x0 for g in row_glyphs), min(g.top for g in row_glyphs),
                   max(g.x1 for g in row_glyphs), max(g.bottom for g in row_glyphs))
            if not spans and _whole_lines(lines, lines_of_row, row_glyphs):
                _flush(pending_display, out)  # text alone: the text layer's own lines
                out += [lines[j] for j in sorted(lines_of_row)]
                continue
            size = max(g.size for g in row_glyphs)
            new = _Line(text, line.page, box, size, [], hidden, None,
                        [(s, e, r, display) for s, e, r in spans])
            if display:
                if pending_display and not _continues(pending_display[-1], box, size):
                    _flush(pending_display, out)
                pending_display.append((new, *box))
            else:
                _flush(pending_display, out)
                out.append(new)
    _flush(pending_display, out)
    return out


def _traced_accents(page, glyphs: list[Glyph], span_of: list[int]) -> tuple[list[Glyph], list[int]]:
    """Accents of OpenType math, from the content stream's order (see glyphs.combining_accents)."""
    accents = combining_accents(page.get_texttrace())
    kept, kept_spans = [], []
    for g, s in zip(glyphs, span_of):
        if g.role == "accent" and g.x0 == g.x1:
            continue  # a combining mark the text layer kept: the trace has placed it
        found = accents.get((round(g.x0 * 4), round(g.base * 4)))
        if found:
            g.accents = found
        kept.append(g)
        kept_spans.append(s)
    return kept, kept_spans


def _plain_text(glyphs: list[Glyph], rules: list[Rule]) -> bool:
    """A row of text alone: text fonts, one baseline, one size (no formula to read)."""
    if rules:
        return False
    first = glyphs[0]
    return all(g.fam == "text" and abs(g.base - first.base) < 0.1 and abs(g.size - first.size) < 0.5
               for g in glyphs)


def _whole_lines(lines: list[_Line], indices: set[int], glyphs: list[Glyph]) -> bool:
    count = sum(1 for j in indices for sp in lines[j].spans for c in sp["chars"] if not c["c"].isspace())
    return count == len(glyphs)


def _continues(prev: tuple, box: tuple, size: float) -> bool:
    """Is this displayed row the next row of the same display (an align, a continued equation)?"""
    _, px0, _, px1, pbottom = prev
    x0, top, x1, _ = box
    return top - pbottom < 0.9 * size and x0 < px1 and x1 > px0


_RELATION = re.compile(r"(?<![\\{])(=|\\(?:approx|le|ge|leq|geq|sim|equiv|propto|simeq|neq|coloneqq|triangleq)"
                       r"(?![A-Za-z])|<|>)")


def _align_amp(latex: str) -> str:
    """`&` before the first relation outside braces: rows of an align line up there."""
    depth = 0
    for i, ch in enumerate(latex):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            m = _RELATION.match(latex, i)
            if m and (i == 0 or latex[i - 1] != "\\"):
                return latex[:i] + "&" + latex[i:]
    return latex


def _flush(rows: list[tuple], out: list[_Line]) -> None:
    """Write pending rows of displayed math as one display: `\\[ a \\\\ b \\]`."""
    if not rows:
        return
    lines = [r[0] for r in rows]
    texts = [ln.text for ln in lines]
    if len(texts) > 1 and sum(1 for t in texts if _RELATION.search(t)) >= 2:
        texts = [_align_amp(t) for t in texts]
    texts = [("\\[ " if k == 0 else "") + t + (r" \\" if k < len(texts) - 1 else " \\]")
             for k, t in enumerate(texts)]
    readings = [ln.math[0][2] for ln in lines if ln.math]
    total = sum(len(t) for t in texts) + len(texts) - 1
    merged = _merge_readings(readings, "\n".join(texts)[3:-3].strip())
    for k, (ln, text) in enumerate(zip(lines, texts)):
        ln.text = text
        ln.math = [(0, total, merged, True)] if k == 0 else []
        out.append(ln)
    rows.clear()


def _merge_readings(readings: list[Reading], latex: str) -> Reading:
    """One reading for the rows of a display, its LaTeX as written between \\[ and \\]."""
    notes = [n for r in readings for n in r.notes]
    return Reading(latex, " ; ".join(r.plain for r in readings), min(r.confidence for r in readings),
                   list(dict.fromkeys(notes)))
