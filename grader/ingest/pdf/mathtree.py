"""The structure of a formula rebuilt from a page, and its two spellings: LaTeX for the expression
grammar and for the student's eyes, and a plain linear form for display and prose checks.

Nodes are small frozen records; a formula is a list of nodes read left to right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ENDS_COMMAND = re.compile(r"\\[A-Za-z]+$")
_SPACES = re.compile(r" {2,}")
_SIMPLE = re.compile(r"[\w.∞′'*]+")
_PRIMES = re.compile(r"['′]+")
_ENVIRONMENTS = {"(": "pmatrix", "[": "bmatrix", "|": "vmatrix", r"\|": "Vmatrix", r"\{": "Bmatrix"}


@dataclass(frozen=True)
class Sym:
    tex: str
    role: str = "ord"  # see symbols.py
    big: bool = False  # a delimiter from the extension font (\left ... \right)


@dataclass(frozen=True)
class Word:
    """Upright letters: an operator name (\\log), a named quantity (\\mathrm{ELBO}), or text."""

    tex: str
    text: bool = False  # prose inside the formula: \text{...}


@dataclass(frozen=True)
class Frac:
    num: tuple
    den: tuple


@dataclass(frozen=True)
class Radical:
    body: tuple
    index: tuple = ()


@dataclass(frozen=True)
class Accent:
    command: str
    body: tuple


@dataclass(frozen=True)
class Scripted:
    base: object
    sub: tuple | None = None
    sup: tuple | None = None


@dataclass(frozen=True)
class Matrix:
    rows: tuple  # of rows, each a tuple of cells (tuples of nodes)
    open: str = ""
    close: str = ""


@dataclass
class Reading:
    """A formula as read: LaTeX, a plain rendering, how sure the reading is, and why not more."""

    latex: str
    plain: str
    confidence: float
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------ LaTeX

def _needs_space(left: str, right: str) -> bool:
    return bool(left) and bool(right) and right[0].isalnum() and _ENDS_COMMAND.search(left) is not None


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if not part:
            continue
        out += (" " if _needs_space(out, part) else "") + part
    return out


def _group(inner: str) -> str:
    """A script's LaTeX as it follows _ or ^: braces unless it is one character."""
    return inner if len(inner) == 1 else "{" + inner + "}"


def _big(node) -> Sym | None:
    base = node.base if isinstance(node, Scripted) else node
    return base if isinstance(base, Sym) and base.big else None


def _sides(nodes: tuple | list) -> dict[int, str]:
    """Big delimiters that open and close each other: index -> "\\left" or "\\right"."""
    stack: list[int] = []
    sides: dict[int, str] = {}
    for i, node in enumerate(nodes):
        sym = _big(node)
        if sym is None:
            continue
        top = _big(nodes[stack[-1]]) if stack else None
        if sym.role == "close" or (sym.role == "fence" and top is not None and top.tex == sym.tex):
            if stack:
                sides[stack.pop()] = "\\left"
                sides[i] = "\\right"
        elif sym.role in ("open", "fence"):
            stack.append(i)
    return sides


def _node_latex(node, side: str = "") -> str:
    if isinstance(node, Sym):
        return side + node.tex
    if isinstance(node, Word):
        return rf"\text{{{node.tex}}}" if node.text else node.tex
    if isinstance(node, Frac):
        return rf"\frac{{{latex(node.num)}}}{{{latex(node.den)}}}"
    if isinstance(node, Radical):
        index = f"[{latex(node.index)}]" if node.index else ""
        return rf"\sqrt{index}{{{latex(node.body)}}}"
    if isinstance(node, Accent):
        return f"{node.command}{{{latex(node.body)}}}"
    if isinstance(node, Scripted):
        base = _node_latex(node.base, side) if node.base is not None else "{}"
        if isinstance(node.base, (Frac, Scripted)):
            base = "{" + base + "}"
        out = base
        if node.sub:
            out += "_" + _group(latex(node.sub))
        if node.sup:
            sup = latex(node.sup)  # each part once: nested scripts must not be spelt twice over
            out += sup if _PRIMES.fullmatch(sup) else "^" + _group(sup)
        return out
    if isinstance(node, Matrix):
        env = _ENVIRONMENTS.get(node.open, "matrix")
        if node.open == r"\{" and not node.close:
            env = "cases"
        rows = r" \\ ".join(" & ".join(latex(cell) for cell in row) for row in node.rows)
        return rf"\begin{{{env}}} {rows} \end{{{env}}}"
    return "?"


