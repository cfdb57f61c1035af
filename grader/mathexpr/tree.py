"""The expression tree: small frozen (hashable) nodes, built only through the constructors below.

The constructors normalise as they build (sums and products are flattened, numeric fractions are
folded into exact numbers, `E_{p}` gets its default variable x), so two answers that differ only
in spelling give equal trees: the tree is the cache key of an equivalence check. Every node
carries its depth, and building a node deeper than MAX_DEPTH raises ParseError, so that the
recursive printers and the evaluator never meet a hostile "- - - - ... x".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

MAX_DEPTH = 60


class ParseError(ValueError):
    """The text is not an expression this grammar reads; the message says why, for a student."""


@dataclass(frozen=True)
class Node:
    depth: int = field(default=1, compare=False, repr=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True)
class Num(Node):
    value: Fraction  # always >= 0: a negative number is Neg(Num)


@dataclass(frozen=True)
class Sym(Node):
    """A name as written: `base` is a letter or a Greek command ("p", "D", "\\mu"), `sub` the
    subscript as compact LaTeX ("0", "data"), `star` the optimum mark of D^*."""

    base: str
    sub: str | None = None
    star: bool = False


@dataclass(frozen=True)
class Apply(Node):
    head: Sym
    args: tuple[Node, ...]

    def children(self):
        return (self.head, *self.args)


@dataclass(frozen=True)
class Call(Node):
    func: str  # "log" (natural unless `base`), "exp", "sqrt"
    arg: Node
    base: Node | None = None

    def children(self):
        return (self.arg,) if self.base is None else (self.arg, self.base)


@dataclass(frozen=True)
class Add(Node):
    terms: tuple[Node, ...]

    def children(self):
        return self.terms


@dataclass(frozen=True)
class Neg(Node):
    arg: Node

    def children(self):
        return (self.arg,)


@dataclass(frozen=True)
class Mul(Node):
    factors: tuple[Node, ...]

    def children(self):
        return self.factors


@dataclass(frozen=True)
class Div(Node):
    num: Node
    den: Node

    def children(self):
        return (self.num, self.den)


@dataclass(frozen=True)
class Pow(Node):
    base: Node
    exp: Node

    def children(self):
        return (self.base, self.exp)


@dataclass(frozen=True)
class Expect(Node):
    dist: Node  # a density, evaluated pointwise: p_0, \mu, \frac{p_0 + p_1}{2} ...
    var: str  # the variable the expectation binds, "x" unless written E_{y \sim p}
    body: Node

    def children(self):
        return (self.dist, self.body)


@dataclass(frozen=True)
class Integral(Node):
    body: Node
    var: str
    lower: Node | None = None
    upper: Node | None = None

    def children(self):
        return tuple(n for n in (self.body, self.lower, self.upper) if n is not None)


@dataclass(frozen=True)
class Divergence(Node):
    name: str  # "KL" or "JSD"
    args: tuple[Node, ...]  # () for a bare \JSD, else two densities

    def children(self):
        return self.args


INFINITY = Sym("\\infty")


def _depth(*children: Node | None) -> int:
    depth = 1 + max((c.depth for c in children if c is not None), default=0)
    if depth > MAX_DEPTH:
        raise ParseError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    return depth


# ------------------------------------------------------------------ constructors

def num(value: Fraction | int | str) -> Num:
    return Num(Fraction(value))


def sym(base: str, sub: str | None = None, star: bool = False) -> Sym:
    return Sym(base, sub, star)


def apply(head: Sym, args: tuple[Node, ...] | list[Node]) -> Apply:
    args = tuple(args)
    return Apply(head, args, depth=_depth(head, *args))


def call(func: str, arg: Node, base: Node | None = None) -> Call:
    return Call(func, arg, base, depth=_depth(arg, base))


def add(*terms: Node) -> Node:
    flat: list[Node] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, Add) else (term,))
    if len(flat) == 1:
        return flat[0]
    return Add(tuple(flat), depth=_depth(*flat))


def neg(arg: Node) -> Neg:
    return Neg(arg, depth=_depth(arg))


def mul(*factors: Node) -> Node:
    flat: list[Node] = []
    for factor in factors:
        flat.extend(factor.factors if isinstance(factor, Mul) else (factor,))
    if len(flat) == 1:
        return flat[0]
    return Mul(tuple(flat), depth=_depth(*flat))


def div(numerator: Node, denominator: Node) -> Node:
    if isinstance(numerator, Num) and isinstance(denominator, Num) and denominator.value != 0:
        return Num(numerator.value / denominator.value)
    return Div(numerator, denominator, depth=_depth(numerator, denominator))


def power(base: Node, exponent: Node) -> Pow:
    return Pow(base, exponent, depth=_depth(base, exponent))


def expect(dist: Node, body: Node, var: str = "x") -> Expect:
    return Expect(dist, var, body, depth=_depth(dist, body))


def integral(body: Node, var: str = "x", lower: Node | None = None, upper: Node | None = None) -> Integral:
    return Integral(body, var, lower, upper, depth=_depth(body, lower, upper))


def divergence(name: str, args: tuple[Node, ...] | list[Node] = ()) -> Divergence:
    args = tuple(args)
    return Divergence(name, args, depth=_depth(*args))


def walk(node: Node):
    """Every node of the tree, parents first (iterative: no recursion limit to meet)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))
