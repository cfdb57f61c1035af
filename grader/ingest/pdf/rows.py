"""Page lines -> rows: the glyphs of the lines around any math regrouped as they are set.

A text layer puts a fraction's numerator and denominator on lines of their own and a subscript on
the next line. Here glyphs join a row when they are set against each other: glyphs of one span or
of one baseline close together, a script and its base, a fraction's parts and its bar, a sum and
its limits, a big delimiter and what it holds, an accent and its letter, an equation number and its
equation. Only the lines that hold a math glyph, and those their glyphs reach, are regrouped (the
zone); a neighbour search on a grid of cells keeps the grouping linear.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from itertools import accumulate

from grader.ingest.pdf.glyphs import ASCENT, DESCENT, Glyph, Rule, stacked_pieces
from grader.ingest.pdf.layout import _Line
from grader.ingest.pdf.symbols import ex_code, ex_extent, family, is_math_font

TAG = re.compile(r"^\((?:\d+(?:\.\d+)*[a-z]?|[*†‡]+)\)$")  # an equation number: (3), (2.1a)
Row = tuple[list[Glyph], list[Rule]]


# ---------------------------------------------------------------------------------- zones

def _extent(line: _Line) -> tuple[float, float]:
    """How high and low the line's glyphs reach (an extension-font glyph hangs from its origin)."""
    top, bottom = float("inf"), float("-inf")
    for sp in line.spans:
        y, size = sp["origin"][1], sp["size"]
        if family(sp["font"]) == "ex":
            for ch in sp["chars"]:
                up, down = ex_extent(ex_code(ch["c"][:1]))  # an unknown code: ex_extent's default
                top, bottom = min(top, y - up * size), max(bottom, y + down * size)
        else:
            top, bottom = min(top, y - ASCENT * size), max(bottom, y + DESCENT * size)
    return top, bottom


def zone(lines: list[_Line], rules: list[Rule]) -> list[int]:
    """The lines that hold math, and the lines their glyphs touch (a numerator's line, a
    subscript's), closed transitively; never a line of grid labels."""
    ext = {i: _extent(ln) for i, ln in enumerate(lines) if ln.spans and not ln.labels}
    usable = sorted(ext, key=lambda i: ext[i][0])
    tops = [ext[i][0] for i in usable]
    reach = list(accumulate((ext[i][1] for i in usable), max))  # the lowest bottom among the first k lines
    seeds = [i for i in usable if any(is_math_font(sp["font"]) for sp in lines[i].spans)]
    zone = set(seeds)
    todo = list(seeds)
    near_rules = set()
    while todo:
        i = todo.pop()
        top, bottom = ext[i]
        x0, _, x1, _ = lines[i].bbox
        size = max(lines[i].size, 4.0)
        for r in rules:
            if id(r) not in near_rules and r.x0 < x1 + size and r.x1 > x0 - size and top - 0.6 * size < r.y < bottom + 0.6 * size:
                near_rules.add(id(r))
                top, bottom = min(top, r.y - 1.2 * size), max(bottom, r.y + 1.2 * size)
        found = []
        k = bisect_left(tops, bottom) - 1  # lines starting above this one's bottom, upwards
        while k >= 0 and reach[k] > top + 0.3:  # until no line above reaches below this one's top
            j = usable[k]
            k -= 1
            if j in zone:
                continue
            jt, jb = ext[j]
            jx0, _, jx1, _ = lines[j].bbox
            near = jx0 < x1 + 3 * size and jx1 > x0 - 3 * size
            if jt < bottom - 0.3 and jb > top + 0.3 and (near or TAG.match(lines[j].text.strip())):
                found.append(j)
        for j in reversed(found):  # taken top down
            zone.add(j)
            todo.append(j)
    return sorted(zone)


# ---------------------------------------------------------------------------------- rows