def latex(nodes: tuple | list) -> str:
    sides = _sides(nodes)
    parts = []
    for i, node in enumerate(nodes):
        text = _node_latex(node, sides.get(i, ""))
        if isinstance(node, Sym) and node.role in ("rel", "bin"):
            text = f" {text} "
        elif isinstance(node, Sym) and node.role == "punct" and text == ",":
            text = ", "
        parts.append(text)
    return _SPACES.sub(" ", _join(parts)).strip()


# ------------------------------------------------------------------------------------ plain

_PLAIN = {r"\cdot": "·", r"\times": "×", r"\le": "≤", r"\ge": "≥", r"\leqslant": "≤", r"\geqslant": "≥",
          r"\neq": "≠", r"\approx": "≈", r"\sim": "∼", r"\in": "∈", r"\infty": "∞", r"\to": "→", r"\pm": "±",
          r"\sum": "Σ", r"\prod": "Π", r"\int": "∫", r"\partial": "∂", r"\nabla": "∇", r"\|": "‖",
          r"\{": "{", r"\}": "}", r"\langle": "⟨", r"\rangle": "⟩", r"\forall": "∀", r"\exists": "∃",
          r"\Rightarrow": "⇒", r"\propto": "∝", r"\equiv": "≡", r"\ll": "≪", r"\gg": "≫", r"\mid": "|",
          r"\dots": "…", r"\cdots": "⋯", r"\ell": "ℓ", r"\star": "⋆", r"\circ": "∘", r"\emptyset": "∅",
          r"\subset": "⊂", r"\subseteq": "⊆", r"\cup": "∪", r"\cap": "∩", r"\mapsto": "↦", r"\perp": "⊥"}
_GREEK_PLAIN = dict(zip(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split(),
    "αβγδϵεζηθϑικλμνξπρστυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ"))
_FONT_COMMAND = re.compile(r"\\(?:mathbb|mathcal|mathbf|mathfrak|mathsf|mathtt|mathrm|operatorname|boldsymbol)"
                           r"\{([^{}]*)\}")


def _sym_plain(tex: str) -> str:
    if tex in _PLAIN:
        return _PLAIN[tex]
    m = _FONT_COMMAND.fullmatch(tex)
    if m:
        return m.group(1)
    if tex.startswith("\\") and tex[1:] in _GREEK_PLAIN:
        return _GREEK_PLAIN[tex[1:]]
    return tex[1:] if tex.startswith("\\") and tex[1:].isalpha() else tex


def _wrapped(inner: str) -> str:
    """A plain rendering in parentheses unless it is one word or number."""
    return inner if _SIMPLE.fullmatch(inner) is not None else f"({inner})"


def _node_plain(node) -> str:
    if isinstance(node, Sym):
        return _sym_plain(node.tex)
    if isinstance(node, Word):
        return node.tex if node.text else _sym_plain(node.tex)
    if isinstance(node, Frac):
        return f"{_wrapped(plain(node.num))}/{_wrapped(plain(node.den))}"
    if isinstance(node, Radical):
        return ("" if not node.index else _wrapped(plain(node.index))) + f"√{_wrapped(plain(node.body))}"
    if isinstance(node, Accent):
        mark = {r"\hat": "^", r"\widehat": "^", r"\tilde": "~", r"\widetilde": "~", r"\bar": "‾",
                r"\overline": "‾", r"\vec": "→", r"\dot": "˙"}.get(node.command, "")
        return plain(node.body) + mark
    if isinstance(node, Scripted):
        out = _node_plain(node.base) if node.base is not None else ""
        if node.sub:
            out += "_" + _wrapped(plain(node.sub))
        if node.sup:
            sup = plain(node.sup)
            out += sup if _PRIMES.fullmatch(sup) or sup == "*" else "^" + _wrapped(sup)
        return out
    if isinstance(node, Matrix):
        return "[" + "; ".join(", ".join(plain(cell) for cell in row) for row in node.rows) + "]"
    return "?"


def plain(nodes: tuple | list) -> str:
    parts = []
    for node in nodes:
        text = _node_plain(node)
        if isinstance(node, Sym) and node.role in ("rel", "bin"):
            text = f" {text} "
        elif isinstance(node, Sym) and node.role == "punct":
            text += " "
        elif isinstance(node, Word) and node.text:
            text = f" {text} "
        parts.append(text)
    out = ""
    for part in parts:
        if out and part and out[-1].isalpha() and part[0].isalpha():
            out += " "
        out += part
    return _SPACES.sub(" ", out).strip()
