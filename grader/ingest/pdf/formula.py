r"""One formula's glyphs and rules -> its structure (mathtree), in the manner of Maxtract: TeX puts
every glyph at an exact place, so the structure can be read back from positions and sizes.

A region (a whole formula, a numerator, a subscript...) is read in this order:

1. accents onto their base (or the group under a wide accent); a slash across a relation negates it;
2. radicals: a radical sign and the rule (vinculum) starting at its top right; what lies under the
   rule is the radicand, a small glyph over the sign's left part its index;
3. fraction bars, widest first: what lies above a bar within its span is the numerator, below it
   the denominator (each gathered outwards from the bar while no gap opens); a rule with glyphs
   on one side only is an over- or underline;
4. big operators of display size: glyphs centred above and below a sum, product or union are its
   limits;
5. full-size glyphs stacked between big delimiters (or after a big left brace) are a matrix's rows
   and columns (cases);
6. the main baseline: the one holding the largest glyphs (most of them among equals); glyphs
   away from it belong to the nearest element on their left as its superscript (above) or
   subscript (below), or to the operator name they are centred under (\lim_{n \to \infty}), and
   are read as regions themselves. A region of plain glyphs on one line is read at once.

What cannot be placed with certainty is still read, with a note and a lower confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.ingest.pdf.glyphs import Glyph, Rule, long_arrows, merge_pieces
from grader.ingest.pdf.mathtree import Accent, Frac, Matrix, Radical, Reading, Scripted, Sym, Word, latex, plain
from grader.ingest.pdf.symbols import OPERATOR_NAMES, named_quantity, negated, operator_latex

MAX_DEPTH = 12  # nesting of regions (a fraction in a subscript in a fraction ...)
MAX_GLYPHS = 1500  # in one formula


@dataclass
class _Context:
    notes: list[str] = field(default_factory=list)
    confidence: float = 1.0

    def doubt(self, note: str, factor: float) -> None:
        if note not in self.notes:
            self.notes.append(note)
        self.confidence *= factor


@dataclass(eq=False, slots=True)
class _Atom:
    """An element of a region's main line: a glyph, or a structure built from several."""

    node: object
    x0: float
    x1: float
    top: float
    bottom: float
    base: float | None  # its baseline, when it has one (glyphs; not fractions or hung glyphs)
    size: float
    glyph: Glyph | None = None
    axis: float | None = None  # without a baseline: the height it is centred on (a fraction's bar)

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def centre(self) -> float:
        return self.axis if self.axis is not None else self.cy


def read(glyphs: list[Glyph], rules: list[Rule]) -> Reading:
    """The formula made of these glyphs and rules, as LaTeX and plain text, with a confidence."""
    ctx = _Context()
    if len(glyphs) > MAX_GLYPHS:
        ctx.doubt(f"more than {MAX_GLYPHS} glyphs: not read", 0.0)
        return Reading("?", "?", 0.0, ctx.notes)
    nodes = _region(long_arrows(list(glyphs)), list(rules), ctx, 0)
    text = latex(nodes)
    if "?" in text:
        ctx.doubt("a glyph whose meaning is unknown", 0.4)
    return Reading(text, plain(nodes), round(ctx.confidence, 3), ctx.notes)


class _Ordered(dict):
    """A set of glyphs (or rules) that iterates in the order they were given. A set of objects
    iterates in the order of their memory addresses, which differ from run to run: glyphs tied on
    a sort key (a bold glyph printed twice, a letter and its accent) would then be read in a
    different order each time, and the same PDF give a different formula."""

    def __init__(self, items=()):
        super().__init__(dict.fromkeys(items))

    def discard(self, item) -> None:
        self.pop(item, None)

    def difference_update(self, items) -> None:
        for item in items:
            self.pop(item, None)


def _inside(item, x0: float, x1: float, tol: float = 0.6) -> bool:
    return x0 - tol <= (item.x0 + item.x1) / 2 <= x1 + tol


