"""Grid geometry and colour helpers shared by the PDF and LaTeX readers.

A grid is read the way a TA reads it: find the n x n labels ("11".."55") laid out as a grid, and
for each label take the topmost fill under its centre. Fills that are white or very light do not
count (zebra striping, page backgrounds), nor do thin rules or one fill covering the whole grid
(a coloured box around the table). Colours are compared by lightness, never by exact value:
xcolor's yellow reaches the PDF converted from CMYK, `blue!30` as (0.7, 0.7, 1).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

RGB = tuple[float, float, float]

# A fill whose every channel is above this is "very light": zebra rows (gray!15 = 0.925), white
# cell exceptions, paper-coloured boxes. blue!10 (0.9, 0.9, 1) still counts as a highlight (a faint one).
LIGHT = 0.9
# A fill a little darker than that is faint: seen on a screen, easily missed on paper. A grid read
# from faint fills goes to a TA (blue!10 is faint; gray!15, yellow, blue!30 are not).
FAINT = 0.85
THIN = 2.0  # pt: rules (\hline, \hhline, borders) are thinner than any cell


def is_light(rgb: Sequence[float] | None) -> bool:
    return rgb is not None and min(rgb) > LIGHT


def is_faint(rgb: Sequence[float] | None) -> bool:
    return rgb is not None and FAINT < min(rgb) <= LIGHT


def cmyk_to_rgb(c: float, m: float, y: float, k: float) -> RGB:
    return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))


# xcolor's base colours plus the dvipsnames students use most. Values as xcolor defines them
# (yellow, orange... are CMYK in xcolor; converted here).
_NAMED: dict[str, RGB] = {
    "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "cyan": (0, 1, 1),
    "magenta": (1, 0, 1), "yellow": (1, 1, 0), "black": (0, 0, 0), "white": (1, 1, 1),
    "gray": (0.5, 0.5, 0.5), "grey": (0.5, 0.5, 0.5), "darkgray": (0.25, 0.25, 0.25),
    "lightgray": (0.75, 0.75, 0.75), "brown": (0.75, 0.5, 0.25), "lime": (0.75, 1, 0),
    "olive": (0.5, 0.5, 0), "orange": (1, 0.5, 0), "pink": (1, 0.75, 0.75), "purple": (0.75, 0, 0.25),
    "teal": (0, 0.5, 0.5), "violet": (0.5, 0, 0.5),
    # dvipsnames / svgnames (approximate; only lightness matters)
    "goldenrod": (1, 0.9, 0.16), "dandelion": (1, 0.71, 0.16), "apricot": (1, 0.68, 0.48),
    "peach": (1, 0.5, 0.3), "melon": (1, 0.54, 0.5), "yelloworange": (1, 0.58, 0),
    "skyblue": (0.38, 1, 0.88), "cornflowerblue": (0.35, 0.87, 1), "processblue": (0.04, 1, 1),
    "forestgreen": (0, 0.88, 0), "limegreen": (0.5, 1, 0), "springgreen": (0.74, 1, 0.24),
    "lavender": (1, 0.52, 1), "thistle": (0.88, 0.41, 1), "salmon": (1, 0.47, 0.62),
    "lightblue": (0.68, 0.85, 0.9), "lightgreen": (0.56, 0.93, 0.56), "lightyellow": (1, 1, 0.88),
    "lightcyan": (0.88, 1, 1), "lightpink": (1, 0.71, 0.76), "gold": (1, 0.84, 0),
    "navy": (0, 0, 0.5), "maroon": (0.5, 0, 0), "aqua": (0, 1, 1), "silver": (0.75, 0.75, 0.75),
}

_NUM = r"\s*(-?\d*\.?\d+)\s*"


def parse_color_spec(model: str, spec: str) -> RGB | None:
    """A colour given by model and values: [rgb]{1,0,0}, [HTML]{FFCC00}, [gray]{0.8}, ..."""
    model = model.strip()
    spec = spec.strip()
    try:
        if model == "HTML":
            h = spec.lstrip("#")
            if not re.fullmatch(r"[0-9A-Fa-f]{6}", h):
                return None
            return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255)
        values = [float(v) for v in re.split(r"[\s,]+", spec) if v]
    except ValueError:
        return None
    clamp = lambda v: max(0.0, min(1.0, v))  # noqa: E731
    if model == "rgb" and len(values) == 3:
        return tuple(clamp(v) for v in values)  # type: ignore[return-value]
    if model == "RGB" and len(values) == 3:
        return tuple(clamp(v / 255) for v in values)  # type: ignore[return-value]
    if model == "gray" and len(values) == 1:
        return (clamp(values[0]),) * 3  # type: ignore[return-value]
    if model == "Gray" and len(values) == 1:
        return (clamp(values[0] / 15),) * 3  # type: ignore[return-value]
    if model == "cmyk" and len(values) == 4:
        return cmyk_to_rgb(*(clamp(v) for v in values))
    if model == "cmy" and len(values) == 3:
        return cmyk_to_rgb(*(clamp(v) for v in values), 0.0)
    return None


def parse_color(expr: str, named: dict[str, RGB] | None = None) -> RGB | None:
    """Evaluate an xcolor expression ("blue!30", "red!50!black", "-red", "mine") to RGB, or None
    when a name is unknown."""
    expr = expr.strip()
    if not expr:
        return None
    complement = expr.startswith("-")
    expr = expr.lstrip("-")
    parts = expr.split("!")

    def name(n: str) -> RGB | None:
        n = n.strip()
        if named and n in named:
            return named[n]
        return _NAMED.get(n.lower())

    current = name(parts[0])
    if current is None:
        return None
    i = 1
    while i < len(parts):
        try:
            pct = max(0.0, min(100.0, float(parts[i]))) / 100
        except ValueError:
            return None
        other = name(parts[i + 1]) if i + 1 < len(parts) and parts[i + 1].strip() else (1.0, 1.0, 1.0)
        if other is None:
            return None
        current = tuple(pct * a + (1 - pct) * b for a, b in zip(current, other))  # type: ignore[assignment]
        i += 2
    if complement:
        current = tuple(1 - v for v in current)  # type: ignore[assignment]
    return current


# --- checkboxes ---------------------------------------------------------------------------------

# Readers turn a checkbox into one of these marks; `checkbox_options` then writes the form the
# choice kind reads: "[x] (b)" for a checked option, "[ ] (b)" for an unchecked one.
CHECKED, UNCHECKED = "\ue010", "\ue011"
_BOX_CHARS = str.maketrans({"☐": UNCHECKED, "□": UNCHECKED, "◻": UNCHECKED, "☑": CHECKED, "☒": CHECKED,
                            "✓": CHECKED, "✔": CHECKED, "■": CHECKED, "⊠": CHECKED, "▣": CHECKED})
_MARKS = f"{CHECKED}{UNCHECKED}"
# an option label: "(b)" or "[b]", or "b)" at the start of a line
_OPTION = re.compile(r"(?:(?<![\w\\])[(\[]([a-hA-H])[)\]]|^([ \t]*)([a-hA-H])\))(?!\w)", re.M)
_ANY_BOX = re.compile(f"[☐□◻☑☒✓✔■⊠▣{_MARKS}]")


def has_checkbox(text: str) -> bool:
    return _ANY_BOX.search(text) is not None


def checkbox_options(text: str) -> str:
    """Checkbox marks next to option labels -> "[x] (b)" / "[ ] (b)", line by line.

    Boxes written before every option ("☐ (a) ☒ (b)", or as many marks as options) belong to the
    option after them; a lone check mark among plain options ("(a) (b) ✓ (c)", "(b) Dropout ✓")
    belongs to the option before it. Marks without an option stay as ✓ / ☐."""
    text = text.translate(_BOX_CHARS)
    if CHECKED not in text and UNCHECKED not in text:
        return text
    return "\n".join(_checkbox_line(line) if (CHECKED in line or UNCHECKED in line) else line
                     for line in text.split("\n"))


def _checkbox_line(line: str) -> str:
    options = [(m.start(), m.end(), (m.group(1) or m.group(3)).lower()) for m in _OPTION.finditer(line)]
    marks = [i for i, ch in enumerate(line) if ch in _MARKS]
    if not options:
        return line.replace(CHECKED, "✓").replace(UNCHECKED, "☐")
    before = UNCHECKED in line or len(marks) >= len(options)
    chosen: dict[int, tuple[int, bool]] = {}  # option index -> (mark position, checked)
    for pos in marks:
        nxt = next((k for k, o in enumerate(options) if o[0] > pos), None)
        prev = next((k for k in range(len(options) - 1, -1, -1) if options[k][1] <= pos), None)
        # "before" wants the mark right before an option (spaces or a $ between them)
        direct_next = nxt is not None and not line[pos + 1:options[nxt][0]].strip(" \t$")
        if (before and direct_next) or prev is None:
            k = nxt
        else:
            k = prev
        if k is not None and k not in chosen:
            chosen[k] = (pos, line[pos] == CHECKED)
    out = []
    last = 0
    drop = {pos for pos, _ in chosen.values()}
    for k, (start, end, letter) in enumerate(options):
        out.append(line[last:start])
        if k in chosen:
            at = _OPTION.match(line, start)
            lead = (at.group(2) or "") if at and at.group(3) else ""  # "b)" at a line start keeps its indent
            out.append(f"{lead}[{'x' if chosen[k][1] else ' '}] ({letter})")
        else:
            out.append(line[start:end])
        last = end
    out.append(line[last:])
    # remove the marks now written as [x] / [ ], with the spaces that joined them to their option
    return _remove_marks(line, "".join(out), drop).replace(CHECKED, "✓").replace(UNCHECKED, "☐")


def _remove_marks(original: str, rewritten: str, drop: set[int]) -> str:
    """Drop the used marks (and a $ or spaces around them) from the rewritten line; positions in
    `drop` refer to `original`, whose marks appear in the same order in `rewritten`."""
    order = [i for i, ch in enumerate(original) if ch in _MARKS]
    used = [n for n, i in enumerate(order) if i in drop]
    out = []
    seen = 0
    i = 0
    while i < len(rewritten):
        ch = rewritten[i]
        if ch in _MARKS:
            if seen in used:
                # eat spaces before and after so "(b) ✓" or "✓ (b)" leaves no gap
                while out and out[-1] in " \t":
                    out.pop()
                i += 1
                while i < len(rewritten) and rewritten[i] in " \t":
                    i += 1
                if out and i < len(rewritten) and not out[-1].isspace() and rewritten[i] not in ".,;:)":
                    out.append(" ")
                seen += 1
                continue
            seen += 1
        out.append(ch)
        i += 1
    return "".join(out)


# --- headings ----------------------------------------------------------------------------------

# A question heading at the start of a line, as students write them (for attaching a grid to the
# nearest heading above it; segmentation proper is grader/segment.py's job).
HEADING = re.compile(
    r"^[ \t]*(?:\\[a-zA-Z]+\*?\s*(?:\[[^\]\n]*\])?\s*\{\s*)*(?:\*\*|#+\s*)?"
    r"(?P<h>(?:(?:Q(?:uestion)?|Problem|Exercise|Part|Answer|Solution)\s*\d+(?:\s*\.\s*\d+)*"
    r"(?:\s*\.?\s*\(?[a-h]\b\)?)?|\d+\s*\.\s*\d+(?:\s*\.?\s*\(?[a-h]\b\)?)?\s*[):.\-–—}]|\(?[a-h]\)(?=\s))"
    r"[^\n]{0,60})",
    re.M | re.I)


def heading_index(text: str) -> list[tuple[int, str]]:
    """Every heading line of `text`: (offset, heading text), in order."""
    return [(m.start(), m["h"].strip()) for m in HEADING.finditer(text)]


def nearest_heading(text: str, offset: int, index: list[tuple[int, str]] | None = None) -> str | None:
    """The last heading line starting before `offset`."""
    index = heading_index(text) if index is None else index
    k = bisect.bisect_left(index, (offset, "")) - 1
    return index[k][1] if k >= 0 else None


# --- geometry ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Label:
    """A cell label placed somewhere: its text ("23"), centre and size (PDF points or TikZ units,
    y growing downwards), plus how it is printed (for grids marked by bold or coloured text)."""

    text: str
    x: float
    y: float
    w: float
    h: float
    style: tuple = ()  # (colour, bold) or anything comparable; used only to find odd ones out
    index: int = 0  # position in reading order / text offset


@dataclass(slots=True)
class Fill:
    x0: float
    y0: float
    x1: float
    y1: float
    rgb: RGB | None  # None: a colour the reader could not evaluate (counts as a highlight)
    order: int  # drawing order: higher is on top
    opacity: float = 1.0
    exact: bool = True  # the area is this box (False: the box of a curved shape, larger than it)

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    @property
    def seen_rgb(self) -> RGB | None:
        """Its colour as seen over the white page (a fill at opacity 0.1 is nearly white)."""
        if self.rgb is None or self.opacity >= 1.0:
            return self.rgb
        a = self.opacity
        return (self.rgb[0] * a + 1 - a, self.rgb[1] * a + 1 - a, self.rgb[2] * a + 1 - a)


MAX_SAME_LABEL = 200


def find_grids(labels: Sequence[Label], size: int | None = None) -> list[dict[str, Label]]:
    """Groups of size*size labels laid out as a grid (row r at one height, column c at one x).

    Starting from each "11", the first row is followed rightwards and the first column downwards
    (upwards in a map numbered from the bottom); every other label must then sit where its row and
    column meet. A label is used once. Without a size, the largest map (up to 9x9) whose labels are
    all on the page, and then the smaller ones: a 6x6 grid is not read as the 5x5 grid in its corner.
    """
    if size is None:
        grids: list[dict[str, Label]] = []
        used_ids: set[int] = set()
        for n in range(9, 1, -1):
            free = [lab for lab in labels if id(lab) not in used_ids]
            for grid in find_grids(free, n) if any(f"{n}{n}" == lab.text for lab in free) else []:
                grids.append(grid)
                used_ids.update(id(v) for v in grid.values())
        return sorted(grids, key=lambda g: g["11"].index)
    by_text: dict[str, list[Label]] = {}
    for lab in labels:
        found = by_text.setdefault(lab.text, [])
        if len(found) < MAX_SAME_LABEL:  # a page of 10,000 "11"s must not make this quadratic
            found.append(lab)
    first = "11"
    if any(f"{r}{c}" not in by_text for r in range(1, size + 1) for c in range(1, size + 1)):
        return []
    used: set[int] = set()
    grids = []
    for start in sorted(by_text.get(first, []), key=lambda lab: lab.index):
        if id(start) in used:
            continue
        grid = _grow(start, by_text, size, used)
        if grid is not None:
            grids.append(grid)
            used.update(id(v) for v in grid.values())
    return grids


def _nearest(cands: Iterable[Label], x: float, y: float, tol_x: float, tol_y: float,
             used: set[int]) -> Label | None:
    best, best_d = None, None
    for c in cands:
        if id(c) in used:
            continue
        dx, dy = abs(c.x - x), abs(c.y - y)
        if dx <= tol_x and dy <= tol_y:
            d = dx * dx + dy * dy
            if best_d is None or d < best_d:
                best, best_d = c, d
    return best


def _grow(start: Label, by_text: dict[str, list[Label]], size: int, used: set[int]) -> dict[str, Label] | None:
    h = max(start.h, 1e-6)
    # first row: each next label to the right at about the same height, not too far
    row = [start]
    for c in range(2, size + 1):
        prev = row[-1]
        cands = [lab for lab in by_text[f"1{c}"] if id(lab) not in used and lab.x > prev.x
                 and abs(lab.y - prev.y) <= 0.5 * h and lab.x - prev.x <= 12 * max(h, prev.w)]
        if not cands:
            return None
        row.append(min(cands, key=lambda lab: lab.x - prev.x))
    col = _first_column(start, row, by_text, size, used, h, downwards=True) \
        or _first_column(start, row, by_text, size, used, h, downwards=False)
    if col is None:
        return None
    xs = [lab.x for lab in row]
    ys = [lab.y for lab in col]
    dx = min(b - a for a, b in zip(xs, xs[1:]))
    dy = min(abs(b - a) for a, b in zip(ys, ys[1:]))
    grid = {lab.text: lab for lab in row + col}
    taken = {id(lab) for lab in grid.values()} | used
    for r in range(2, size + 1):
        for c in range(2, size + 1):
            lab = _nearest(by_text[f"{r}{c}"], xs[c - 1], ys[r - 1], 0.45 * dx, 0.45 * dy, taken)
            if lab is None:
                return None
            grid[lab.text] = lab
            taken.add(id(lab))
    return grid


def _first_column(start: Label, row: list[Label], by_text: dict[str, list[Label]], size: int, used: set[int],
                  h: float, downwards: bool) -> list[Label] | None:
    """The labels "11", "21", ... one under the other: downwards for a map numbered from the top,
    upwards for one numbered from the bottom (row 1 drawn last, as `origin: bottom-left` asks)."""
    col = [start]
    for r in range(2, size + 1):
        prev = col[-1]
        cands = [lab for lab in by_text[f"{r}1"] if id(lab) not in used
                 and 0 < (lab.y - prev.y if downwards else prev.y - lab.y) <= 8 * h
                 and abs(lab.x - prev.x) <= max(0.6 * (row[1].x - row[0].x), prev.w)]
        if not cands:
            return None
        col.append(min(cands, key=lambda lab: abs(lab.y - prev.y)))
    return col


def bbox_of(grid: dict[str, Label]) -> tuple[float, float, float, float]:
    x0 = y0 = float("inf")
    x1 = y1 = float("-inf")
    for lab in grid.values():
        hw, hh = lab.w / 2, lab.h / 2
        if lab.x - hw < x0:
            x0 = lab.x - hw
        if lab.x + hw > x1:
            x1 = lab.x + hw
        if lab.y - hh < y0:
            y0 = lab.y - hh
        if lab.y + hh > y1:
            y1 = lab.y + hh
    return x0, y0, x1, y1


@dataclass(frozen=True)
class CellReading:
    cells: frozenset[str] | None
    method: str
    confidence: float
    note: str = ""


def read_cells(grid: dict[str, Label], fills: Sequence[Fill], method: str,
               text_method: str, confidence: float = 0.95) -> CellReading:
    """Highlighted cells of a grid: the topmost fill under each label's centre, if not light.

    Without any fill, labels printed differently from the rest (bold, coloured) are read with low
    confidence; with no mark at all the grid is unreadable (cells None), never an empty answer.
    """
    xs = [lab.x for lab in grid.values()]
    ys = [lab.y for lab in grid.values()]
    cx0, cx1, cy0, cy1 = min(xs), max(xs), min(ys), max(ys)
    x0, y0, x1, y1 = bbox_of(grid)
    # fills near the grid, thicker than a rule, and not under every label at once (that is the
    # table's background: a tcolorbox, a \colorbox around the whole table)
    near = sorted((f for f in fills if f.x1 >= x0 and f.x0 <= x1 and f.y1 >= y0 and f.y0 <= y1
                   and f.x1 - f.x0 >= THIN and f.y1 - f.y0 >= THIN
                   and not (f.x0 <= cx0 and f.x1 >= cx1 and f.y0 <= cy0 and f.y1 >= cy1)),
                  key=lambda f: f.order)
    cells = set()
    unknown = 0
    faint = []
    for text, lab in grid.items():
        x, y = lab.x, lab.y
        top = None
        for f in near:
            if f.x0 <= x <= f.x1 and f.y0 <= y <= f.y1:
                top = f
        seen = top.seen_rgb if top is not None else None
        if top is not None and not is_light(seen):
            cells.add(text)
            unknown += top.rgb is None
            if is_faint(seen):
                faint.append(text)
    if cells:
        notes = []
        if unknown:
            notes.append("a highlight colour could not be evaluated; any colour counts")
            confidence = min(confidence, 0.85)
        if faint:
            notes.append(f"cell{'s' if len(faint) > 1 else ''} {', '.join(sorted(faint))} "
                         f"{'are' if len(faint) > 1 else 'is'} highlighted so faintly that "
                         f"{'they' if len(faint) > 1 else 'it'} may not be seen on paper; a TA checks")
            confidence = min(confidence, 0.5)
        return CellReading(frozenset(cells), method, confidence, "; ".join(notes))
    marked = _odd_styles(grid)
    if marked:
        return CellReading(frozenset(marked), text_method, 0.6,
                           "highlighted only by bold or coloured text, not by a cell colour; "
                           "read with low confidence")
    if any(f.contains(lab.x, lab.y) for f in near for lab in grid.values()):
        note = "the grid has only white or very light fills: no cell is highlighted"
    else:
        note = "no cell of this grid is highlighted (no colour under any label)"
    return CellReading(None, method, 0.0, note)


def _odd_styles(grid: dict[str, Label]) -> set[str]:
    styles: dict[tuple, list[str]] = {}
    for text, lab in grid.items():
        styles.setdefault(lab.style, []).append(text)
    if len(styles) < 2:
        return set()
    common = max(styles.values(), key=len)
    if len(common) < len(grid) / 2:
        return set()
    return {t for s, texts in styles.items() if texts is not common for t in texts}
