"""The expression tree: small frozen (hashable) nodes, built only through the constructors below.

The constructors normalise as they build (sums and products are flattened, numeric fractions are
folded into exact numbers, `E_{p}` gets its default variable x), so two answers that differ only
in spelling give equal trees: the tree is the cache key of an equivalence check. Every node
carries its depth, and building a node deeper than MAX_DEPTH raises ParseError, so that the
recursive printers and the evaluator never meet a hostile "- - - - ... x".

What a name means (a variable, a density, a function with a definition) is not decided here: the
tree keeps names as written, and a context (context.py) gives them meaning when evaluating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

MAX_DEPTH = 60
MAX_ITEMS = 400  # entries of one matrix, tuple or set


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
    """A name as written: `base` is a letter, a Greek command or a word ("p", "\\mu", "ELBO",
    "\\mathcal{N}"), `sub` the subscript as compact LaTeX ("0", "data", "ij"), `star` the optimum
    mark of D^*, `accent` a mark that makes another name of it ("hat", "tilde", "bar", "prime", and
    "nabla_w" for the gradient ∇_w of the name)."""

    base: str
    sub: str | None = None
    star: bool = False
    accent: str | None = None


@dataclass(frozen=True)
class Apply(Node):
    head: Sym
    args: tuple[Node, ...]

    def children(self):
        return (self.head, *self.args)


@dataclass(frozen=True)
class Call(Node):
    """A built-in function: log (natural unless `base`), exp, sqrt, det, tr, sin, ..., abs, max."""

    func: str
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
class PlusMinus(Node):
    """± arg inside a sum: the expression stands for the set of both signs (1 ± iα)."""

    arg: Node
    minus_first: bool = False  # written ∓

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
    """base^exp; A^T and A^\\top are transposes, A^{-1} an inverse, when A is a matrix."""

    base: Node
    exp: Node

    def children(self):
        return (self.base, self.exp)


@dataclass(frozen=True)
class Norm(Node):
    """‖arg‖ (sub None: the 2-norm, Frobenius for a matrix), ‖arg‖_1, ‖arg‖_\\infty ..."""

    arg: Node
    sub: str | None = None

    def children(self):
        return (self.arg,)


@dataclass(frozen=True)
class Matrix(Node):
    rows: tuple[tuple[Node, ...], ...]

    def children(self):
        return tuple(item for row in self.rows for item in row)


@dataclass(frozen=True)
class Tuple(Node):
    """(a, b): a point or a vector."""

    items: tuple[Node, ...]

    def children(self):
        return self.items


@dataclass(frozen=True)
class SetOf(Node):
    """\\{a, b\\}: a set, compared without order (eigenvalues)."""

    items: tuple[Node, ...]

    def children(self):
        return self.items


@dataclass(frozen=True)
class BigOp(Node):
    """\\sum_{var=lower}^{upper} body, or \\prod."""

    op: str  # "sum" or "prod"
    var: str
    lower: Node
    upper: Node
    body: Node

    def children(self):
        return (self.lower, self.upper, self.body)


@dataclass(frozen=True)
class Expect(Node):
    dist: Node  # a density, evaluated pointwise: p_0, \mu, \frac{p_0 + p_1}{2}, \mathcal{N}(0, 1) ...
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


INFINITY = Sym("\\infty")
TOP = Sym("\\top")  # the transpose mark


def _depth(*children: Node | None) -> int:
    depth = 1 + max((c.depth for c in children if c is not None), default=0)
    if depth > MAX_DEPTH:
        raise ParseError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    return depth


def _items(items, what: str) -> tuple[Node, ...]:
    items = tuple(items)
    if len(items) > MAX_ITEMS:
        raise ParseError(f"{what} has more than {MAX_ITEMS} entries")
    return items


# ------------------------------------------------------------------ constructors

def num(value: Fraction | int | str) -> Num:
    return Num(Fraction(value))


GRADIENT = "nabla"  # the accent of a gradient's name: "nabla" (∇ℓ), "nabla_w" (∇_w ℓ, with respect to w)


def gradient_accent(variable: str | None) -> str:
    return GRADIENT + (f"_{variable}" if variable else "")


def derived(accent: str | None) -> bool:
    """A derivative's mark (f', ∇ℓ): the name of another quantity, never the plain name's value."""
    return accent is not None and accent.startswith(("prime", GRADIENT))