def _chain(items: list, start: float, upwards: bool) -> list:
    """Items met going up (or down) from `start` while no gap wider than half a glyph opens."""
    ordered = sorted(items, key=lambda it: -it.bottom if upwards else it.top)
    taken, edge = [], start
    for it in ordered:
        size = getattr(it, "size", 6.0)
        gap = (edge - it.bottom) if upwards else (it.top - edge)
        if gap > 0.55 * size + 0.5:
            break
        taken.append(it)
        edge = min(edge, it.top) if upwards else max(edge, it.bottom)
    return taken


def _region(glyphs: list[Glyph], rules: list[Rule], ctx: _Context, depth: int) -> tuple:
    if not glyphs and not rules:
        return ()
    if depth > MAX_DEPTH:
        ctx.doubt("formula nested too deeply to read", 0.3)
        return (Sym("?", "unknown"),)
    if not rules and _flat(glyphs):  # x, p(x), a + b: one line of plain glyphs, nothing to place
        return tuple(a.node for a in _words([_atom(g) for g in sorted(glyphs, key=lambda g: g.x0)]))
    glyphs = merge_pieces(glyphs)
    atoms: list[_Atom] = []
    free = _Ordered(glyphs)
    rules_left = _Ordered(rules)
    _accents(free, atoms, ctx, depth)
    _radicals(glyphs, rules, free, rules_left, atoms, ctx, depth)
    _fractions(free, rules_left, atoms, ctx, depth)
    _operators(free, atoms, ctx, depth)
    atoms += [_atom(g) for g in sorted(free, key=lambda g: g.x0)]
    return _line(atoms, ctx, depth)


_PLACED = frozenset({"ord", "punct", "bin", "rel", "open", "close", "fence", "prime"})


def _flat(glyphs: list[Glyph]) -> bool:
    """One baseline, one size, no glyph that hangs, grows, carries limits or sits over another."""
    first = glyphs[0]
    return all(g.role in _PLACED and not g.hangs and not g.big and g.c != "/" and g.size == first.size
               and abs(g.base - first.base) < 0.05 * first.size for g in glyphs)


_SYMS: dict[tuple[str, str, bool], Sym] = {}  # nodes are frozen values: one per meaning


def _atom(g: Glyph) -> _Atom:
    node = _SYMS.get((g.tex, g.role, g.big))
    if node is None:
        if len(_SYMS) > 20_000:  # a hostile file's endless meanings
            _SYMS.clear()
        node = _SYMS[(g.tex, g.role, g.big)] = Sym(g.tex, g.role, big=g.big)
    for command in reversed(g.accents):
        node = Accent(command, (node,))
    return _Atom(node, g.x0, g.x1, g.top, g.bottom, None if g.hangs else g.base, g.size, g,
                 g.cy if g.hangs else None)


def _radicals(glyphs, rules, free: _Ordered, rules_left: _Ordered, atoms: list, ctx: _Context, depth: int) -> None:
    for g in sorted((g for g in glyphs if g.role == "radical"), key=lambda g: g.x0):
        if g not in free:
            continue
        # the bar starts at the sign's top right; an OpenType sign grows above its box
        low, high = (g.top - 0.5 * g.size - 1.0, g.top + 0.3 * g.size + 1.0) if g.hangs else \
            (g.base - 3.0 * g.size, g.base)
        near = [r for r in rules_left if -1.5 <= r.x0 - g.x1 <= 0.35 * g.size + 1.0 and low <= r.y <= high]
        if not near:
            ctx.doubt("a radical sign without its bar: its extent is a guess", 0.8)
            continue
        bar = min(near, key=lambda r: abs(r.x0 - g.x1) + abs(r.y - g.top) / 4)
        if _in_a_fraction(g, bar, rules_left):
            continue  # \frac{\sqrt{a}}{b}: the fraction takes it whole, and its part reads the radical
        axis = g.base - 0.25 * g.size
        bottom = g.bottom + 0.1 * g.size if g.hangs else max(g.bottom, 2 * axis - bar.y) + 0.1 * g.size
        body = [h for h in free if h is not g and _inside(h, bar.x0, bar.x1, 0.2) and bar.y < h.cy <= bottom]
        inner = [r for r in rules_left if r is not bar and _inside(r, bar.x0, bar.x1, 0.2) and bar.y < r.y <= bottom]
        index = [h for h in free if h is not g and h not in body and h.size < 0.85 * g.size
                 and h.x0 >= g.x0 - 0.6 * g.size and h.cx <= g.x0 + 0.75 * (g.x1 - g.x0) and h.bottom <= g.cy + 1]
        free.difference_update([g, *body, *index])
        rules_left.difference_update([bar, *inner])
        node = Radical(_region(body, inner, ctx, depth + 1), _region(index, [], ctx, depth + 1) if index else ())
        items = [g, *body]
        atoms.append(_Atom(node, min(it.x0 for it in items), max(bar.x1, *(it.x1 for it in items)),
                           min(bar.top, g.top), max(it.bottom for it in items), None if g.hangs else g.base,
                           max([h.size for h in body] or [g.size]), None, g.cy if g.hangs else None))


