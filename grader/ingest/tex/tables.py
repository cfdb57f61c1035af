"""Tables: rows and cells as text, and a table that is a grid read by its colours (`\\cellcolor`,
`\\rowcolor`, `\\columncolor`, `\\colorbox`, `tblr`) into a grid finding."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from grader.ingest.grids import RGB, Fill, Label, parse_color, parse_color_spec, read_cells
from grader.ingest.tex.source import GRID_OPEN, HIDDEN_OPEN, MARKER, PRIVATE, marker, read_braced, skip_spaces

if TYPE_CHECKING:
    from grader.ingest.tex.walker import Walker

TABULARS = {"tabular": "[{", "tabular*": "{[{", "tabularx": "{[{", "tabulary": "{[{", "array": "[{",
            "longtable": "[{", "tblr": "[{", "longtblr": "[[{", "talltblr": "[[{", "NiceTabular": "[{[",
            "NiceArray": "{[", "tabu": "{", "supertabular": "{", "xltabular": "{[{", "matrix": "",
            "bmatrix": "", "pmatrix": ""}
_LABEL_TOKEN = re.compile(r"(?<![\d.])([1-9][1-9])(?![\d.])")


def tabular(walker: Walker, env: str, start: int, stop: int, only_grid: bool = False) -> bool:
    walker.grid_source = start  # where a grid found here sits in the source: its frame, its caption
    spec_kinds = TABULARS.get(env, "[{")
    spans, j = walker.args(start, stop, spec_kinds)
    colspec = walker.text_of(spans[-1]) if spans and spec_kinds.endswith("{") else ""
    if env == "NiceTabular":
        colspec = walker.text_of(spans[1])
    tblr = env in {"tblr", "longtblr", "talltblr"}
    columns = [] if tblr else _column_colors(colspec, walker)
    rows = table_rows(walker, j, stop)
    grid = table_grid(walker, rows, columns, colspec if tblr else "")
    if grid is None:
        if only_grid:
            return False
        for row in rows:
            texts = [t for t in (c["text"] for c in row) if t]
            hidden = "".join(c["hidden"] for c in row)  # where hidden text sat, for its part
            if texts or hidden:
                walker.put("  ".join(texts) + hidden + "\n")
        return True
    walker.put(grid)
    return True


def table_rows(walker: Walker, start: int, stop: int) -> list[list[dict]]:
    cuts = walker.split_top(start, stop, {"&", "\\", "tabularnewline", "cr"})
    rows: list[list[dict]] = []
    row: list[tuple[int, int]] = []
    i = start
    for pos, after, tok in cuts + [(stop, stop, "\\")]:
        row.append((i, pos))
        if tok == "&":
            i = after
            continue
        rows.append([cell(walker, a, b) for a, b in row])
        row = []
        i = after
        if tok == "\\":  # \\[2pt], \\*
            if walker.src.startswith("*", i):
                i += 1
            opt = walker.opt(i, stop)
            if opt:
                i = opt[2]
    # drop rows that hold nothing (after the last \\, or only rules)
    return [r for r in rows if any(c["text"] or c["colors"] for c in r)]


def cell(walker: Walker, start: int, stop: int) -> dict:
    """One cell: its text, its span, its colours by layer, how its label is printed."""
    src = walker.src
    raw = src[start:stop]
    info: dict = {"span": 1, "colors": {}, "style": (), "text": ""}
    content = (start, stop)
    mc = re.match(r"\s*(?:\\(?:hline|toprule|midrule|bottomrule|cline\s*\{[^}]*\}|hhline\s*\{[^}]*\}|"
                  r"cmidrule\s*(?:\([^)]*\))?\s*\{[^}]*\})\s*)*\\multicolumn\b", raw)
    if mc:
        (n, spec, body), _ = walker.args(start + mc.end(), stop, "{{{")
        try:
            info["span"] = max(1, min(9, int(walker.text_of(n).strip())))
        except ValueError:
            info["span"] = 1
        cols = _column_colors(walker.text_of(spec), walker)
        if cols and cols[0] is not None:
            info["colors"]["column"] = cols[0]
        if body:
            content = body
    body_src = src[content[0]:content[1]]
    for m in re.finditer(r"\\(rowcolor|cellcolor|colorbox|fcolorbox|hl|highlight|SetCell|SetRow)\b", body_src):
        kind = m.group(1)
        at = content[0] + m.end()
        if kind in {"rowcolor", "cellcolor"}:
            (model, spec), _ = walker.args(at, content[1], "[{")
            info["colors"]["row" if kind == "rowcolor" else "cell"] = (walker.color(model, spec),)
        elif kind == "colorbox":
            (model, spec, _), _ = walker.args(at, content[1], "[{{")
            info["colors"]["box"] = (walker.color(model, spec),)
        elif kind == "fcolorbox":
            (model, _, spec, _), _ = walker.args(at, content[1], "[{{{")
            info["colors"]["box"] = (walker.color(model, spec),)
        elif kind in {"hl", "highlight"}:
            info["colors"]["box"] = ((1.0, 1.0, 0.0),)
        else:  # tabularray \SetCell[..]{bg=...}
            (_, keys), _ = walker.args(at, content[1], "[{")
            bg = re.search(r"bg\s*=\s*([^,}]+)", walker.text_of(keys))
            if bg:
                info["colors"]["tblr" if kind == "SetCell" else "row"] = (parse_color(bg.group(1), walker.colors),)
    bold = bool(re.search(r"\\(?:textbf|bfseries|bf|mathbf|boldsymbol)\b", body_src))
    tc = re.search(r"\\(?:textcolor|color)\s*(?:\[([^\]]*)\])?\s*\{([^}]*)\}", body_src)
    text_color = None
    if tc:
        rgb = parse_color_spec(tc.group(1), tc.group(2)) if tc.group(1) else parse_color(tc.group(2), walker.colors)
        if rgb is None or max(rgb) - min(rgb) > 0.1 or max(rgb) > 0.2:
            text_color = tc.group(2)
    info["style"] = (text_color, bold)
    # the cell's own colour is the paper under its text (\cellcolor{black} with black text is unseen)
    layers = info["colors"]
    paper = next((layers[k][0] for k in ("cell", "tblr", "column", "row") if k in layers and layers[k][0]), None)
    with walker.papered(paper):
        text = walker.capture(*content)
    # "$11$" reads as 11, as in the PDF
    info["text"] = " ".join(re.sub(r"\$\s*(\d+)\s*\$", r"\1", PRIVATE.sub("", text)).split())
    info["hidden"] = "".join(m.group(0) for m in MARKER.finditer(text) if m.group(1) == HIDDEN_OPEN)
    return info


def table_grid(walker: Walker, rows: list[list[dict]], columns: list[tuple | None], tblr_spec: str) -> str | None:
    size = len(rows)
    if not 2 <= size <= 9:
        return None
    if any(sum(c["span"] for c in row) != size for row in rows):
        return None
    tblr = _tblr_colors(tblr_spec, size, walker.colors) if tblr_spec else {}
    labels: list[Label] = []
    fills: list[Fill] = []
    matched = empty = 0
    unit = 10.0
    row_label = _row_numbering(rows)
    for r, row in enumerate(rows, start=1):
        c = 1
        for cell in row:
            found = {m.group(1) for m in _LABEL_TOKEN.finditer(cell["text"])}
            span_labels = [f"{row_label(r)}{c + k}" for k in range(cell["span"])]
            matched += sum(1 for lab in span_labels if lab in found)
            empty += not cell["text"].strip()
            for k, lab in enumerate(span_labels):
                col = c + k
                labels.append(Label(lab, col * unit, r * unit, 1.0, 1.0, cell["style"], 0))
                layers = [("column", columns[col - 1] if col - 1 < len(columns) else None),
                          ("tblr", tblr.get((r, col))),
                          ("row", cell["colors"].get("row") or _row_color(row)),
                          ("column", cell["colors"].get("column")),
                          ("cell", cell["colors"].get("cell")),
                          ("tblr", cell["colors"].get("tblr")),
                          ("box", cell["colors"].get("box"))]
                for order, (layer, value) in enumerate(layers):
                    if value is None:
                        continue
                    rgb = value[0] if isinstance(value, tuple) else value
                    x, y = col * unit, r * unit
                    fills.append(Fill(x - unit / 2, y - unit / 2, x + unit / 2, y + unit / 2, rgb, order))
            c += cell["span"]
    total = size * size
    if not (matched >= 0.6 * total or (empty == sum(len(r) for r in rows) and size == 5)):
        return None
    grid = {lab.text: lab for lab in labels}
    method = "tex-colorbox" if any(f.order == 6 for f in fills) else "tex-cellcolor"
    reading = read_cells(grid, fills, method, "tex-text-mark")
    index = len(walker.grids)
    walker.grids.append({"cells": reading.cells, "method": reading.method,
                         "confidence": reading.confidence, "note": reading.note,
                         "labels": tuple(sorted(grid, key=lambda t: (int(t[0]), int(t[1:])))),
                         "at": walker.grid_source})
    lines = []
    for row in rows:
        lines.append(" ".join(c["text"] for c in row) + "".join(c["hidden"] for c in row))
    return marker(GRID_OPEN, index) + "\n".join(lines) + "\n"


def _row_numbering(rows: list[list[dict]]):
    """Row r of the table (1 at the top) -> its row number in the cell labels: the same, or counted
    from the bottom when the labels say so (41 42 43 44 on top: a map numbered bottom-up)."""
    size = len(rows)

    def agreeing(number) -> int:
        count = 0
        for r, row in enumerate(rows, start=1):
            c = 1
            for cell in row:
                labels = {m.group(1) for m in _LABEL_TOKEN.finditer(cell["text"])}
                count += sum(f"{number(r)}{c + k}" in labels for k in range(cell["span"]))
                c += cell["span"]
        return count

    def top_down(r: int) -> int:
        return r

    def bottom_up(r: int) -> int:
        return size + 1 - r

    return bottom_up if agreeing(bottom_up) > agreeing(top_down) else top_down


def _row_color(row: list[dict]) -> tuple | None:
    return row[0]["colors"].get("row") if row else None


def _column_colors(spec: str, walker: Walker) -> list[tuple | None]:
    """Per column, the \\columncolor given in the column spec (`>{\\columncolor{yellow}}c`)."""
    spec = _expand_star_spec(spec)
    cols: list[tuple | None] = []
    pending = None
    i = 0
    n = len(spec)
    while i < n:
        c = spec[i]
        if c in "><!@":
            got = read_braced(spec, i + 1)
            if got is None:
                i += 1
                continue
            if c == ">":
                m = re.search(r"\\columncolor\s*(?:\[([^\]]*)\])?\s*\{([^}]*)\}", got[0])
                if m:
                    rgb = (parse_color_spec(m.group(1), m.group(2)) if m.group(1)
                           else parse_color(m.group(2), walker.colors))
                    pending = (rgb,)
            i = got[1]
            continue
        if c in "pmbwW" and skip_spaces(spec, i + 1) < n and spec[skip_spaces(spec, i + 1)] == "{":
            got = read_braced(spec, i + 1)
            cols.append(pending)
            pending = None
            i = got[1] if got else i + 1
            continue
        if c.isalpha():
            cols.append(pending)
            pending = None
        elif c == "{":  # an argument we do not know: skip it
            got = read_braced(spec, i)
            i = got[1] if got else i + 1
            continue
        i += 1
    return cols


def _expand_star_spec(spec: str, depth: int = 0) -> str:
    m = re.search(r"\*\s*\{\s*(\d+)\s*\}", spec)
    if not m or depth > 5:
        return spec
    body = read_braced(spec, m.end())
    if body is None:
        return spec
    count = min(int(m.group(1)), 30)
    return _expand_star_spec(spec[:m.start()] + body[0] * count + spec[body[1]:], depth + 1)


def _tblr_colors(spec: str, size: int, colors: dict[str, RGB]) -> dict[tuple[int, int], tuple]:
    """tabularray's `cell{2}{2-3}={bg=blue!30}`, `row{1}={bg=...}`, `column{3}={bg=...}`."""
    out: dict[tuple[int, int], tuple] = {}

    def select(text: str) -> list[int]:
        picked: list[int] = []
        for part in text.split(","):
            part = part.strip().replace("Z", str(size)).replace("Y", str(size - 1))
            if part in {"-", ""}:
                picked += range(1, size + 1)
            elif part == "odd":
                picked += range(1, size + 1, 2)
            elif part == "even":
                picked += range(2, size + 1, 2)
            elif re.fullmatch(r"\d+-\d+", part):
                a, b = (int(v) for v in part.split("-"))
                picked += range(a, min(b, size) + 1)
            elif part.isdigit():
                picked.append(int(part))
        return picked

    for m in re.finditer(r"\b(cell|row|column)\s*\{([^}]*)\}(?:\s*\{([^}]*)\})?\s*=\s*\{([^}]*)\}", spec):
        bg = re.search(r"bg\s*=\s*([^,}]+)", m.group(4))
        if not bg:
            continue
        rgb = (parse_color(bg.group(1).strip(), colors),)
        kind = m.group(1)
        if kind == "cell":
            for r in select(m.group(2)):
                for c in select(m.group(3) or "-"):
                    out[(r, c)] = rgb
        elif kind == "row":
            for r in select(m.group(2)):
                for c in range(1, size + 1):
                    out[(r, c)] = rgb
        else:
            for c in select(m.group(2)):
                for r in range(1, size + 1):
                    out[(r, c)] = rgb
    return out
