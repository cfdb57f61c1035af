"""Whether a grid in a LaTeX source is framed or captioned as the answer, from the source around it.

A TA picks the final grid among a part's working grids by its frame (`\fbox`, `\framebox`,
`\boxed`, a `tcolorbox`, `mdframed` or `framed` environment around it) or its caption ("Final
answer", "Figure 3: case 3"). The PDF reader sees the frame's rules and the caption's line
(grader/ingest/pdf/page_grids.py); this reads the same from the source, for a .tex graded alone.
"""

from __future__ import annotations

import re

_REACH = 1500  # characters around the grid looked at: its figure or minipage, not the whole answer
_FRAME_ENV = re.compile(r"\\(begin|end)\s*\{(tcolorbox|mdframed|framed|oframed|shaded)\*?\}")
_FRAME_CMD = re.compile(r"\\(?:fbox|framebox|boxed|tcbox|cfbox|doublebox|ovalbox|shadowbox)\b")
_TITLE = re.compile(r"\\begin\s*\{tcolorbox\}\s*\[[^\]]*?\btitle\s*=\s*\{?([^,\]}]{1,60})")
_CAPTION = re.compile(r"\\(?:caption|captionof|subcaption)\*?\s*(?:\{(?:figure|table)\}\s*)?(?:\[[^\]]*\])?\s*\{([^{}]{0,120})\}")
_STOP = re.compile(r"\\(?:begin\s*\{(?:tabular|tikzpicture|array|tblr|NiceTabular)|section|subsection|item)\b")


def _closes_after(src: str, open_brace: int, at: int) -> bool:
    """Does the group opened at `open_brace` close after `at` (so `at` is inside it)?"""
    depth = 0
    for i in range(open_brace, min(len(src), at + _REACH)):
        c = src[i]
        if c == "{" and src[i - 1] != "\\":
            depth += 1
        elif c == "}" and src[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i > at
    return True


def framed(src: str, at: int) -> bool:
    before = src[max(0, at - _REACH):at]
    depth: dict[str, int] = {}
    for m in _FRAME_ENV.finditer(before):  # an environment opened before the grid and not closed
        depth[m[2]] = depth.get(m[2], 0) + (1 if m[1] == "begin" else -1)
    if any(v > 0 for v in depth.values()):
        return True
    for m in _FRAME_CMD.finditer(before):
        brace = src.find("{", max(0, at - _REACH) + m.end())
        if 0 <= brace < at and _closes_after(src, brace, at):
            return True
    return False


def caption(src: str, at: int) -> str | None:
    """The caption after the grid (before the next grid or section), or a tcolorbox's title."""
    after = src[at:at + _REACH]
    # the grid's own body comes first: look past its end
    end = re.search(r"\\end\s*\{(?:tabular|tikzpicture|array|tblr|NiceTabular)\*?\}", after)
    tail = after[end.end():] if end else after
    stop = _STOP.search(tail)
    m = _CAPTION.search(tail[:stop.start()] if stop else tail)
    if m:
        return " ".join(m.group(1).split())
    titles = list(_TITLE.finditer(src[max(0, at - _REACH):at]))
    if titles and framed(src, at):
        return titles[-1].group(1).strip()
    return None