def _in_a_fraction(sign: Glyph, bar: Rule, rules: _Ordered) -> bool:
    """Whether a radical (its sign and its bar) sits right over or under a wider rule that spans it:
    a numerator or a denominator, read with its fraction."""
    for r in rules:
        if r is bar or r.width <= bar.width or not (r.x0 - 0.6 <= sign.x0 and bar.x1 <= r.x1 + 0.6):
            continue
        if 0 <= r.y - sign.bottom < 0.7 * sign.size + 1 or 0 <= bar.y - r.y < 0.9 * sign.size + 1:
            return True
    return False


def _fractions(free: _Ordered, rules_left: _Ordered, atoms: list, ctx: _Context, depth: int) -> None:
    for bar in sorted(rules_left, key=lambda r: -r.width):
        if bar not in rules_left:
            continue
        lo, hi = bar.x0 - 0.6, bar.x1 + 0.6  # _inside, spelt out: a bar tests every glyph left
        others = [r for r in rules_left if r is not bar and lo <= (r.x0 + r.x1) / 2 <= hi]
        candidates = [g for g in free if lo <= (g.x0 + g.x1) / 2 <= hi] + others
        above = _chain([it for it in candidates if it.cy < bar.y], bar.top, upwards=True)
        below = _chain([it for it in candidates if it.cy > bar.y], bar.bottom, upwards=False)
        if above and below:
            num_g = [it for it in above if isinstance(it, Glyph)]
            den_g = [it for it in below if isinstance(it, Glyph)]
            free.difference_update(num_g + den_g)
            rules_left.difference_update([bar, *(it for it in above + below if isinstance(it, Rule))])
            node = Frac(_region(num_g, [r for r in above if isinstance(r, Rule)], ctx, depth + 1),
                        _region(den_g, [r for r in below if isinstance(r, Rule)], ctx, depth + 1))
            size = max((g.size for g in num_g + den_g), default=bar.width)
            atoms.append(_Atom(node, bar.x0, bar.x1, min(it.top for it in above), max(it.bottom for it in below),
                               None, size, None, bar.y))
        elif below or above:
            # an over- or underline: only the glyphs right against it
            side = below or above
            group = [it for it in side if isinstance(it, Glyph)]
            if not group:
                continue
            free.difference_update(group)
            rules_left.discard(bar)
            node = Accent(r"\overline" if below else r"\underline",
                          _region(group, [r for r in side if isinstance(r, Rule)], ctx, depth + 1))
            base = max(group, key=lambda g: g.size)
            atoms.append(_Atom(node, min(bar.x0, *(g.x0 for g in group)), max(bar.x1, *(g.x1 for g in group)),
                               min(bar.top, *(g.top for g in group)), max(bar.bottom, *(g.bottom for g in group)),
                               base.base, base.size))


