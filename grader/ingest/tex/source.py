"""The characters TeX would read: comments, verbatim regions, and the scanning helpers every
later stage shares (braces, brackets, control sequences, inline math).

Matching braces come from a table built once per text, so that hostile input (thousands of unclosed
`{`) never makes a scan quadratic.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Private-use characters: markers the stages leave in the text and a last pass resolves. Student
# text cannot hold them (they are removed on reading). A marker is an opener, its index as one
# character of plane 15 (never a digit: a marker inside a table cell must not read as a cell label),
# and the closer.
GRID_OPEN, MARK_CLOSE, HIDDEN_OPEN = "\ue000", "\ue001", "\ue002"
PRIVATE = re.compile("[\ue000-\ue01f\U000F0000-\U000FFFFD]")
MARKER = re.compile("([\ue000\ue002])([\U000F0000-\U000FFFFD])\ue001")
MAX_MARKERS = 0xFFFD


def marker(opener: str, index: int) -> str:
    return f"{opener}{chr(0xF0000 + index)}{MARK_CLOSE}"


def marker_index(m: re.Match) -> int:
    return ord(m.group(2)) - 0xF0000


# --- comments -------------------------------------------------------------------------------------

VERBATIM_ENVS = "verbatim|Verbatim|lstlisting|minted|comment|alltt"
# \verb|...| ends on its own line; bounded so that a line of unclosed \verb stays linear
VERB = r"\\verb\*?(?P<d>[^a-zA-Z\s*])(?:(?!(?P=d))[^\n]){0,500}(?P=d)"
VERB_START = re.compile(rf"{VERB}|\\begin\s*\{{(?P<env>{VERBATIM_ENVS})\*?\}}|\\[^\n]", re.S)


def verbatim_end(src: str, m: re.Match) -> int:
    """Where the verbatim region opened by match `m` ends: the line's \\verb delimiter, or the
    environment's \\end (or the end of the text: TeX would read to the end too)."""
    if m.group("env") is None:
        return m.end()
    end = re.compile(r"\\end\s*\{" + re.escape(m.group("env")) + r"\*?\}").search(src, m.end())
    return end.end() if end else len(src)


def verbatim_regions(src: str) -> list[tuple[int, int]]:
    """(start, end) of every \\verb and verbatim environment, in one linear pass."""
    regions = []
    i = 0
    while True:
        m = VERB_START.search(src, i)
        if m is None:
            return regions
        if m.group("d") is None and m.group("env") is None:  # an escaped character
            i = m.end()
            continue
        end = verbatim_end(src, m)
        regions.append((m.start(), end))
        i = end


_COMMENT = re.compile(r"\\[^\n]|(?P<comment>%[^\n]*)", re.S)


def strip_comments(src: str) -> str:
    """Remove `% ...` comments (not `\\%`, not inside `\\verb` or verbatim environments).

    The newline after a comment is kept, so line structure (and idempotence) survives."""
    out = []
    last = 0
    for start, stop in verbatim_regions(src) + [(len(src), len(src))]:
        piece_start = last
        for m in _COMMENT.finditer(src, last, start):
            if m.group("comment") is not None:
                out.append(src[piece_start:m.start()])
                piece_start = m.end()
        out.append(src[piece_start:stop])
        last = stop
    return "".join(out)


CS = re.compile(r"\\([a-zA-Z@]+|[^a-zA-Z@])")


def skip_blanks(src: str, i: int) -> int:
    n = len(src)
    while i < n and src[i] in " \t":
        i += 1
    return i


def skip_spaces(src: str, i: int) -> int:
    n = len(src)
    while i < n and src[i] in " \t\r\n":
        i += 1
    return i


def read_braced(src: str, i: int) -> tuple[str, int] | None:
    """`{...}` starting at i (after optional spaces): its content and the index after it.

    Matching braces come from a table built once per text: an unclosed `{` repeated many times
    must not make reading quadratic."""
    i = skip_spaces(src, i)
    if i >= len(src) or src[i] != "{":
        return None
    close = brace_table(src).get(i)
    if close is None:
        return None
    return src[i + 1:close], close + 1


MAX_OPTION = 800  # an optional argument longer than this is not one (and scanning stays cheap)
_BRACKET_SCAN = re.compile(r"\\.|[{}\]]|\n\s*\n", re.S)


def read_bracketed(src: str, i: int, end: int | None = None) -> tuple[str, int] | None:
    """`[...]` at i, with brackets inside braces allowed; never across a blank line."""
    n = min(len(src) if end is None else end, i + MAX_OPTION)
    if i >= n or src[i] != "[":
        return None
    close = src.find("]", i + 1, n)
    if close < 0:
        return None
    inside = src[i + 1:close]
    if "{" not in inside and "\\" not in inside:  # the common case, at C speed
        return None if re.search(r"\n\s*\n", inside) else (inside, close + 1)
    depth = 0
    for m in _BRACKET_SCAN.finditer(src, i + 1, n):
        c = m.group(0)
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "]" and depth <= 0:
            return src[i + 1:m.start()], m.end()
        elif c[0] == "\n":
            return None
    return None


def find_dollar(src: str, i: int, end: int) -> int:
    """Index after the $ closing inline math opened before i."""
    j = i
    while j < end:
        k = src.find("$", j, end)
        if k < 0:
            return end
        if src[k - 1] == "\\" and (k < 2 or src[k - 2] != "\\"):
            j = k + 1
            continue
        return k + 1
    return end


_BRACE_SCAN = re.compile(rf"{VERB}|\\.|(?P<b>[{{}}])", re.S)


@lru_cache(maxsize=64)
def brace_table(src: str) -> dict[int, int]:
    """Every `{` -> its matching `}`, in one pass (escaped braces and \\verb skipped)."""
    table: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE_SCAN.finditer(src):
        b = m.group("b")
        if b == "{":
            stack.append(m.start())
        elif b == "}" and stack:
            table[stack.pop()] = m.start()
    return table
