r"""Find the equations in an answer's text and split them into sides, without parsing them.

Math comes delimited ($$..$$, \[..\], equation/align environments, $..$, \(..\)) in LaTeX sources
and in Markdown; in text extracted from a PDF it may come as bare lines ("KL(p0, p1) = ...").
Inside one piece of math, rows (\\ in align) are split, `&` dropped, and a row that starts with a
relation continues the equation above it (`&= ...`), one that starts with + or − continues its
last side. Each equation is split at its top-level relations (=, \approx, :=, ...); text, \quad,
a comma or a semicolon at the top level ends it ("..., \quad \text{where } D^* = ...").
A box (\boxed{...}, \fbox) is taken off, and the equations it held are marked boxed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TEXT = 100_000  # characters of one answer scanned for equations
MAX_EQUATIONS = 400  # more, and the answer is not read automatically (see the expression kind)

_ENVIRONMENTS = "equation|align|alignat|gather|multline|eqnarray|flalign|displaymath|math"
# Every math delimiter, found in one linear pass and paired afterwards: a regex matching opener
# ... closer directly would rescan the rest of the text from every unclosed opener (quadratic on
# a hostile "\[ \[ \[ ...").
_DELIMITER = re.compile(
    r"(?P<dd>\$\$)|(?<!\\)(?P<open>\\\[|\\\()|(?<!\\)(?P<close>\\\]|\\\))|"
    r"\\begin\{(?P<begin>(?:" + _ENVIRONMENTS + r")\*?)\}(?:\{\d+\})?|\\end\{(?P<end>(?:" + _ENVIRONMENTS + r")\*?)\}")
_INLINE = re.compile(r"(?<![\\$])\$(?P<b>[^$\n]+?)\$(?!\$)")  # stops at the next $: linear
_INNER_ENV = re.compile(r"\\(?:begin|end)\{(?:aligned|split|gathered|alignedat|array)\}(?:\{[^{}]*\})?")
_DROP = re.compile(r"\\(?:label|tag)\*?\{[^{}]*\}|\\(?:nonumber|notag)(?![a-zA-Z])")
_LEADING_SPACE = re.compile(r"^(?:\s|\\(?:quad|qquad|[,;:! ])(?![a-zA-Z]))+")
_TOKEN = re.compile(r"\\[a-zA-Z]+\*?|\\.|\s+|.", re.S)
RELATIONS = {"=", ":=", "\\approx", "\\simeq", "\\equiv", "\\coloneqq", "\\triangleq", "\\doteq", "\\cong"}
_BREAKS = {"<", ">", "\\le", "\\leq", "\\ge", "\\geq", "\\neq", "\\ne", "\\propto", "\\leqslant", "\\geqslant",
           "\\implies", "\\Rightarrow", "\\iff", "\\Leftrightarrow", "\\to", "\\rightarrow", "\\quad", "\\qquad",
           ",", ";", "\\intertext", "\\hspace", "\\forall"}
_OPEN = {"(", "[", "{", "\\{", "\\lbrace"}
_CLOSE = {")", "]", "}", "\\}", "\\rbrace"}
_WORD_FONTS = {"\\text", "\\mbox", "\\textrm", "\\textnormal", "\\mathrm", "\\operatorname"}
# Words before a formula on a line of text are prose, except upright names: acronyms (KL, ELBO) and functions
_PROSE_PREFIX = re.compile(r"^(?:(?!(?:[A-Z]{2,6}|log|ln|exp)\b)[A-Za-z]{2,}[\s,:;]+)+")
_FORMULA_LINE = re.compile(r"^[^\n=]{1,80}(?<![<>!])=(?!=)[^\n]{2,}$", re.M)


@dataclass(frozen=True)
class Equation:
    sides: tuple[str, ...]  # the LaTeX of each side, in order; one side: a bare expression
    offset: int  # where its math starts in the text
    where: str  # "display math", "inline math", "a line of text"
    boxed: bool = False  # written in a box (\boxed{...}): the student's own mark of an answer


_BOX = re.compile(r"\\(?:boxed|fbox|framebox|bbox)\s*(?:\[[^\]]*\]\s*)?\{")


def unbox(body: str) -> tuple[str, list[str]]:
    """The math with its boxes taken off (\\boxed{a = b} -> a = b), and what the boxes held."""
    held: list[str] = []
    for _ in range(20):  # boxes inside boxes are rare; a hostile run of them stops here
        m = _BOX.search(body)
        if not m:
            break
        depth, end = 1, m.end()
        while end < len(body) and depth:
            depth += {"{": 1, "}": -1}.get(body[end], 0) if body[end - 1] != "\\" else 0
            end += 1
        inner = body[m.end():end - 1] if depth == 0 else body[m.end():]
        held.append(inner)
        body = body[:m.start()] + " " + inner + " " + body[end:]
    return body, held


def _boxed(sides: tuple[str, ...], held: list[str]) -> bool:
    """Does a side of the equation lie in a box (a short side only when the box holds it alone)?"""
    boxes = ["".join(h.split()) for h in held]
    flats = ["".join(side.split()) for side in sides if side.strip()]
    for box in boxes:
        if flats and all(f in box for f in flats):  # the whole equation is in the box
            return True
        if any(f == box or (len(f) >= 3 and f in box) for f in flats):  # Q = \boxed{answer}
            return True
    return False


_MATRIX_ENV = re.compile(r"\\begin\{([pbvBV]?matrix\*?|smallmatrix)\}.*?\\end\{\1\}"
                         r"|(?:\\left\s*[(\[]|[(\[])\s*\\begin\{array\}.*?\\end\{array\}", re.S)
_HIDDEN = {"\\\\": "\x00", "&": "\x01", "\\begin{array}": "\x02", "\\end{array}": "\x03"}


def _hide(matrix: re.Match) -> str:
    text = matrix.group(0)
    for visible, hidden in _HIDDEN.items():
        text = text.replace(visible, hidden)
    return text


def _split_rows(body: str) -> list[str]:
    body = _MATRIX_ENV.sub(_hide, body)  # a matrix's rows and cells are its own: hidden, then given back
    body = _DROP.sub(" ", _INNER_ENV.sub(" ", body))
    rows = [row.replace("&", " ") for row in re.split(r"\\\\(?:\[[^\]]*\])?", body)]
    out = []
    for row in rows:
        row = _LEADING_SPACE.sub("", row)
        for visible, hidden in _HIDDEN.items():
            row = row.replace(hidden, visible)
        out.append(row)
    return out


def _chains(row: str) -> list[list[str]]:
    """Split one row into equations, each a list of sides, at top-level relations and breaks."""
    chains: list[list[str]] = [[""]]
    depth = 0
    tokens = _TOKEN.findall(row)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        stripped = tok.rstrip("*")
        if tok in _OPEN:
            depth += 1
        elif tok in _CLOSE:
            depth = max(0, depth - 1)
        if depth == 0 and stripped in _WORD_FONTS and _is_words(tokens, i):
            chains.append([""])  # "\text{ where }": the equation ends here
            i = _skip_group(tokens, i + 1)
            continue
        after = _next_solid(tokens, i) if tok == ":" else None
        colon_equals = after is not None and tokens[after] == "="
        if depth == 0 and (tok in RELATIONS or colon_equals):
            if colon_equals:  # ":=", also set apart (": =" as a PDF's text gives it)
                i = after
            chains[-1].append("")
        elif depth == 0 and (stripped in _BREAKS):
            chains.append([""])
            if stripped in ("\\intertext", "\\hspace"):
                i = _skip_group(tokens, i + 1)
                continue
        else:
            chains[-1][-1] += tok
        i += 1
    out = []
    for chain in chains:
        sides = [side.strip().rstrip(".").strip() for side in chain]
        if any(sides):
            out.append(sides)
    return out


def _next_solid(tokens: list[str], i: int) -> int | None:
    """The index of the first token after i that is not a space, or None."""
    j = i + 1
    while j < len(tokens) and tokens[j].isspace():
        j += 1
    return j if j < len(tokens) else None


def _is_words(tokens: list[str], i: int) -> bool:
    """Is the group after \\text at tokens[i] prose (2+ letters not a known name, or spaces)?"""
    j = _next_solid(tokens, i)
    if j is None or tokens[j] != "{":
        return False
    content = ""
    k = j + 1
    while k < len(tokens) and tokens[k] != "}":
        content += tokens[k]
        k += 1
    word = content.strip()
    return not _NAME_IN_FONT.fullmatch(word)


# What \operatorname{..} or \mathrm{..} may hold in a formula without ending it: a name, not prose.
_NAME_IN_FONT = re.compile(r"[A-Z]{2,6}|[A-Za-z]|log|ln|exp|det|tr|max|min|sup|inf"
                           r"|arg\s*(?:\\[,;:! ]|~|\s)*(?:max|min)")


def _skip_group(tokens: list[str], j: int) -> int:
    while j < len(tokens) and tokens[j].isspace():
        j += 1
    if j < len(tokens) and tokens[j] == "{":
        depth = 0
        while j < len(tokens):
            depth += tokens[j] == "{"
            depth -= tokens[j] == "}"
            j += 1
            if depth == 0:
                break
    return j


def split_math(body: str) -> list[tuple[str, ...]]:
    """The equations of one piece of math, each as its sides (rows of an align joined up)."""
    body = unbox(body)[0] if "\\" in body else body
    equations: list[list[str]] = []
    for row in _split_rows(body):
        stripped = row.strip()
        if not stripped:
            continue
        chains = _chains(row)
        if not chains:
            continue
        first = chains[0]
        continues = re.match(r"(=|\\approx|\\simeq|\\equiv|:=|\\coloneqq)", stripped)
        if equations and continues and first[0] == "":
            equations[-1].extend(first[1:])  # "&= ..." under the row above
            chains = chains[1:]
        elif equations and re.match(r"[+\-−]|\\cdot|\\times", stripped) and len(first) == 1:
            equations[-1][-1] += " " + first[0]  # a long side broken over two rows
            chains = chains[1:]
        equations.extend(chains)
    return [tuple(side for side in eq) for eq in equations if any(eq)]


def _delimited(text: str) -> list[tuple[int, int, int, str]]:
    """(start, body start, body end, where) of each delimited piece of math, in order."""
    pieces = []
    opened: tuple[int, int, str] | None = None  # (start, body start, the closer it waits for)
    closers = {"\\[": "\\]", "\\(": "\\)"}
    for m in _DELIMITER.finditer(text):
        token = m.group(0)
        if opened is None:
            if m.group("dd"):
                opened = (m.start(), m.end(), "$$")
            elif m.group("open"):
                opened = (m.start(), m.end(), closers[token])
            elif m.group("begin"):
                opened = (m.start(), m.end(), "\\end{" + m.group("begin") + "}")
            continue
        start, body, closer = opened
        if token == closer:
            where = "inline math" if closer == "\\)" else "display math"
            pieces.append((start, body, m.start(), where))
            opened = None
        elif token == text[start:body]:
            opened = (m.start(), m.end(), closer)  # the same opener again: the first was never closed
    return pieces


# Inline math that ends on a relation, then more inline math with only blanks between: one formula
# broken across a line ("... at $D^*(x) =$" / "$\frac{f_1}{f_0 + f_1}$"). The "$ $" between them goes.
_BROKEN_INLINE = re.compile(r"(=|<|>|\\le|\\ge|\\leq|\\geq|\\approx)(\s*\$\s+\$)")


def _join_broken_inline(text: str) -> str:
    if "$" not in text:
        return text
    return _BROKEN_INLINE.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)


def find_equations(text: str) -> list[Equation]:
    """Every equation in an answer, in reading order: delimited math first, else formula lines."""
    text = _join_broken_inline(text[:MAX_TEXT])
    found: list[Equation] = []
    masked = list(text)
    for start, body, end, where in _delimited(text):
        if len(found) >= MAX_EQUATIONS:
            break
        inner, held = unbox(text[body:end])
        found.extend(Equation(sides, start, where, _boxed(sides, held)) for sides in split_math(inner))
        masked[start:end] = " " * (end - start)
    rest = "".join(masked)
    for m in _INLINE.finditer(rest):
        if len(found) >= MAX_EQUATIONS:
            break
        inner, held = unbox(m.group("b"))
        found.extend(Equation(sides, m.start(), "inline math", _boxed(sides, held)) for sides in split_math(inner))
    if not found:
        rest = "".join(masked)
        for m in _FORMULA_LINE.finditer(rest):
            for sides in split_math(m.group(0)):
                if len(sides) > 1:
                    sides = (_PROSE_PREFIX.sub("", sides[0]), *sides[1:])  # "so f1(x) = ..." -> "f1(x)"
                    found.append(Equation(sides, m.start(), "a line of text"))
    found.sort(key=lambda e: e.offset)
    return found[:MAX_EQUATIONS]