def _limit_group(free: _Ordered, op: Glyph, upper: bool) -> list[Glyph]:
    """The glyphs centred above (or below) a big operator, gathered from those against it."""
    width = op.x1 - op.x0
    if upper:
        seeds = [g for g in free if g is not op and g.size < op.size * 1.05 and g.bottom <= op.top + 0.2 * op.size
                 and g.bottom >= op.top - 1.2 * op.size and op.x0 - 0.3 * width <= g.cx <= op.x1 + 0.3 * width]
    else:
        seeds = [g for g in free if g is not op and g.size < op.size * 1.05 and g.top >= op.bottom - 0.2 * op.size
                 and g.top <= op.bottom + 1.2 * op.size and op.x0 - 0.3 * width <= g.cx <= op.x1 + 0.3 * width]
    if not seeds:
        return []
    group = _Ordered(seeds)
    grown = True
    while grown:
        grown = False
        x0, x1 = min(g.x0 for g in group), max(g.x1 for g in group)
        top, bottom = min(g.top for g in group), max(g.bottom for g in group)
        for g in free:
            if g in group or g is op:
                continue
            if (x0 - 0.4 * g.size <= g.x1 and g.x0 <= x1 + 0.4 * g.size and top - 0.2 * g.size <= g.cy <= bottom
                    + 0.2 * g.size and (g.top >= op.bottom - 0.2 * op.size if not upper
                                        else g.bottom <= op.top + 0.2 * op.size)):
                group[g] = None
                grown = True
    x0, x1 = min(g.x0 for g in group), max(g.x1 for g in group)
    if abs((x0 + x1) / 2 - op.cx) > 0.25 * width + 0.15 * op.size:
        return []  # not centred on the operator: a script of something else
    return sorted(group, key=lambda g: g.x0)


def _operators(free: _Ordered, atoms: list, ctx: _Context, depth: int) -> None:
    for op in sorted((g for g in free if g.role in ("op", "int") and g.tall), key=lambda g: g.x0):
        upper = _limit_group(free, op, True)
        free.difference_update(upper)
        lower = _limit_group(free, op, False)
        free.difference_update(lower)
        if not upper and not lower:
            continue
        free.discard(op)
        node = Scripted(Sym(op.tex, op.role), _region(lower, [], ctx, depth + 1) or None,
                        _region(upper, [], ctx, depth + 1) or None)
        items = [op, *upper, *lower]
        atoms.append(_Atom(node, min(g.x0 for g in items), max(g.x1 for g in items), min(g.top for g in items),
                           max(g.bottom for g in items), None if op.hangs else op.base, op.size, op,
                           op.cy if op.hangs else None))


_COMBINING = ("\u0300", "\u036f")


def _accents(free: _Ordered, atoms: list, ctx: _Context, depth: int) -> None:
    """Accents onto their bases (Glyph.accents), a slash across a relation into its negation;
    wide accents (over a group) become atoms."""
    for a in sorted((g for g in free if g.role in ("accent", "not") or g.c == "/"), key=lambda g: (g.x0, g.base)):
        if a not in free:
            continue
        if a.c == "/" or a.role == "not":
            if a.x1 - a.x0 < 0.5:  # TeX's \not has no width: it is drawn over what follows
                crossed = [g for g in free if g.role == "rel" and a.x0 - 0.5 <= g.x0 <= a.x0 + 0.5 * a.size]
            else:
                crossed = [g for g in free if g.role == "rel" and g is not a
                           and min(g.x1, a.x1) - max(g.x0, a.x0) > 0.4 * min(g.x1 - g.x0, a.x1 - a.x0)]
            rel = min(crossed, key=lambda g: abs(g.cx - a.cx), default=None)
            if rel is not None:
                rel.tex = negated(rel.tex)
                free.discard(a)
            elif a.role == "not":
                ctx.doubt("a negation slash over nothing", 0.8)
                free.discard(a)
            continue
        if a.fam == "ex":  # \widehat, \widetilde over a group
            group = [g for g in free if g is not a and _inside(g, a.x0, a.x1) and g.cy > a.cy]
            group = _chain(group, a.bottom, upwards=False)
            if group:
                free.difference_update([a, *group])
                node = Accent(a.tex, _region(group, [], ctx, depth + 1))
                base = max(group, key=lambda g: g.size)
                atoms.append(_Atom(node, min(g.x0 for g in group), max(g.x1 for g in group), a.top,
                                   max(g.bottom for g in group), base.base, base.size))
            continue
        combining = _COMBINING[0] <= a.c <= _COMBINING[1] or "\u20d0" <= a.c <= "\u20ff"
        if combining:  # OpenType math puts the combining mark before its base
            after = [g for g in free if g is not a and g.role not in ("accent",) and g.x0 >= a.x0 - 0.5
                     and abs(g.base - a.base) < 0.6 * a.size]
            base = min(after, key=lambda g: (g.x0, g.base), default=None)
        else:
            over = [g for g in free if g is not a and g.role != "accent" and g.base >= a.base - 0.05 * a.size
                    and min(g.x1, a.x1) - max(g.x0, a.x0) > 0.3 * (a.x1 - a.x0)
                    and g.base - a.base < 1.0 * a.size]
            base = min(over, key=lambda g: (abs(g.cx - a.cx), g.base - a.base), default=None)
        if base is None:
            ctx.doubt(f"an accent ({a.tex}) over nothing", 0.85)
            free.discard(a)
            continue
        free.discard(a)
        base.accents = (*base.accents, a.tex)  # outermost (processed first) first


