"""TikZ pictures: statements unrolled (`\\foreach`), labels and fills placed, a picture that is a
grid (`\\fill` rectangles, `\\node`s, `matrix of nodes`, `\\draw grid`) read into a grid finding.
A node no one sees (opacity 0, the colour of what is under it, scaled to nothing, far off the page),
in a picture or scope with such options too, is hidden text; a fill at opacity 0 is no fill."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from grader.ingest.grids import RGB, Fill, Label, parse_color, read_cells
from grader.ingest.limits import RejectedFile
from grader.ingest.tex.source import GRID_OPEN, marker, read_braced, read_bracketed, skip_spaces
from grader.ingest.tex.visibility import CM, Veil, colour_veil, opacity_veil

if TYPE_CHECKING:
    from grader.ingest.tex.walker import Walker

MAX_TIKZ_STATEMENTS = 20_000


def picture(walker: Walker, start: int, stop: int) -> None:
    walker.grid_source = start  # where a grid found here sits in the source: its frame, its caption
    opt = walker.opt(start, stop)
    options = walker.text_of((opt[0], opt[1])) if opt else ""
    veil = node_veil(options, walker, None)
    if veil is not None:
        walker.veils.append(veil)
    try:
        _picture(walker, options, walker.src[opt[2] if opt else start:stop])
    finally:
        if veil is not None:
            walker.veils.pop()


def inline(walker: Walker, i: int, end: int) -> int:
    """\\tikz[options]{...} or \\tikz[options] \\node{...}; read like a picture."""
    walker.grid_source = i
    opt = walker.opt(i, end)
    j = skip_spaces(walker.src, opt[2] if opt else i)
    got = walker.arg(j, end) if j < end and walker.src[j] == "{" else None
    stop = got[2] if got else min(_statement_end(walker.src[:end], j), end)
    body_start, body_stop = (got[0], got[1]) if got else (j, stop)
    options = walker.text_of((opt[0], opt[1])) if opt else ""
    veil = node_veil(options, walker, None)
    if veil is not None:
        walker.veils.append(veil)
    try:
        _picture(walker, options, walker.src[body_start:body_stop])
    finally:
        if veil is not None:
            walker.veils.pop()
    return stop


def _picture(walker: Walker, options: str, body: str) -> None:
    statements = _tikz_statements(body, [0])
    labels: list[Label] = []
    fills: list[Fill] = []
    grids_drawn: list[tuple[float, float, float, float, float]] = []
    texts: list[tuple[str, str, str, tuple[float, float]]] = []
    matrix_done = False
    scopes = [options]
    for order, st in enumerate(statements):
        walker.tick()
        if st.startswith("\\scope"):
            scopes.append(st[len("\\scope"):].strip(" [];"))
            continue
        if st.startswith("\\endscope"):
            if len(scopes) > 1:
                scopes.pop()
            continue
        if re.match(r"\s*\\matrix\b", st) and "matrix of" in st:
            if matrix_of_nodes(walker, st):
                matrix_done = True
            continue
        _tikz_statement(st, order, labels, fills, grids_drawn, texts, walker.colors, ",".join(scopes))
    if matrix_done:
        return
    shown = []
    for compact, spaced, node_options, where in texts:
        veil = node_veil(node_options, walker, where)
        if veil is None:
            shown.append(compact)
        else:
            walker.put(walker.log.add(spaced, f"{veil[0]}, a TikZ node", unsure=veil[1]))
    by_text: dict[str, Label] = {}
    for lab in labels:
        by_text.setdefault(lab.text, lab)
    size = _tikz_size(by_text)
    grid = None
    if size:
        grid = {f"{r}{c}": by_text[f"{r}{c}"] for r in range(1, size + 1) for c in range(1, size + 1)}
    elif grids_drawn and fills:
        grid = _labels_from_grid(grids_drawn[0])
    if grid is None:
        if shown:
            walker.put(" ".join(shown) + "\n")
        return
    reading = read_cells(grid, fills, "tex-tikz", "tex-text-mark", confidence=0.9)
    index = len(walker.grids)
    ordered = sorted(grid, key=lambda t: (int(t[0]), int(t[1:])))
    walker.grids.append({"cells": reading.cells, "method": reading.method, "confidence": reading.confidence,
                         "note": reading.note, "labels": tuple(ordered), "at": walker.grid_source})
    n = int(ordered[-1][0])
    rows = [" ".join(t for t in ordered if t[0] == str(r)) for r in range(1, n + 1)]
    walker.put(marker(GRID_OPEN, index) + "\n".join(rows) + "\n")


def matrix_of_nodes(walker: Walker, statement: str) -> bool:
    """`\\matrix[matrix of nodes] {11 & |[fill=blue!30]| 12 & ... \\\\ ...};` read like a table."""
    opts = statement.find("[")
    got_opts = read_bracketed(statement, opts) if opts >= 0 else None
    brace = statement.find("{", got_opts[1] if got_opts else 0)
    got = read_braced(statement, brace) if brace >= 0 else None
    if got is None:
        return False
    rows = [r for r in re.split(r"\\\\", got[0]) if r.strip()]
    size = len(rows)
    labels: list[Label] = []
    fills: list[Fill] = []
    matched = 0
    for r, row in enumerate(rows, start=1):
        cells = row.split("&")
        if len(cells) != size:
            return False
        for c, cell in enumerate(cells, start=1):
            opts = re.match(r"\s*\|\s*\[([^\]]*)\]\s*\|", cell)
            text = re.sub(r"\\[a-zA-Z]+|[{}$\s]", "", cell[opts.end():] if opts else cell)
            matched += text == f"{r}{c}"
            labels.append(Label(f"{r}{c}", c * 10.0, r * 10.0, 1.0, 1.0, (), 0))
            if opts:
                fill = _tikz_fill_color(opts.group(1), "node", walker.colors)
                if fill is not False:
                    fills.append(Fill(c * 10 - 5, r * 10 - 5, c * 10 + 5, r * 10 + 5, fill, r * size + c))
    if not 2 <= size <= 9 or matched < 0.6 * size * size:
        return False
    grid = {lab.text: lab for lab in labels}
    reading = read_cells(grid, fills, "tex-tikz", "tex-text-mark", confidence=0.9)
    index = len(walker.grids)
    walker.grids.append({"cells": reading.cells, "method": reading.method, "confidence": reading.confidence,
                         "note": reading.note, "labels": tuple(grid), "at": walker.grid_source})
    text = "\n".join(" ".join(f"{r}{c}" for c in range(1, size + 1)) for r in range(1, size + 1))
    walker.put(f"{marker(GRID_OPEN, index)}{text}\n")
    return True


_FOREACH = re.compile(r"\\foreach\s*((?:\\[a-zA-Z]+\s*/?\s*)+)\s*(?:\[[^\]]*\]\s*)?in\s*")


def _tikz_statements(body: str, count: list[int], depth: int = 0) -> list[str]:
    """Statements of a TikZ body with every \\foreach unrolled (variables substituted)."""
    if depth > 6:
        return []
    # scopes stay as statements of their own: their options hold for what they enclose
    body = re.sub(r"\\begin\s*\{scope\}\s*(\[[^\]]*\])?", lambda m: f" \\scope{m.group(1) or ''}; ", body)
    body = re.sub(r"\\end\s*\{scope\}", lambda m: " \\endscope; ", body)
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        i = skip_spaces(body, i)
        if i >= n:
            break
        m = _FOREACH.match(body, i)
        if m:
            variables = re.findall(r"\\([a-zA-Z]+)", m.group(1))
            lst = read_braced(body, m.end())
            if lst is None:
                break
            j = skip_spaces(body, lst[1])
            if j < n and body[j] == "{":
                inner = read_braced(body, j)
                if inner is None:
                    break
                loop_body, i = inner[0], inner[1]
            else:
                end = _statement_end(body, j)
                loop_body, i = body[j:end], end
            for item in _foreach_items(lst[0]):
                values = item.split("/")
                text = loop_body
                for k, var in enumerate(variables):
                    value = values[k].strip() if k < len(values) else values[-1].strip()
                    text = re.sub(r"\\" + var + r"(?![a-zA-Z])", lambda _m, v=value: v, text)
                out += _tikz_statements(text, count, depth + 1)
                if count[0] > MAX_TIKZ_STATEMENTS:
                    raise RejectedFile(f"a TikZ picture unrolls into more than {MAX_TIKZ_STATEMENTS:,} statements")
            continue
        end = _statement_end(body, i)
        statement = body[i:end].strip()
        if statement:
            out.append(statement)
            count[0] += 1
            if count[0] > MAX_TIKZ_STATEMENTS:
                raise RejectedFile(f"a TikZ picture unrolls into more than {MAX_TIKZ_STATEMENTS:,} statements")
        i = end
    return out


def _statement_end(body: str, i: int) -> int:
    depth = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
        elif c == ";" and depth <= 0:
            return i + 1
        i += 1
    return n


def _foreach_items(text: str) -> list[str]:
    items = [t.strip() for t in _split_commas(text) if t.strip()]
    out: list[str] = []
    for k, item in enumerate(items):
        if item in {"...", "\\ldots"} and 0 < k < len(items) - 1:
            try:
                a = float(items[k - 1])
                b = float(items[k + 1])
                step = a - float(items[k - 2]) if k >= 2 else (1.0 if b >= a else -1.0)
            except ValueError:
                continue
            if step == 0:
                continue
            value = a + step
            guard = 0
            while (value < b - 1e-9 if step > 0 else value > b + 1e-9) and guard < 1000:
                out.append(_number(value))
                value += step
                guard += 1
            continue
        out.append(item.strip("{}"))
    return out[:1000]


def _split_commas(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _number(v: float) -> str:
    return str(int(v)) if abs(v - round(v)) < 1e-9 else f"{v:g}"


_TIKZ_TOKEN = re.compile(
    r"\s*(?:(?P<rel>\+\+|\+)?\s*\((?P<coord>[^()]*(?:\([^()]*\)[^()]*)*)\)"
    r"|(?P<opt>\[)|(?P<brace>\{)|(?P<word>rectangle|grid|node|at|cycle|circle|--|to|coordinate|\|-|-\|)"
    r"|(?P<other>\S))")


def _tikz_statement(st: str, order: int, labels: list[Label], fills: list[Fill],
                    grids: list[tuple[float, float, float, float, float]],
                    texts: list[tuple[str, str, str, tuple[float, float]]], colors: dict[str, RGB],
                    inherited: str = "") -> None:
    m = re.match(r"\s*\\(fill|filldraw|draw|path|node|shade|shadedraw|coordinate|clip)\b\s*", st)
    if not m:
        return
    cmd = m.group(1)
    i = m.end()
    fill_rgb: RGB | None | bool = False
    options = read_bracketed(st, i)
    if options is not None:
        fill_rgb = _tikz_fill_color(options[0], cmd, colors)
        i = options[1]
    elif cmd in {"fill", "filldraw", "shade", "shadedraw"}:
        fill_rgb = (0.0, 0.0, 0.0) if cmd.startswith("fill") else (0.5, 0.5, 0.5)
    path_options = f"{inherited},{options[0] if options else ''}"
    if _opacity(path_options, fill=True) < 0.15:
        fill_rgb = False  # a fill no one sees is no highlight
    if cmd == "clip":
        return
    current: tuple[float, float] | None = None
    pending: str | None = None
    polygon: list[tuple[float, float]] = []
    step = 1.0
    if options is not None:
        sm = re.search(r"step\s*=\s*([\d.]+)", options[0])
        if sm:
            step = float(sm.group(1))
    node_pending = cmd == "node"
    node_at: tuple[float, float] | None = None
    node_opts = options[0] if cmd == "node" and options else ""

    def close_polygon():
        if fill_rgb is not False and len(polygon) >= 3:
            xs = [p[0] for p in polygon]
            ys = [p[1] for p in polygon]
            fills.append(Fill(min(xs) * 28.45, -max(ys) * 28.45, max(xs) * 28.45, -min(ys) * 28.45,
                              fill_rgb or None, order))
        polygon.clear()

    n = len(st)
    while i < n:
        t = _TIKZ_TOKEN.match(st, i)
        if t is None:
            break
        i = t.end()
        if t.group("coord") is not None:
            point = _tikz_point(t.group("coord"))
            if point is None:
                if node_pending and pending == "at":
                    pending = None
                continue
            if t.group("rel") and current is not None:
                point = (current[0] + point[0], current[1] + point[1])
            if node_pending and pending == "at":
                node_at = point
                pending = None
                continue
            if pending == "rectangle" and current is not None:
                if fill_rgb is not False:
                    x0, x1 = sorted((current[0], point[0]))
                    y0, y1 = sorted((current[1], point[1]))
                    fills.append(Fill(x0 * 28.45, -y1 * 28.45, x1 * 28.45, -y0 * 28.45,
                                      fill_rgb or None, order))
            elif pending == "grid" and current is not None:
                grids.append((current[0], current[1], point[0], point[1], step))
            elif pending == "--" and current is not None:
                if not polygon:
                    polygon.append(current)
                polygon.append(point)
            elif not t.group("rel") or t.group("rel") == "++":
                close_polygon()
            if t.group("rel") != "+":
                current = point
            pending = None
        elif t.group("word") is not None:
            word = t.group("word")
            if word in {"node", "coordinate"}:
                node_pending = True
                node_at = None
                pending = None
            elif word == "at":
                pending = "at"
            elif word == "cycle":
                pending = None
            else:
                pending = word
        elif t.group("opt") is not None:
            got = read_bracketed(st, t.start())
            if got is None:
                break
            if node_pending:
                node_opts = got[0]
            i = got[1]
        elif t.group("brace") is not None:
            got = read_braced(st, t.start())
            if got is None:
                break
            i = got[1]
            if node_pending:
                where = node_at or current or (0.0, 0.0)
                text = re.sub(r"\\[a-zA-Z]+\s*|[{}$\s]", "", got[0])
                if where is not None:
                    x, y = where[0] * 28.45, -where[1] * 28.45
                    bold = bool(re.search(r"\\(?:textbf|bfseries|bf|mathbf)\b", got[0]))
                    tc = re.search(r"\\(?:textcolor|color)\s*\{([^}]*)\}|(?:^|,)\s*(?:text\s*=\s*)?(red|blue|green)\b",
                                   got[0] + "," + node_opts)
                    style = (tc.group(1) or tc.group(2) if tc else None, bold)
                    if re.fullmatch(r"[1-9][1-9]", text):
                        labels.append(Label(text, x, y, 2.0, 2.0, style, order))
                    elif text:
                        spaced = " ".join(re.sub(r"\\[a-zA-Z]+\s*|[{}$]", " ", got[0]).split())
                        texts.append((text, spaced, f"{path_options},{node_opts}", where))
                    node_fill = _tikz_fill_color(node_opts, "node", colors)
                    if node_fill is not False:
                        fills.append(Fill(x - 8, y - 8, x + 8, y + 8, node_fill or None, order))
                node_pending = False
                node_opts = ""
                node_at = None
        else:
            if t.group("other") == ";":
                break
    close_polygon()


def _opacity(options: str, fill: bool) -> float:
    """The smallest opacity the options give to text (or to a fill); 1 when none."""
    keys = r"(?:fill\s+)?opacity" if fill else r"(?:text\s+)?opacity"
    values = [float(v) for v in re.findall(rf"(?:^|,)\s*{keys}\s*=\s*([\d.]+)", options) if v.count(".") <= 1]
    if re.search(r"(?:^|,)\s*transparent\s*(?:,|$)", options):
        values.append(0.0)
    return min(values, default=1.0)


def node_veil(options: str, walker: Walker, where: tuple[float, float] | None) -> Veil | None:
    """Why a TikZ node with these options (its path's, scopes', picture's) would not be seen."""
    veil = opacity_veil(_opacity(options, fill=False), "TikZ opacity")
    if veil is not None:
        return veil
    scales = [float(v) for v in re.findall(r"(?:^|,)\s*(?:x|y)?scale\s*=\s*(-?[\d.]+)", options) if v.count(".") <= 1]
    if scales and min(abs(v) for v in scales) < 0.2:
        return f"scaled to {min(scales, key=abs):g} (TikZ)", False
    ink = None
    for part in (p.strip() for p in options.split(",")):
        key, _, value = part.partition("=")
        if value and key.strip() in ("text", "color"):
            ink = parse_color(value.strip(), walker.colors) or ink
        elif not value and part:
            ink = parse_color(part, walker.colors) or ink
    fill = _tikz_fill_color(options, "node", walker.colors)
    paper = fill if isinstance(fill, tuple) else walker.paper_now()
    veil = colour_veil(ink or walker.ink, paper)
    if veil is not None:
        return veil
    if where is not None and (abs(where[0]) * CM >= 25 * CM or abs(where[1]) * CM >= 30 * CM):
        return f"moved off the page (a TikZ node at ({where[0]:g},{where[1]:g}))", False
    return None


def _tikz_fill_color(options: str, cmd: str, colors: dict[str, RGB]) -> RGB | None | bool:
    """The fill colour an option list gives (None: some colour we cannot evaluate), or False."""
    found: RGB | None | bool = False
    for part in _split_commas(options):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            key, _, value = part.partition("=")
            key = key.strip()
            if key in {"fill", "color"} and (key == "fill" or cmd in {"fill", "filldraw"}):
                value = value.strip().strip("{}")
                if value == "none":
                    found = False
                    continue
                found = parse_color(value, colors)
        elif cmd in {"fill", "filldraw", "shade", "shadedraw"}:
            rgb = parse_color(part, colors)
            if rgb is not None:
                found = rgb
    if found is False and cmd in {"fill", "filldraw"}:
        return (0.0, 0.0, 0.0)
    return found


def _tikz_point(text: str) -> tuple[float, float] | None:
    if ":" in text or "," not in text:
        return None
    parts = _split_commas(text)
    if len(parts) != 2:
        return None
    x, y = _arith(parts[0]), _arith(parts[1])
    if x is None or y is None:
        return None
    return x, y


_ARITH_TOKEN = re.compile(r"\s*(?:(\d*\.?\d+)\s*(cm|mm|pt|in|em|ex)?|([-+*/()]))")
_UNIT = {None: 1.0, "cm": 1.0, "mm": 0.1, "pt": 1 / 28.45, "in": 2.54, "em": 0.35, "ex": 0.15}


def _arith(text: str) -> float | None:
    """+ - * / and parentheses over numbers with units (TikZ coordinates after \\foreach
    substitution: "\\c-0.5" became "3-0.5"). Anything else: None."""
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _ARITH_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return None
        if m.group(1) is not None:
            tokens.append(float(m.group(1)) * _UNIT[m.group(2)])
        else:
            tokens.append(m.group(3))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if len(tokens) > 200:
        return None
    try:
        value, k = _expr(tokens, 0)
    except (IndexError, ZeroDivisionError, TypeError, RecursionError):
        return None
    return value if k == len(tokens) else None


def _expr(tokens: list, k: int) -> tuple[float, int]:
    value, k = _term(tokens, k)
    while k < len(tokens) and tokens[k] in ("+", "-"):
        op = tokens[k]
        rhs, k = _term(tokens, k + 1)
        value = value + rhs if op == "+" else value - rhs
    return value, k


def _term(tokens: list, k: int) -> tuple[float, int]:
    value, k = _unary(tokens, k)
    while k < len(tokens) and tokens[k] in ("*", "/"):
        op = tokens[k]
        rhs, k = _unary(tokens, k + 1)
        value = value * rhs if op == "*" else value / rhs
    return value, k


def _unary(tokens: list, k: int) -> tuple[float, int]:
    if tokens[k] == "-":
        value, k = _unary(tokens, k + 1)
        return -value, k
    if tokens[k] == "+":
        return _unary(tokens, k + 1)
    if tokens[k] == "(":
        value, k = _expr(tokens, k + 1)
        if tokens[k] != ")":
            raise TypeError("unbalanced")
        return value, k + 1
    if isinstance(tokens[k], float):
        return tokens[k], k + 1
    raise TypeError("not a number")


def _tikz_size(by_text: dict[str, Label]) -> int:
    for size in (5, 4, 6, 3, 7, 8, 9):
        if all(f"{r}{c}" in by_text for r in range(1, size + 1) for c in range(1, size + 1)):
            if size < 9 and f"{size + 1}{size + 1}" in by_text:
                continue
            return size
    return 0


def _labels_from_grid(g: tuple[float, float, float, float, float]) -> dict[str, Label] | None:
    """Cell labels of a `\\draw (x0,y0) grid (x1,y1);` when the picture prints none."""
    x0, y0, x1, y1, step = g
    xa, xb = sorted((x0, x1))
    ya, yb = sorted((y0, y1))
    cols = round((xb - xa) / step)
    rows = round((yb - ya) / step)
    if cols != rows or not 2 <= rows <= 9:
        return None
    grid = {}
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            x = (xa + (c - 0.5) * step) * 28.45
            y = -(yb - (r - 0.5) * step) * 28.45
            grid[f"{r}{c}"] = Label(f"{r}{c}", x, y, 2.0, 2.0, (), 0)
    return grid
