r"""The formula corpus (tests/fixtures/formulas/): how each formula is found in a PDF's reading and
judged against its source. Used by tests/test_formula_corpus.py.

A formula is judged
- numerically, when its source and the reading both parse with the project's expression grammar
  and evaluate (grader.mathexpr): every side of every equation must be equivalent;
- otherwise by canonical spelling (canonical()): no spaces; no \left \right \big...; no spacing
  commands, \displaystyle, \limits; no \tag, \label, & ; \dfrac \tfrac -> \frac; \mathrm{x} -> x
  for one letter; \operatorname{..} \text{..} \mathrm{..} -> \mathrm{..}; \leq -> \le, \geq -> \ge,
  \neq -> \ne, \rightarrow -> \to, \ast -> *, ^{\prime} -> ', \lVert \rVert \Vert -> \|, \lvert
  \rvert \vert -> |, \lbrace \rbrace -> \{ \}; a script's braces around one token go; a subscript
  comes before a superscript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from grader.ingest.document import Document, MathSpan
from grader.mathexpr import equivalence, printer
from grader.mathexpr import tree as t
from grader.mathexpr.context import ContextDecl, FunctionDecl, VariableDecl, compile_context
from grader.mathexpr.equations import split_math
from grader.mathexpr.parser import parse
from grader.mathexpr.tree import ParseError

CORPUS = Path(__file__).parent / "fixtures" / "formulas"
ENGINES = {"pdflatex": "formulas.pdf", "lualatex": "formulas-lualatex.pdf", "xelatex": "formulas-xelatex.pdf"}

_SIZES = re.compile(r"\\(?:left|right|middle|[bB]igg?[lrm]?)(?![a-zA-Z])\s*\.?")
_SPACES = re.compile(r"(?<!\\)\\[,;:! ]|\\(?:quad|qquad|displaystyle|textstyle|limits|nolimits)(?![a-zA-Z])")
_SCRIPTS = re.compile(r"\^(\{[^{}]*\}|\\[A-Za-z]+|[^\\{])_(\{[^{}]*\}|\\[A-Za-z]+|[^\\{])")
_DROP = re.compile(r"\\(?:tag|label)\*?\{[^{}]*\}|\\(?:nonumber|notag)(?![a-zA-Z])|&")
_WORDS = re.compile(r"\\(?:operatorname\*?|text|mathrm|textrm)\s*\{([^{}]*)\}")
_SYNONYMS = [(r"\\[dt]frac(?![a-zA-Z])", r"\\frac"), (r"\\leq(?![a-zA-Z])", r"\\le"), (r"\\geq(?![a-zA-Z])", r"\\ge"),
             (r"\\neq(?![a-zA-Z])", r"\\ne"), (r"\\rightarrow(?![a-zA-Z])", r"\\to"), (r"\\ast(?![a-zA-Z])", "*"),
             (r"\^\{?\\prime\}?", "'"), (r"\\(?:lVert|rVert|Vert)(?![a-zA-Z])", r"\\|"),
             (r"\\(?:lvert|rvert|vert)(?![a-zA-Z])", "|"), (r"\\lbrace(?![a-zA-Z])", r"\\{"),
             (r"\\rbrace(?![a-zA-Z])", r"\\}"), (r"\\mid(?![a-zA-Z])", "|"), (r"\\colon(?![a-zA-Z])", ":")]
_ONE_TOKEN = re.compile(r"([_^])\{(\\[A-Za-z]+|[A-Za-z0-9*'])\}")


def canonical(latex: str) -> str:
    text = _SIZES.sub("", latex)
    text = _SPACES.sub(" ", text)
    text = _DROP.sub(" ", text)
    for pattern, replacement in _SYNONYMS:
        text = re.sub(pattern, replacement, text)
    text = _WORDS.sub(lambda m: m.group(1).strip() if len(m.group(1).strip()) == 1
                      else r"\mathrm{" + "".join(m.group(1).split()) + "}", text)
    for _ in range(3):
        text = _ONE_TOKEN.sub(r"\1\2 ", text)
    text = re.sub(r"(\\[A-Za-z]+)\s+(?=[A-Za-z])", "\\1\x00", text)  # \log x: the space ends the command
    text = "".join(text.split()).replace("\x00", " ")
    return _SCRIPTS.sub(r"_\2^\1", text)  # x^2_q -> x_q^2


@dataclass(frozen=True)
class Judgement:
    id: str
    reading: str | None
    ok: bool
    how: str  # "numeric", "canonical", "different", "not found"


def formulas() -> list[dict]:
    return yaml.safe_load((CORPUS / "formulas.yaml").read_text(encoding="utf-8"))["formulas"]


def reading_of(doc: Document, formula: dict, following: str | None) -> MathSpan | None:
    """The formula read after its label "Fnn." (and before the next label)."""
    start = re.search(rf"(?m)^{formula['id']}\. ", doc.text)
    if start is None:
        return None
    end = re.search(rf"(?m)^{following}\. ", doc.text) if following else None
    stop = end.start() if end else len(doc.text)
    spans = [m for m in doc.math if start.start() <= m.offset < stop and m.display == bool(formula.get("display"))]
    return spans[0] if len(spans) == 1 else None


def _free_context(*nodes):
    """A context declaring every name the formulas use: scalars drawn at random, arbitrary positive
    functions for names applied to arguments (a corpus formula has no rubric to declare them)."""
    variables, functions = {}, {}
    for node in nodes:
        for n in t.walk(node):
            if isinstance(n, t.Apply) and isinstance(n.head, t.Sym):
                functions[printer.to_latex(n.head)] = FunctionDecl(args=["x"] * len(n.args), positive=True)
            elif isinstance(n, t.Sym) and n.base not in ("e", "\\pi", "\\infty", "KL"):
                variables[printer.to_latex(n)] = VariableDecl()
    for name in functions:
        variables.pop(name, None)
    try:
        return compile_context(ContextDecl(variables=variables, functions=functions))
    except Exception:  # a name the declaration cannot take: numbers cannot decide
        return None


def _equivalent(a: str, b: str) -> bool | None:
    """Numerically equal (True), different (False), or not checkable (None)."""
    try:
        node_a, node_b = parse(a), parse(b)
    except ParseError:
        return None
    ctx = _free_context(node_a, node_b)
    if ctx is None:
        return None
    for pointwise in (False, True):
        verdict = equivalence.check(node_a, node_b, (), ctx, pointwise)
        if verdict.kind == "equivalent":
            return True
        if verdict.kind not in ("error", "timeout", "undefined"):
            return False
    return None


def numeric(reading: str, source: str) -> bool | None:
    read_eqs, source_eqs = split_math(reading), split_math(source)
    if not source_eqs or [len(e) for e in read_eqs] != [len(e) for e in source_eqs]:
        return None  # not the same equations: canonical spelling decides (and will differ)
    verdicts = [_equivalent(r, s) for re_, se in zip(read_eqs, source_eqs) for r, s in zip(re_, se)]
    if any(v is False for v in verdicts):
        return False
    return True if verdicts and all(v is True for v in verdicts) else None


def judge(doc: Document) -> list[Judgement]:
    found = formulas()
    out = []
    for i, formula in enumerate(found):
        following = found[i + 1]["id"] if i + 1 < len(found) else None
        span = reading_of(doc, formula, following)
        if span is None:
            out.append(Judgement(formula["id"], None, False, "not found"))
            continue
        source = re.sub(r"\\(?:begin|end)\{(?:align|equation|gather|multline)\*?\}", "", formula["tex"])
        verdict = numeric(span.latex, source) if "read" not in formula else None
        if verdict is True:
            out.append(Judgement(formula["id"], span.latex, True, "numeric"))
        elif verdict is False:
            out.append(Judgement(formula["id"], span.latex, False, "different"))
        else:
            same = canonical(span.latex) == canonical(formula.get("read", source))
            out.append(Judgement(formula["id"], span.latex, same, "canonical" if same else "different"))
    return out
