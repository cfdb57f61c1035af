"""LaTeX text -> expression tree, with our own grammar (latex.lark), never sympy's parse_latex
(its default mode silently drops what it cannot read) and never eval/sympify.

`parse` raises ParseError, and only ParseError, with a message a student can act on. Results are
cached per text: the same answer across a batch is parsed once.
"""

from __future__ import annotations

import os
import stat
from functools import cache, lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from grader.mathexpr import tree as t
from grader.mathexpr.normalise import normalise
from grader.mathexpr.tree import ParseError

GRAMMAR = Path(__file__).with_name("latex.lark")


def _label(node: t.Node) -> str:
    """A subscript as a compact label: p_{0} -> "0", p_{data} -> "data", D_{\\theta} -> "\\theta"."""
    if isinstance(node, t.Num) and node.value.denominator == 1:
        return str(node.value.numerator)
    if isinstance(node, t.Sym) and node.sub is None and not node.star:
        return node.base
    if isinstance(node, t.Mul) and all(isinstance(f, t.Sym) and f.sub is None and not f.star
                                       and len(f.base) == 1 for f in node.factors):
        return "".join(f.base for f in node.factors)
    raise ParseError("a subscript must be a number, a letter or a word (p_0, p_{data})")


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


class _Build(Transformer):
    """Callbacks run by the LALR parser as it reduces: bottom-up, without recursion."""

    def sum(self, c):
        terms = [c[0]]
        for op, term in zip(c[1::2], c[2::2]):
            terms.append(term if op.type == "PLUS" else t.neg(term))
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

    def implicit(self, c):
        return t.mul(*c)

    def power(self, c):
        return t.power(c[0], c[1])

    def named(self, c):
        base, sub, star = str(c[0]), None, False
        for item in c[1:]:
            if isinstance(item, Token):  # STAR
                star = True
            else:
                sub = _label(item[1])
        return t.sym(base, sub, star)

    def apply(self, c):
        return t.apply(c[0], c[1])

    def args(self, c):
        return tuple(c)

    def digit(self, c):
        return t.num(str(c[0]))

    def letter(self, c):
        return t.sym(str(c[0]))

    def infinity(self, c):
        return t.INFINITY

    def number(self, c):
        return t.num("".join(str(d) for d in c))

    def numfrac(self, c):
        top, bottom = (s.strip() for s in str(c[0]).split("/"))
        return t.div(t.num(top), t.num(bottom))

    def frac(self, c):
        return t.div(c[1], c[2])

    def sqrt(self, c):
        return t.call("sqrt", c[1])

    def func_paren(self, c):
        token = str(c[0])
        func = "exp" if token.startswith("\\exp") else "log"
        return t.call(func, c[1], _log_base(token))

    def func_implicit(self, c):
        func = str(c[0])[1:]
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
        upper = items[0] if len(items) == 2 else None
        return t.integral(items[-1], str(diff)[1:].strip(), lower, upper)

    def divergence(self, c):
        return t.divergence(str(c[0])[1:], (c[1], c[-1]))

    def divergence_bare(self, c):
        return t.divergence(str(c[0])[1:], ())


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
def _parse_cached(text: str) -> t.Node | ParseError:
    try:
        normal = normalise(text)
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


def parse(text: str) -> t.Node:
    """Parse one side of an equation (a LaTeX string) into a tree; raise ParseError."""
    result = _parse_cached(text)
    if isinstance(result, ParseError):
        raise ParseError(str(result))
    return result


def warm() -> None:
    """Build the parser now (~0.2 s, ~0.02 s from lark's cache), not inside the first timed check."""
    _parser()
