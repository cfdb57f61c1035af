"""LaTeX text -> expression tree, with our own grammar (latex.lark), never sympy's parse_latex
(its default mode silently drops what it cannot read) and never eval/sympify.

`parse` raises ParseError, and only ParseError, with a message a student can act on. Results are
cached per (text, lexicon): the same answer across a batch is parsed once. The lexicon is what a
context adds to the spelling rules: the words it declares (ELBO read as one name, not E·L·B·O) and
the letters a digit subscripts in plain text (p0 for p_0).
"""

from __future__ import annotations

import os
import re
import stat
from functools import cache, lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from grader.mathexpr import tree as t
from grader.mathexpr.normalise import PLAIN, Lexicon, normalise
from grader.mathexpr.tree import ParseError

GRAMMAR = Path(__file__).with_name("latex.lark")


_ACCENTS = {"hat": "hat", "tilde": "tilde", "bar": "bar", "check": "check", "breve": "breve", "dot": "dot",
            "ddot": "ddot"}
_FUNCS = {"Re": "re", "Im": "im"}
_GRADIENT = re.compile(r"\\nabla(?:_\{(?P<variable>[^{}]*)\})?\{(?P<name>.*)\}")


class _ScriptList(tuple):
    """{1,2} in a subscript (\\lambda_{1,2}): only a name's label may be a list."""


def _label(node) -> str:
    """A subscript as a compact label: p_{0} -> "0", p_{data} -> "data", D_{\\theta} -> "\\theta",
    \\lambda_{1,2} -> "1,2"."""
    if isinstance(node, _ScriptList):
        return ",".join(_label(item) for item in node)
    if isinstance(node, t.Num) and node.value.denominator == 1:
        return str(node.value.numerator)
    if isinstance(node, t.Sym) and node.sub is None and not node.star and node.accent is None:
        return node.base
    if isinstance(node, t.Mul) and all(isinstance(f, t.Sym) and f.sub is None and not f.star and f.accent is None
                                       and len(f.base) == 1 for f in node.factors):
        return "".join(f.base for f in node.factors)
    raise ParseError("a subscript must be a number, a letter or a word (p_0, p_{data})")


def _script(node) -> t.Node:
    if isinstance(node, _ScriptList):
        raise ParseError("a list such as {1,2} can only be a name's subscript")
    return node


def _var_name(node: t.Node, what: str) -> str:
    if isinstance(node, t.Sym) and node.sub is None and not node.star and len(node.base) == 1:
        return node.base
    raise ParseError(f"{what} must be a single letter such as x")


def _log_base(token: str) -> t.Node | None:
    """The base written in \\log_2( or \\log_{10}[ ; None for the natural log."""
    if "_" not in token:
        return None
    base = token.split("_", 1)[1].strip("{}([ \t\n")
    if base == "e":
        return None
    if not base.isdigit() or int(base) < 2:
        raise ParseError(f"a logarithm's base must be a whole number such as 2, not {base!r}")
    return t.num(int(base))


def _func_name(token: str) -> str:
    name = token[1:].split("_", 1)[0].rstrip("([ \t\n")
    return _FUNCS.get(name, name)


def _name_base(token: Token) -> tuple[str, str | None]:
    """(base, accent) of a name token: \\name{KL} -> KL, \\hat{x} -> (x, hat)."""
    text = str(token)
    if token.type == "WORD":
        return text[len("\\name{"):-1], None
    if token.type == "ACCENTED":
        accent, _, inner = text[1:].partition("{")
        return inner[:-1], _ACCENTS[accent]
    if token.type == "GRADIENT":  # \nabla_{w}{\ell}: the gradient of ℓ with respect to w, another name
        m = _GRADIENT.match(text)
        return m["name"], t.gradient_accent(m["variable"])
    return text, None