def sym(base: str, sub: str | None = None, star: bool = False, accent: str | None = None) -> Sym:
    return Sym(base, sub, star, accent)


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


def plus_minus(arg: Node, minus_first: bool = False) -> PlusMinus:
    return PlusMinus(arg, minus_first, depth=_depth(arg))


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


def norm(arg: Node, sub: str | None = None) -> Norm:
    return Norm(arg, sub, depth=_depth(arg))


def matrix(rows) -> Node:
    rows = tuple(tuple(row) for row in rows)
    if not rows or any(len(row) != len(rows[0]) for row in rows):
        raise ParseError("the rows of a matrix must have the same number of entries")
    entries = _items((item for row in rows for item in row), "a matrix")
    return Matrix(rows, depth=_depth(*entries))


def tuple_(items) -> Node:
    items = _items(items, "a tuple")
    return items[0] if len(items) == 1 else Tuple(items, depth=_depth(*items))


def set_of(items) -> SetOf:
    items = _items(items, "a set")
    return SetOf(items, depth=_depth(*items))


def big_op(op: str, var: str, lower: Node, upper: Node, body: Node) -> BigOp:
    return BigOp(op, var, lower, upper, body, depth=_depth(lower, upper, body))


def expect(dist: Node, body: Node, var: str = "x") -> Expect:
    return Expect(dist, var, body, depth=_depth(dist, body))


def integral(body: Node, var: str = "x", lower: Node | None = None, upper: Node | None = None) -> Integral:
    return Integral(body, var, lower, upper, depth=_depth(body, lower, upper))


def walk(node: Node):
    """Every node of the tree, parents first (iterative: no recursion limit to meet)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


def substitute(node: Node, values: dict[Sym, Node]) -> Node:
    """The tree with every plain occurrence of a name replaced (a function's definition applied to
    its arguments). Names bound inside (an expectation's or a sum's variable) are left alone."""
    if not values:
        return node
    match node:
        case Sym():
            return values.get(node, node)
        case Num():
            return node
        case Apply(head=head, args=args):
            new_args = tuple(substitute(a, values) for a in args)
            replaced = values.get(head)
            if isinstance(replaced, Sym):
                return apply(replaced, new_args)
            if replaced is not None:  # a parameter standing for a density expression, at a variable
                return replaced
            return apply(head, new_args)
        case Call(func=func, arg=arg, base=base):
            return call(func, substitute(arg, values), None if base is None else substitute(base, values))
        case Add(terms=terms):
            return add(*(substitute(x, values) for x in terms))
        case Neg(arg=arg):
            return neg(substitute(arg, values))
        case PlusMinus(arg=arg, minus_first=minus_first):
            return plus_minus(substitute(arg, values), minus_first)
        case Mul(factors=factors):
            return mul(*(substitute(x, values) for x in factors))
        case Div(num=n, den=d):
            return div(substitute(n, values), substitute(d, values))
        case Pow(base=b, exp=e):
            return power(substitute(b, values), substitute(e, values))
        case Norm(arg=arg, sub=sub):
            return norm(substitute(arg, values), sub)
        case Matrix(rows=rows):
            return matrix([[substitute(x, values) for x in row] for row in rows])
        case Tuple(items=items):
            return tuple_(substitute(x, values) for x in items)
        case SetOf(items=items):
            return set_of(substitute(x, values) for x in items)
        case BigOp(op=op, var=var, lower=lo, upper=hi, body=body):
            inner = {k: v for k, v in values.items() if k != Sym(var)}
            return big_op(op, var, substitute(lo, values), substitute(hi, values), substitute(body, inner))
        case Expect(dist=dist, var=var, body=body):
            inner = {k: v for k, v in values.items() if k != Sym(var)}
            return expect(substitute(dist, inner), substitute(body, inner), var)
        case Integral(body=body, var=var, lower=lo, upper=hi):
            inner = {k: v for k, v in values.items() if k != Sym(var)}
            return integral(substitute(body, inner), var, None if lo is None else substitute(lo, values),
                            None if hi is None else substitute(hi, values))
    raise TypeError(f"cannot substitute in {type(node).__name__}")
