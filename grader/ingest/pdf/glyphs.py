"""The page model the formula reader works on: glyphs (character, meaning, font, size, baseline and
vertical extent) and the thin rules and frames drawn among them (fraction bars, radical vincula,
overlines, boxes around answers).

Extents are rebuilt from the baseline and the size: the text layer's boxes come from each font's
ascender and descender, which say nothing of where TeX hung an extension-font glyph (a big
delimiter or a display sum starts at its origin and hangs below it, symbols.ex_extent).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.ingest.pdf.symbols import ex_code, ex_extent, ex_piece_ends, ex_piece_starts, family, meaning

ASCENT = 0.72  # of the size: the top of capitals and ascenders above the baseline
_SIZED = frozenset({"open", "close", "fence", "op", "int", "radical"})  # glyphs that grow with what they hold
DESCENT = 0.22  # the bottom of descenders below it


@dataclass(slots=True, eq=False)
class Glyph:
    c: str
    tex: str
    role: str
    x0: float
    x1: float
    top: float
    bottom: float
    base: float  # the baseline (the origin's y); for extension glyphs, where TeX hung them from
    size: float
    fam: str
    font: str
    line: int = -1  # the index of the text line it came from
    space_before: bool = False  # the text layer put a space before it
    accents: tuple[str, ...] = ()  # accents set over it (\\hat ...), outermost first
    italic: bool = False  # set in an italic font (math italic in Times-based math: mathptmx)
    seq: int = 0  # its place in the text layer's order (a ligature's letters share one position)

    # what the glyph is in the layout, fixed once it is built (read many times)
    hangs: bool = field(init=False)  # placed by its box, not on a baseline (extension-font glyphs)
    big: bool = field(init=False)  # a delimiter grown to hold more than a line (\\left(, a matrix)
    tall: bool = field(init=False)  # a display-size operator (a \\sum with limits over and under)

    def __post_init__(self) -> None:
        self.hangs = self.fam == "ex" or (self.role == "radical" and self.fam == "sy")
        self.big = self.role in ("open", "close", "fence") and (
            self.fam == "ex" or self.bottom - self.top > 1.3 * self.size)
        self.tall = self.bottom - self.top > 1.25 * self.size

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(slots=True, eq=False)
class Rule:
    x0: float
    x1: float
    y: float
    thick: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return self.y

    @property
    def top(self) -> float:
        return self.y - self.thick / 2

    @property
    def bottom(self) -> float:
        return self.y + self.thick / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0


def stacked_pieces(upper: Glyph, lower: Glyph) -> bool:
    """Whether `lower` continues the extensible delimiter whose piece `upper` is: at one x, touching;
    the text layer may leave out the extension between a middle piece and the bottom one, so a gap
    of up to an em joins them too, unless `upper` ends a delimiter or `lower` starts one."""
    if upper.role != "piece" or lower.role != "piece" or abs(upper.x0 - lower.x0) >= 0.5:
        return False
    gap = lower.top - upper.bottom
    if lower.top < upper.top + 0.5:
        return False
    return -1.0 < gap < 1.0 or gap < 1.2 * lower.size and not ex_piece_ends(upper.c) and not ex_piece_starts(lower.c)


# TeX builds long arrows from two glyphs drawn into each other (\implies is "=" then "⇒" pulled
# 3mu back): read apart, "a =⇒ b" would hold a spurious "=".
_LONG_ARROWS = {("=", r"\Rightarrow"): r"\implies", (r"\Leftarrow", "="): r"\impliedby",
                (r"\Leftarrow", r"\Rightarrow"): r"\iff", ("-", r"\to"): r"\longrightarrow",
                (r"\leftarrow", "-"): r"\longleftarrow", (r"\leftarrow", r"\to"): r"\longleftrightarrow"}


def long_arrows(glyphs: list[Glyph]) -> list[Glyph]:
    """Two glyphs of a long arrow, overlapping on one baseline, as the one arrow they draw."""
    if not any(g.tex in (r"\Rightarrow", r"\Leftarrow", r"\to", r"\leftarrow") for g in glyphs):
        return glyphs
    ordered = sorted(glyphs, key=lambda g: (round(g.base), g.x0))
    out: list[Glyph] = []
    for g in ordered:
        last = out[-1] if out else None
        arrow = _LONG_ARROWS.get((last.tex, g.tex)) if last else None
        if (arrow and abs(last.base - g.base) < 0.1 * g.size and g.x0 - last.x1 < -0.05 * g.size
                and g.x0 > last.x0 and abs(last.size - g.size) < 0.1 * g.size):
            out[-1] = Glyph(last.c + g.c, arrow, "rel", last.x0, max(last.x1, g.x1), min(last.top, g.top),
                            max(last.bottom, g.bottom), g.base, g.size, g.fam, g.font, last.line, last.space_before,
                            seq=last.seq)
        else:
            out.append(g)
    return out if len(out) < len(glyphs) else glyphs


def _tall_radicals(glyphs: list[Glyph]) -> list[Glyph]:
    """A radical taller than cmex's largest is its bottom sign with a stack of pieces over it (the
    extension, then the top, where the bar starts): one radical sign, as tall as the stack."""
    signs = [g for g in glyphs if g.role == "radical" and g.fam == "ex"]
    pieces = [g for g in glyphs if g.role == "piece" and g.tex == r"\sqrt"]
    if not signs or not pieces:
        return glyphs
    used: set[int] = set()
    merged: dict[int, Glyph] = {}
    for sign in signs:
        stack, edge = [], sign.top
        for g in sorted((p for p in pieces if abs(p.x0 - sign.x0) < 0.5 and p.bottom <= sign.top + 1.0),
                        key=lambda p: -p.bottom):
            if edge - g.bottom > 1.0:
                break
            stack.append(g)
            edge = g.top
        if stack:
            top = stack[-1]
            used.update(id(g) for g in stack)
            merged[id(sign)] = Glyph(sign.c, r"\sqrt", "radical", sign.x0, max(g.x1 for g in [sign, *stack]), top.top,
                                     sign.bottom, top.base, sign.size, "ex", sign.font, top.line, top.space_before,
                                     seq=top.seq)
    return [merged.get(id(g), g) for g in glyphs if id(g) not in used]


def merge_pieces(glyphs: list[Glyph]) -> list[Glyph]:
    """An extensible delimiter is a stack of pieces (top, extension, bottom) at one x: one glyph."""
    glyphs = _tall_radicals(glyphs)
    pieces = [g for g in glyphs if g.role == "piece" and g.tex not in (r"\sqrt", r"\overbrace", r"\underbrace")]
    if not pieces:
        return glyphs
    rest = [g for g in glyphs if not (g.role == "piece" and g in pieces)]
    stacks: list[list[Glyph]] = []
    for g in sorted(pieces, key=lambda g: (round(g.x0), g.top)):
        if stacks and stacked_pieces(stacks[-1][-1], g):
            stacks[-1].append(g)
        else:
            stacks.append([g])
    for stack in stacks:
        first = stack[0]
        tex = first.tex
        role = {"(": "open", "[": "open", r"\{": "open", ")": "close", "]": "close", r"\}": "close"}.get(tex, "fence")
        rest.append(Glyph(first.c, tex, role, min(g.x0 for g in stack), max(g.x1 for g in stack), first.top,
                          max(g.bottom for g in stack), first.base, first.size, "ex", first.font, first.line,
                          first.space_before))
    return rest


def span_glyphs(span: dict, line: int, space: bool = False) -> tuple[list[Glyph], bool]:
    """The glyphs of one rawdict span (spaces become `space_before` of the next glyph), and whether
    it ends with a space (which then goes to the next span's first glyph)."""
    font = span["font"]
    fam = family(font)
    size = span["size"]
    italic = bool(span["flags"] & 2)
    out: list[Glyph] = []
    for ch in span["chars"]:
        c = ch["c"]
        if c in " \u00a0\u2009\u200a\u2002\u2003":
            space = True
            continue
        x0, _, x1, _ = ch["bbox"]
        base = ch["origin"][1]
        tex, role = meaning(c, font)
        if fam == "ex" and (code := ex_code(c)) is not None:
            up, down = ex_extent(code)
            top, bottom = base - up * size, base + down * size
        elif role == "radical" and fam == "sy":
            top, bottom = base - 0.04 * size, base + 0.96 * size
        elif fam == "umath" and role in _SIZED:  # its own box (the reader asks for glyph boxes)
            top, bottom = ch["bbox"][1], ch["bbox"][3]
        else:
            top, bottom = base - ASCENT * size, base + DESCENT * size
        out.append(Glyph(c, tex, role, x0, x1, top, bottom, base, size, fam, font, line, space, (), italic))
        space = False
    return out, space


def combining_accents(trace: list[dict]) -> dict[tuple[int, int], tuple[str, ...]]:
    """OpenType math sets an accent as a combining mark just before its base in the content
    stream, where the text layer loses it: (base origin, rounded) -> accents, from the trace."""
    out: dict[tuple[int, int], tuple[str, ...]] = {}
    pending: list[str] = []
    for span in trace:
        for code, _gid, origin, _bbox in span["chars"]:
            ch = chr(code) if 0 < code < 0x110000 else ""
            if "\u0300" <= ch <= "\u036f" or "\u20d0" <= ch <= "\u20ff":
                tex, role = meaning(ch, span["font"])
                if role == "accent":
                    pending.append(tex)
                continue
            if pending and not ch.isspace():
                out[(round(origin[0] * 4), round(origin[1] * 4))] = tuple(pending)
                pending = []
    return out


def _rgb_visible(colour) -> bool:
    return colour is None or min(colour[:3] if len(colour) >= 3 else colour) < 0.9 or len(colour) == 4


def page_rules(drawings: list[dict]) -> tuple[list[Rule], list[tuple[float, float, float, float]]]:
    """Thin horizontal rules, and frames (stroked rectangles, or four rules meeting at corners)."""
    rules: list[Rule] = []
    verticals: list[tuple[float, float, float]] = []  # (x, y0, y1)
    frames: list[tuple[float, float, float, float]] = []
    for d in drawings:
        stroke = "s" in (d.get("type") or "")
        fill = "f" in (d.get("type") or "")
        if fill and not _rgb_visible(d.get("fill")) or stroke and not fill and not _rgb_visible(d.get("color")):
            continue
        width = d.get("width") or 0.0
        for item in d["items"]:
            kind = item[0]
            if kind == "l":
                (ax, ay), (bx, by) = item[1], item[2]
                if abs(ay - by) < 0.3 and abs(ax - bx) > 0.8:
                    rules.append(Rule(min(ax, bx), max(ax, bx), (ay + by) / 2, max(width, 0.1)))
                elif abs(ax - bx) < 0.3 and abs(ay - by) > 0.8:
                    verticals.append(((ax + bx) / 2, min(ay, by), max(ay, by)))
            elif kind == "re":
                x0, y0, x1, y1 = item[1]
                x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
                w, h = x1 - x0, y1 - y0
                if fill and h <= 2.0 and w > 0.8 and w > 2 * h:
                    rules.append(Rule(x0, x1, (y0 + y1) / 2, max(h, 0.1)))
                elif fill and w <= 2.0 and h > 0.8 and h > 2 * w:
                    verticals.append(((x0 + x1) / 2, y0, y1))
                elif stroke and not fill and w > 4 and h > 4:
                    frames.append((x0, y0, x1, y1))
    boxes, table_rules = _four_rule_frames(rules, verticals)
    frames += boxes
    if frames or table_rules:
        edges = {id(r) for r in rules for f in frames if _on_frame(r, f)} | table_rules
        rules = [r for r in rules if id(r) not in edges]
    return rules, frames


def _on_frame(rule: Rule, frame: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = frame
    return (abs(rule.x0 - x0) < 1.5 and abs(rule.x1 - x1) < 1.5
            and (abs(rule.y - y0) < 1.5 or abs(rule.y - y1) < 1.5))


def _four_rule_frames(rules: list[Rule], verticals: list[tuple[float, float, float]]
                      ) -> tuple[list[tuple[float, float, float, float]], set[int]]:
    """\\fbox and \\boxed draw four filled rules: a top and a bottom of the same span, and two sides
    meeting them. More than two horizontal rules of one span between the same sides are a table's:
    they are neither frames nor fraction bars."""
    if len(verticals) < 2 or len(rules) < 2:
        return [], set()
    frames, table = [], set()
    by_span: dict[tuple[int, int], list[Rule]] = {}
    for r in rules:
        by_span.setdefault((round(r.x0), round(r.x1)), []).append(r)
    for same in by_span.values():
        if len(same) < 2:
            continue
        same.sort(key=lambda r: r.y)
        x0, x1 = same[0].x0, same[0].x1
        sides = [v for v in verticals if v[1] <= same[-1].y + 1.5 and v[2] >= same[0].y - 1.5
                 and (abs(v[0] - x0) < 1.5 or abs(v[0] - x1) < 1.5)]
        if len({round(v[0]) for v in sides}) < 2:
            continue
        if len(same) == 2 and same[1].y - same[0].y > 4:
            frames.append((x0, same[0].y, x1, same[1].y))
        else:
            table.update(id(r) for r in same)
    return frames, table