class _Build(Transformer):
    """Callbacks run by the LALR parser as it reduces: bottom-up, without recursion."""

    def sum(self, c):
        terms = [c[0]]
        for op, term in zip(c[1::2], c[2::2]):
            if op.type == "PLUS":
                terms.append(term)
            elif op.type == "MINUS":
                terms.append(t.neg(term))
            else:
                terms.append(t.plus_minus(term, op.type == "MP"))
        return t.add(*terms)

    def product(self, c):
        factors = [c[0]]
        for op, operand in zip(c[1::2], c[2::2]):
            if op.type == "SLASH":  # left to right: a b / c d = ((a b)/c) d
                factors = [t.div(t.mul(*factors), operand)]
            else:
                factors.append(operand)
        return t.mul(*factors)

    def sub(self, c):
        return ("sub", c[0])

    def neg(self, c):
        return t.neg(c[1])

    def pos(self, c):
        return c[1]

    def pm_unary(self, c):
        return t.plus_minus(c[1], c[0].type == "MP")

    def implicit(self, c):
        return t.mul(*c)

    def power(self, c):
        return t.power(c[0], _script(c[1]))

    def named(self, c):
        base, accent = _name_base(c[0])
        sub, star = None, False
        for item in c[1:]:
            if isinstance(item, Token) and item.type == "STAR":
                star = True
            elif isinstance(item, Token):  # PRIME
                accent = "prime" if len(item) == 1 else f"prime{len(item)}"
            else:
                sub = _label(item[1])
        return t.sym(base, sub, star, accent)

    def apply(self, c):
        return t.apply(c[0], c[1])

    def apply_word(self, c):
        return t.apply(t.sym(_name_base(c[0])[0]), c[1])

    def args(self, c):
        return tuple(c)

    def script_list(self, c):
        return _ScriptList(c)

    def digit(self, c):
        return t.num(str(c[0]))

    def letter(self, c):
        return t.sym(str(c[0]))

    def infinity(self, c):
        return t.INFINITY

    def top(self, c):
        return t.TOP

    def number(self, c):
        return t.num("".join(str(d) for d in c))

    def numfrac(self, c):
        top, bottom = (s.strip() for s in str(c[0]).split("/"))
        return t.div(t.num(top), t.num(bottom))

    def tuple(self, c):
        return t.tuple_(c)

    def set(self, c):
        return t.set_of(c[1:-1])

    def abs(self, c):
        return t.call("abs", c[1])

    def norm(self, c):
        sub = _label(c[3][1]) if len(c) == 4 else None
        return t.norm(c[1], sub)

    def matrix(self, c):
        env = str(c[0])[len("\\begin{"):-1]
        if env != str(c[-1])[len("\\end{"):-1]:
            raise ParseError(f"\\begin{{{env}}} is closed by {c[-1]}")
        rows = [item for item in c[1:-1] if not isinstance(item, Token)]
        node = t.matrix(rows)
        return t.call("det", node) if env in ("vmatrix", "Vmatrix") else node

    def mrow(self, c):
        return [item for item in c if not isinstance(item, Token)]

    def frac(self, c):
        return t.div(_script(c[1]), _script(c[2]))

    def sqrt(self, c):
        return t.call("sqrt", _script(c[1]))

    def func_paren(self, c):
        token = str(c[0])
        func = _func_name(token)
        arg = t.tuple_(c[1])
        if func == "log":
            return t.call(func, arg, _log_base(token))
        if "_" in token:
            raise ParseError("only \\log takes a base")
        return t.call(func, arg)

    def func_implicit(self, c):
        func = _func_name(str(c[0]))
        base = None
        if len(c) == 3:
            label = _label(c[1][1])
            base = None if label == "e" else _log_base("_" + label)
            if func != "log":
                raise ParseError("only \\log takes a base")
        return t.call(func, c[-1], base)

    def expect(self, c):
        if len(c) == 2:
            raise ParseError("an expectation must say over which distribution, e.g. \\mathbb{E}_{x\\sim p_0}[...]")
        var, dist = c[1]
        return t.expect(dist, c[2], var)

    def esub(self, c):
        if len(c) == 1:
            return ("x", c[0])
        return (_var_name(c[0], "the variable of an expectation"), c[2])

    def esub_char(self, c):
        return ("x", t.sym(str(c[0])))

    def integral(self, c):
        items, diff = list(c[1:-1]), c[-1]
        lower = items.pop(0)[1] if isinstance(items[0], tuple) else None
        upper = _script(items[0]) if len(items) == 2 else None
        return t.integral(items[-1], str(diff)[1:].strip(), lower, upper)

    def big_op(self, c):
        op = str(c[0])[1:]
        return t.big_op(op, str(c[1]), c[2], _script(c[3]), c[4])


def _cache_file() -> str | bool:
    """Where lark may keep its analysed grammar: a folder of the user's own, never a shared one.

    Building the LALR tables takes ~0.2 s per process; loading them ~0.01 s. lark's cache is a
    pickle, so it is only read from a folder that this user owns and nobody else can write to.
    lark checks a hash of the grammar, its options and its version, and rebuilds on any mismatch
    or unreadable file."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "grader"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = base.stat()
    except (OSError, RuntimeError):
        return False
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return str(base / "latex-grammar.lark-cache")


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="contextual",
                transformer=_Build(), maybe_placeholders=False, cache=_cache_file())


def _explain(exc: UnexpectedInput, text: str) -> str:
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return "the expression ends too early (an unclosed bracket or a missing term?)"
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        near = text[max(0, exc.pos_in_stream - 15):exc.pos_in_stream + 15]
        return f"cannot read {char!r} near '{near}'"
    if isinstance(exc, UnexpectedToken):
        where = exc.token.start_pos or 0
        near = text[max(0, where - 15):where + 15]
        return f"unexpected {str(exc.token)!r} near '{near}'"
    return "the expression cannot be read"


@lru_cache(maxsize=4096)
def _parse_cached(text: str, lexicon: Lexicon) -> t.Node | ParseError:
    normal = text
    try:
        normal = normalise(text, lexicon)
        if not normal:
            raise ParseError("the expression is empty")
        return _parser().parse(normal)
    except ParseError as exc:
        return exc
    except UnexpectedInput as exc:
        return ParseError(_explain(exc, normal))
    except LarkError as exc:  # a callback's ParseError arrives wrapped by some lark versions
        cause = exc.__context__
        return cause if isinstance(cause, ParseError) else ParseError("the expression cannot be read")
    except (RecursionError, ZeroDivisionError, ValueError, OverflowError) as exc:
        return ParseError(f"the expression cannot be read ({type(exc).__name__})")


def parse(text: str, lexicon: Lexicon = PLAIN) -> t.Node:
    """Parse one side of an equation (a LaTeX string) into a tree; raise ParseError."""
    result = _parse_cached(text, lexicon)
    if isinstance(result, ParseError):
        raise ParseError(str(result))
    return result


def warm() -> None:
    """Build the parser now (~0.2 s, ~0.02 s from lark's cache), not inside the first timed check."""
    _parser()