# ------------------------------------------------------------------------------ the main line

def _main_baseline(atoms: list[_Atom]) -> tuple[float | None, float]:
    """The baseline holding the largest glyphs, most of them among equals; and its size."""
    based = [a for a in atoms if a.base is not None]
    if not based:
        sizes = [a.size for a in atoms] or [10.0]
        return None, max(sizes)
    top_size = max(a.size for a in based)
    big = [a for a in based if a.size >= 0.92 * top_size]
    groups: list[list[_Atom]] = []
    for a in sorted(big, key=lambda a: a.base):
        if groups and abs(a.base - groups[-1][0].base) <= 0.12 * top_size:
            groups[-1].append(a)
        else:
            groups.append([a])
    best = max(groups, key=lambda g: (len(g), -min(a.x0 for a in g)))
    return sorted(a.base for a in best)[len(best) // 2], top_size


def _line(atoms: list[_Atom], ctx: _Context, depth: int) -> tuple:
    atoms = _matrix(atoms, ctx, depth)
    base, size = _main_baseline(atoms)
    tol = 0.12 * size
    main: list[_Atom] = []
    satellites: list[_Atom] = []
    axis = base - 0.25 * size if base is not None else None
    for a in atoms:
        # on the line: at its height, and full-size (a script may drop very little, or a superscript
        # of a subscript come back to the baseline: J_{F^{-1}})
        level = a.base is not None and abs(a.base - base) <= tol and a.size >= 0.85 * size
        if base is None or (level if a.base is not None else abs(a.centre - axis) <= 0.3 * size):
            main.append(a)
        else:
            satellites.append(a)
    if sum(1 for a in satellites if a.size >= 0.92 * size and a.base is not None) >= 2:
        ctx.doubt("full-size glyphs stacked on several lines without a fraction bar", 0.6)
    main.sort(key=lambda a: a.x0)
    main = _words(main)
    owned: dict[int, list[_Atom]] = {}
    leading: list[_Atom] = []
    for group in _limit_groups(satellites, size):
        # centred under (or over) an operator name: its limits (\lim_{n \to \infty}, \max_D)
        x0, x1 = min(s.x0 for s in group), max(s.x1 for s in group)
        over = [i for i, a in enumerate(main) if isinstance(a.node, Word) and not a.node.text
                and abs((x0 + x1) / 2 - (a.x0 + a.x1) / 2) < 0.3 * size + 0.2 * (a.x1 - a.x0)
                and (min(s.top for s in group) > a.base or max(s.bottom for s in group) < a.top)]
        if over:
            owned.setdefault(over[0], []).extend(group)
            continue
        for s in group:
            owner = None
            for i, a in enumerate(main):
                if a.x0 < s.x0 - 0.1:
                    owner = i
            if owner is None:
                leading.append(s)
            else:
                owned.setdefault(owner, []).append(s)
    nodes: list = []
    if leading:
        nodes.append(_scripted(None, leading, base, size, None, ctx, depth))
    for i, a in enumerate(main):
        if i in owned:
            nodes.append(_scripted(a, owned[i], base, size, a.node, ctx, depth))
        else:
            nodes.append(a.node)
    return tuple(nodes)


def _limit_groups(satellites: list[_Atom], size: float) -> list[list[_Atom]]:
    """Satellites side by side on one baseline (and what hangs from them): candidate limits."""
    groups: list[list[_Atom]] = []
    for s in sorted(satellites, key=lambda s: s.x0):
        home = next((g for g in groups if s.x0 - max(a.x1 for a in g) < 0.35 * size
                     and min(a.top for a in g) - 0.2 * size <= s.cy <= max(a.bottom for a in g) + 0.2 * size), None)
        if home is None:
            groups.append([s])
        else:
            home.append(s)
    return groups


def _scripted(owner: _Atom | None, scripts: list[_Atom], base: float | None, size: float, node, ctx: _Context,
              depth: int) -> Scripted:
    """Scripts of one element: above its reference line a superscript, below it a subscript."""
    if owner is not None and owner.base is not None:
        ref = owner.base
        def is_sup(s: _Atom) -> bool:
            return s.base is not None and s.base < ref - 0.08 * owner.size or s.base is None and s.cy < ref - 0.3 * owner.size
    else:
        centre = owner.centre if owner is not None else (base - 0.25 * size if base is not None else None)
        def is_sup(s: _Atom) -> bool:
            return centre is not None and s.cy < centre
    ups = [s for s in scripts if is_sup(s)]
    downs = [s for s in scripts if not is_sup(s)]
    if owner is not None and owner.base is not None:
        level = [s for s in downs if s.base is not None and abs(s.base - owner.base) < 0.05 * owner.size]
        if level:
            ctx.doubt("small glyphs on the baseline read as a subscript", 0.85)
    sub = _reread(downs, ctx, depth) if downs else None
    sup = _reread(ups, ctx, depth) if ups else None
    if isinstance(node, Scripted) and node.sub is None and node.sup is None:
        node = node.base
    if isinstance(node, Scripted):  # limits already read: more scripts join them
        return Scripted(node.base, (node.sub or ()) + (sub or ()) or None, (node.sup or ()) + (sup or ()) or None)
    return Scripted(node, sub, sup)


def _reread(atoms: list[_Atom], ctx: _Context, depth: int) -> tuple:
    """A group of satellites, which may carry their own scripts: a region of its own."""
    if depth + 1 > MAX_DEPTH:
        ctx.doubt("formula nested too deeply to read", 0.3)
        return (Sym("?", "unknown"),)
    return _line(atoms, ctx, depth + 1)


def _words(main: list[_Atom]) -> list[_Atom]:
    """Upright letters set side by side: an operator name (\\log), a named quantity (\\mathrm{ELBO}),
    or words of text inside the formula (\\text{for all})."""
    out: list[_Atom] = []
    run: list[_Atom] = []

    def flush() -> None:
        if not run:
            return
        if len(run) == 1:
            out.append(run[0])
        else:
            out.extend(_word_atoms(run))
        run.clear()

    for a in main:
        g = a.glyph
        upright = (g is not None and g.fam == "text" and len(g.c) == 1 and g.c.isalpha() and g.c.isascii()
                   and isinstance(a.node, Sym) and not g.tex.startswith(r"\mathbf") and not g.italic)
        if upright and run and (g.space_before or g.x0 - run[-1].x1 > 0.25 * g.size
                                or abs(g.base - run[-1].glyph.base) > 0.1 * g.size):
            if g.space_before and _is_text_word(run) is not None:
                run.append(a)  # words of text go on together: \text{for all}
                continue
            flush()
        if upright:
            run.append(a)
        else:
            flush()
            out.append(a)
    flush()
    return out


def _is_text_word(run: list[_Atom]) -> str | None:
    word = "".join(a.glyph.c for a in run if a.glyph is not None)
    return None if word in OPERATOR_NAMES or named_quantity(word) or len(word) < 2 else word


def _word_atoms(run: list[_Atom]) -> list[_Atom]:
    text = ""
    for a in run:
        text += (" " if text and a.glyph.space_before else "") + a.glyph.c
    first, last = run[0], run[-1]
    if " " in text or (text not in OPERATOR_NAMES and text.islower()):
        node = Word(text, text=True)
    elif text in OPERATOR_NAMES or named_quantity(text):
        node = Word(operator_latex(text))
    else:
        node = Word(rf"\mathrm{{{text}}}")
    return [_Atom(node, first.x0, last.x1, min(a.top for a in run), max(a.bottom for a in run), first.base,
                  first.size, last.glyph)]


def _matrix(atoms: list[_Atom], ctx: _Context, depth: int) -> list[_Atom]:
    """Full-size glyphs on several baselines between a pair of big delimiters (or after a big left
    brace): a matrix, or cases; each becomes one atom."""
    for _ in range(20):  # a few matrices in a formula; a hostile pile of delimiters stops here
        found = _one_matrix(atoms, ctx, depth)
        if found is None:
            return atoms
        atoms = found
    return atoms


def _one_matrix(atoms: list[_Atom], ctx: _Context, depth: int) -> list[_Atom] | None:
    delims = sorted((a for a in atoms if a.glyph is not None and a.glyph.big), key=lambda a: a.x0)
    if not delims:
        return None
    size = max((a.size for a in atoms if a.base is not None), default=10.0)
    for i, left in enumerate(delims):
        if left.glyph.role == "close":
            continue
        right = next((d for d in delims[i + 1:] if d.glyph.role in ("close", "fence")), None)
        if right is None and left.glyph.tex != r"\{":
            continue
        x1 = right.x0 if right is not None else max(a.x1 for a in atoms) + 1
        inside = [a for a in atoms if a is not left and a is not right and left.x1 - 0.5 <= a.x0
                  and a.x1 <= x1 + 0.5 and left.top - 1 <= a.cy <= left.bottom + 1]
        rows = _matrix_rows(inside, size)
        if len(rows) < 2:
            continue
        cells = _matrix_cells(rows, size)
        node = Matrix(tuple(tuple(_line(cell, ctx, depth + 1) for cell in row) for row in cells),
                      left.glyph.tex, right.glyph.tex if right is not None else "")
        gone = {id(a) for a in inside} | {id(left), id(right)}
        atom = _Atom(node, left.x0, right.x1 if right is not None else x1, left.top, left.bottom, None, size,
                     None, left.cy)
        return [a for a in atoms if id(a) not in gone] + [atom]
    return None


def _matrix_rows(items: list[_Atom], size: float) -> list[list[_Atom]]:
    bases = sorted({round(a.base, 1) for a in items if a.base is not None and a.size >= 0.92 * size})
    lines: list[float] = []
    for b in bases:
        if not lines or b - lines[-1] > 0.8 * size:
            lines.append(b)
    if len(lines) < 2:
        return []
    rows: list[list[_Atom]] = [[] for _ in lines]
    for a in items:
        y = a.base if a.base is not None and a.size >= 0.92 * size else a.cy + 0.25 * size
        rows[min(range(len(lines)), key=lambda k: abs(lines[k] - y))].append(a)
    return rows


def _matrix_cells(rows: list[list[_Atom]], size: float) -> list[list[list[_Atom]]]:
    """Columns where every row has a gap of at least an em at the same place."""
    spans = sorted((a.x0, a.x1) for row in rows for a in row)
    cuts: list[float] = []
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= 0.8 * size:
            cuts.append((reach + x0) / 2)
        reach = max(reach, x1)
    out = []
    for row in rows:
        cells: list[list[_Atom]] = [[] for _ in range(len(cuts) + 1)]
        for a in sorted(row, key=lambda a: a.x0):
            cells[sum(1 for c in cuts if a.x0 > c)].append(a)
        out.append(cells)
    return out