class _Grid:
    """Glyphs bucketed by where they start and their baseline: neighbours without a scan of the page."""

    CELL = 16.0

    def __init__(self, glyphs: list[Glyph]):
        self.cells: dict[tuple[int, int], list[int]] = {}
        cells, c = self.cells, self.CELL
        for i, g in enumerate(glyphs):
            key = (int(g.x0 // c), int(g.base // c))
            found = cells.get(key)
            if found is None:
                cells[key] = [i]
            else:
                found.append(i)

    def near(self, x0: float, x1: float, y0: float, y1: float) -> list[int]:
        """Indices of glyphs starting in [x0, x1] with a baseline in [y0, y1] (and a few more)."""
        out: list[int] = []
        c = self.CELL
        get = self.cells.get
        for cy in range(int(y0 // c), int(y1 // c) + 1):
            for cx in range(int(x0 // c), int(x1 // c) + 1):
                found = get((cx, cy))
                if found:
                    out += found
        return out


_PLACED_ROLES = frozenset({"ord", "punct", "bin", "rel", "open", "close"})


def rows(glyphs: list[Glyph], rules: list[Rule], span_of: list[int]) -> list[Row]:
    """Group glyphs (and rules) into rows: what is set on one line of the page, with everything
    that hangs from it (scripts, a fraction's parts, limits, accents).

    A union-find over glyphs then rules, each set's root its smallest index (a row's glyphs keep
    the text layer's order, rows come in the order of their first glyph). Only the partition
    matters, so pairs already joined (glyphs of one span) are not tested again."""
    n = len(glyphs)
    # glyphs of one span: each points at the span's first glyph
    parent = list(range(n + len(rules)))
    for i in range(1, n):
        if span_of[i] == span_of[i - 1]:
            parent[i] = parent[i - 1]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb

    # glyphs on one baseline close together
    keys = [(round(g.base * 2), g.x0) for g in glyphs]
    by_base = sorted(range(n), key=keys.__getitem__)
    for a, b in zip(by_base, by_base[1:]):
        if span_of[a] == span_of[b]:
            continue
        ga, gb = glyphs[a], glyphs[b]
        if (abs(ga.base - gb.base) < 0.06 * ga.size and not ga.hangs and not gb.hangs
                and gb.x0 - ga.x1 < 2.5 * max(ga.size, gb.size)):
            union(a, b)
    grid = _Grid(glyphs)
    cells = grid.cells.get
    cell = grid.CELL
    for i, g in enumerate(glyphs):
        # what touches g on its right or left: scripts, limits, accents, what a big glyph encloses.
        # Only the last glyph of a span (a script's base), small glyphs (scripts) and special ones
        # ask: the others' neighbours are on their own line, or ask themselves
        special = g.hangs or g.big or g.role not in _PLACED_ROLES
        size = g.size
        if not special and size >= 8.0 and i < n - 1 and span_of[i + 1] == span_of[i]:
            continue
        reach = g.x1 + (2.5 if g.hangs or g.big else 0.6) * size
        level = 0.06 * size
        base = g.base
        span = span_of[i]
        small = 0.85 * size
        x0, y0, y1 = g.x0 - 1.5 * size, g.top - 1.5 * size, g.bottom + 1.5 * size
        xs = range(int(x0 // cell), int(reach // cell) + 1)
        for cy in range(int(y0 // cell), int(y1 // cell) + 1):
            for cx in xs:
                for j in cells((cx, cy), ()):
                    if span_of[j] == span:
                        continue  # the same span (g itself too): already one row
                    h = glyphs[j]
                    if not special:
                        if -level < h.base - base < level and h.size == size:
                            continue  # the same line: joined above
                        if h.role != "accent" and small < h.size and h.size * 0.85 < size:
                            continue  # neither a script of the other nor an accent: _touch says no
                    if _touch(g, h):
                        union(i, j)
    for r_index, r in enumerate(rules, start=n):
        for j in _rule_neighbours(r, glyphs, grid):
            union(r_index, j)
    groups: dict[int, Row] = {}
    roots = parent  # parents point to smaller indices: one pass in index order finds every root
    for i in range(len(parent)):
        roots[i] = i if parent[i] == i else roots[parent[i]]
    for i, root in enumerate(roots):
        group = groups.get(root)
        if group is None:
            group = groups[root] = ([], [])
        if i < n:
            group[0].append(glyphs[i])
        else:
            group[1].append(rules[i - n])
    return [g for g in groups.values() if g[0]]


def with_tags(rows: list[Row]) -> list[Row]:
    """An equation number far right of its equation is a row of its own: join it to the row it
    numbers (the one on its left whose height holds its baseline)."""
    out = []
    tags = []
    for row in rows:
        glyphs = row[0]
        if len(glyphs) <= 8 and not row[1] and TAG.match("".join(g.c for g in sorted(glyphs, key=lambda g: g.x0))):
            tags.append(row)
        else:
            out.append(row)
    for tag in tags:
        x0, base = min(g.x0 for g in tag[0]), tag[0][0].base
        owner = [row for row in out if max(g.x1 for g in row[0]) < x0
                 and min(g.top for g in row[0]) <= base <= max(g.bottom for g in row[0])]
        if owner:
            max(owner, key=lambda row: max(g.x1 for g in row[0]))[0].extend(tag[0])
        else:
            out.append(tag)
    return out


def with_limits(rows: list[Row]) -> list[Row]:
    """Limits under an operator name (\\max_D, \\lim_{n \\to \\infty} in a display) are a row of small
    glyphs just under its upright letters: join them to it."""
    out = [r for r in rows]
    # per row, its upright lower-case letters (what an operator name is made of) and their
    # lowest baseline, highest baseline and largest size: most rows are too far to hold limits
    letters: dict[int, list] = {}
    for row in rows:
        found = [g for g in row[0] if g.fam == "text" and not g.italic and g.c.isalpha() and g.c.islower()]
        letters[id(row)] = [found, *_extremes(found)]
    for row in rows:
        glyphs = row[0]
        if row[1]:
            continue
        top, cx = min(g.top for g in glyphs), (min(g.x0 for g in glyphs) + max(g.x1 for g in glyphs)) / 2
        largest = max(h.size for h in glyphs)
        for other in out:
            if other is row:
                continue
            found, lowest, highest, size = letters[id(other)]
            # none of them can have its baseline just over `top`, or be large enough
            if not found or lowest >= top or top - highest >= 0.3 * size or largest > 0.8 * size:
                continue
            word = [g for g in found if g.x0 - 0.2 <= cx <= g.x1 + 0.2 and 0 < top - g.base < 0.3 * g.size
                    and all(h.size <= 0.8 * g.size for h in glyphs)]
            if word:
                other[0].extend(glyphs)
                mine = letters[id(row)][0]
                if mine:
                    letters[id(other)] = [found + mine, *_extremes(found + mine)]
                out.remove(row)
                break
    return out


def _extremes(glyphs: list[Glyph]) -> tuple[float, float, float]:
    if not glyphs:
        return 0.0, 0.0, 0.0
    return min(g.base for g in glyphs), max(g.base for g in glyphs), max(g.size for g in glyphs)


def _touch(g: Glyph, h: Glyph) -> bool:
    """Is h set against g: its script, its limit, its accent, or enclosed by it?"""
    gap = h.x0 - g.x1
    if g.role == h.role == "piece":  # of one extensible delimiter (glyphs.merge_pieces makes it one glyph)
        return stacked_pieces(g, h) or stacked_pieces(h, g)
    if (g.role == "radical" and h.size < 0.85 * g.size and g.x0 - 0.3 * g.size <= h.cx <= g.cx
            and g.top < h.bottom <= g.cy + 0.15 * g.size):
        return True  # the index of a root: over the sign's left part
    if g.hangs or g.big or g.role in ("op", "int"):
        # a big delimiter or operator: what sits beside it within its height (its scripts; what
        # follows an integral's limits on the axis), or centred on it
        beside = -0.6 * g.size < gap < 0.8 * g.size or -0.3 * g.size < g.x0 - h.x1 < 0.8 * g.size
        if beside and g.top - 0.3 * h.size <= h.base <= g.bottom + 0.4 * h.size:
            return True
        if ((g.hangs or g.big) and -0.3 * g.size < gap < 2.5 * g.size and not h.hangs and h.size >= 0.9 * g.size
                and g.top < h.base - 0.25 * h.size < g.bottom):
            return True
        centred = (g.role in ("op", "int") and g.tall and h.size < 0.9 * g.size
                   and g.x0 - 0.3 * g.size <= h.cx <= g.x1 + 0.3 * g.size)
        return centred and (g.top - 0.6 * g.size < h.bottom <= g.top + 0.3 * g.size
                            or g.bottom - 0.3 * g.size <= h.top < g.bottom + 0.6 * g.size)
    if h.role == "accent" or g.role == "accent":
        acc, base = (h, g) if h.role == "accent" else (g, h)
        return (min(acc.x1, base.x1) - max(acc.x0, base.x0) > -0.5 and acc.base <= base.base + 0.1
                and base.base - acc.base < 1.0 * base.size)
    if h.size <= 0.85 * g.size and -0.35 * g.size <= gap <= 0.45 * g.size:
        # a script: its baseline within the base's height, its top above the base's bottom
        return g.top + 0.15 * g.size < h.base <= g.base + 0.5 * g.size and h.top < g.bottom - 0.1 * g.size
    if g.size <= 0.85 * h.size and -0.2 * h.size <= gap <= 0.5 * h.size:
        # what follows a script, back on the line: p_{F^{-1}(X)}(u)
        return g.base - 0.5 * h.size <= h.base <= g.base + 0.6 * h.size and g.top < h.bottom
    return False


def _rule_neighbours(r: Rule, glyphs: list[Glyph], grid: _Grid) -> list[int]:
    """What a rule joins into its row: the nearest line of glyphs over it and under it within its
    span (a fraction's numerator and denominator, a vinculum's radicand), and the glyphs beside it
    on the axis of the row it sits in. Only the nearest: an inline fraction on the next line of a
    list is a row of its own."""
    above: list[int] = []
    below: list[int] = []
    beside: list[int] = []
    vinculum = False  # a radical's bar: what lies over it is the line above, not a numerator
    for j in grid.near(r.x0 - 30.0, r.x1 + 20.0, r.y - 25.0, r.y + 35.0):
        h = glyphs[j]
        if h.x0 > r.x1 + 1.5 * h.size:
            continue
        if h.role == "radical" and abs(h.x1 - r.x0) < 0.3 * h.size + 1.0 and h.top - 0.3 * h.size - 1.0 <= r.y <= h.cy:
            vinculum = True
        if r.x0 - 0.6 <= h.cx <= r.x1 + 0.6:
            if h.cy < r.y and r.y - h.bottom < 0.7 * h.size + 1:
                above.append(j)
            elif h.cy > r.y and h.top - r.y < 0.9 * h.size + 1:
                below.append(j)
        else:
            axis = h.cy if h.hangs else h.base - 0.25 * h.size
            if min(abs(h.x1 - r.x0), abs(h.x0 - r.x1)) < 1.2 * h.size and abs(axis - r.y) < 0.25 * h.size + 0.5:
                beside.append(j)
    out = beside
    for side, nearest in (([] if vinculum else above, max), (below, min)):
        if not side:
            continue
        level = nearest(glyphs[j].base for j in side)
        out += [j for j in side if abs(glyphs[j].base - level) < 0.1 * glyphs[j].size]
    return out


