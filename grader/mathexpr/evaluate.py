"""Numbers for an expression tree on known pairs of 1-D distributions (numpy, deterministic).

What the names mean (the vocabulary of questions about two densities and a discriminator):

    p_0, f_0, P_0      the density p0            p_1, f_1, P_1      the density p1
    \\mu, m, M, p_m     the mixture (p0 + p1)/2   D, D^*, D(x), D_G  the optimal discriminator p1/(p0+p1)
    x (or the letter an expectation or integral binds)               e, \\pi     the constants
    \\mathbb{E}_{x \\sim q}[g]  = sum of q(x) g(x) dx on a grid      \\int g dx   = sum of g(x) dx
    KL(a \\| b), JSD(a, b) of two densities, by the same quadrature; a bare JSD means JSD(p0, p1).

Each pair is discretised on its own fixed grid, where both densities are normalised to sum to
one: inside that discrete world every identity between the forms of the JSD holds to rounding
error (E[c] = c, D* + (1 - D*) = 1), so the tolerance can be tight. The grid stops where
log(p0/p1) would exceed 18 in size, which keeps 1 - D* well away from rounding to zero.

Pointwise answers (D*(x), f1(x)) are evaluated at fixed, irregularly spread points with the
exact densities. Anything outside this vocabulary raises EvalError with the reason.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache

import numpy as np

from grader.mathexpr import tree as t
from grader.mathexpr.printer import to_plain

GRID_POINTS = 2001
POINTS_PER_PAIR = 12
MAX_LOG_RATIO = 18.0


class EvalError(ValueError):
    """The expression uses something the evaluator does not know; the message says what."""


class TimeLimit(Exception):
    """The check ran out of its time budget."""


@dataclass(frozen=True)
class Density:
    family: str  # "normal" or "laplace"
    loc: float
    scale: float

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        if self.family == "normal":
            return -0.5 * (math.log(2 * math.pi) + 2 * math.log(self.scale) + ((x - self.loc) / self.scale) ** 2)
        return -math.log(2 * self.scale) - np.abs(x - self.loc) / self.scale

    def __str__(self) -> str:
        name = "N" if self.family == "normal" else "Laplace"
        scale = f"{self.scale:g}²" if self.family == "normal" else f"{self.scale:g}"
        return f"{name}({self.loc:g}, {scale})"


# Different means and spreads, and a heavier-tailed family, so that no wrong answer agrees with
# the key on all of them by a symmetry of one pair (equal variances make E_p0[log D] = E_p1[log(1-D)]).
PAIRS: tuple[tuple[Density, Density], ...] = (
    (Density("normal", 0.0, 1.0), Density("normal", 1.5, 1.0)),
    (Density("normal", 0.0, 1.0), Density("normal", 1.0, 2.0)),
    (Density("normal", -1.0, 0.7), Density("normal", 0.5, 1.3)),
    (Density("laplace", 0.0, 1.0), Density("laplace", 0.8, 0.6)),
    (Density("normal", 0.3, 1.0), Density("laplace", -0.2, 1.2)),
)


@dataclass(frozen=True)
class Domain:
    """Points x with the two densities there; `weights` (quadrature) only on a grid."""

    name: str
    x: np.ndarray  # (pairs, n)
    p0: np.ndarray
    p1: np.ndarray
    weights: np.ndarray | None = None


def _interval(a: Density, b: Density) -> tuple[float, float]:
    """Where both densities are representable and their log ratio stays within MAX_LOG_RATIO."""
    xs = np.linspace(-40.0, 40.0, 8001)
    la, lb = a.logpdf(xs), b.logpdf(xs)
    bad = np.flatnonzero(~((np.abs(la - lb) <= MAX_LOG_RATIO) & (la > -600) & (lb > -600)))
    centre = int(np.argmin(np.abs(xs - (a.loc + b.loc) / 2)))
    below, above = bad[bad < centre], bad[bad > centre]  # the run of good points around the centre
    lo = int(below[-1]) + 1 if below.size else 0
    hi = int(above[0]) - 1 if above.size else len(xs) - 1
    return float(xs[lo]), float(xs[hi])


@cache
def grid() -> Domain:
    xs, p0s, p1s, ws = [], [], [], []
    for a, b in PAIRS:
        lo, hi = _interval(a, b)
        x = np.linspace(lo, hi, GRID_POINTS)
        w = np.full(GRID_POINTS, (hi - lo) / (GRID_POINTS - 1))
        w[0] = w[-1] = w[0] / 2  # trapezoid
        pa, pb = np.exp(a.logpdf(x)), np.exp(b.logpdf(x))
        xs.append(x)
        ws.append(w)
        p0s.append(pa / np.sum(w * pa))
        p1s.append(pb / np.sum(w * pb))
    return Domain("grid", np.array(xs), np.array(p0s), np.array(p1s), np.array(ws))


@cache
def points() -> Domain:
    # A golden-ratio sequence: spread like random points, fixed, and without importing numpy.random
    spread = np.sort(np.modf(0.5 + np.arange(1, POINTS_PER_PAIR + 1) * (math.sqrt(5) - 1) / 2)[0])
    xs, p0s, p1s = [], [], []
    for a, b in PAIRS:
        lo = min(a.loc - 2 * a.scale, b.loc - 2 * b.scale)
        hi = max(a.loc + 2 * a.scale, b.loc + 2 * b.scale)
        x = lo + (hi - lo) * spread
        xs.append(x)
        p0s.append(np.exp(a.logpdf(x)))
        p1s.append(np.exp(b.logpdf(x)))
    return Domain("points", np.array(xs), np.array(p0s), np.array(p1s))


# ------------------------------------------------------------------ what names mean

def meaning(node: t.Sym) -> str | None:
    """The canonical quantity a name denotes: "p0", "p1", "mu", "D", "e", "pi"; None if unknown."""
    base, sub = node.base, node.sub
    if base in ("p", "f", "P", "F") and sub in ("0", "1"):
        return "p" + sub
    if (base == "\\mu" and sub is None) or (base in ("m", "M") and sub is None) or \
            (base in ("p", "P") and sub in ("m", "M", "\\mu", "mix")):
        return None if node.star else "mu"
    if base == "D" and sub not in ("0", "1"):
        return "D"
    if base == "e" and sub is None and not node.star:
        return "e"
    if base == "\\pi" and sub is None and not node.star:
        return "pi"
    return None


def symbols_used(node: t.Node) -> set[str]:
    """Canonical quantities the expression refers to (p0, p1, mu, D, KL, JSD)."""
    used = set()
    for n in t.walk(node):
        if isinstance(n, t.Sym):
            m = meaning(n)
            if m in ("p0", "p1", "mu", "D"):
                used.add(m)
        elif isinstance(n, t.Divergence):
            used.add(n.name)
    return used


# ------------------------------------------------------------------ evaluation

@dataclass(frozen=True)
class Value:
    """An array over one domain's points (pairs, n), or one number per pair (pairs, 1)."""

    data: np.ndarray
    domain: str | None  # None: constant in x


class _Scope:
    def __init__(self, variables: dict[str, Domain], default: str | None, deadline: float):
        self.variables = variables
        self.default = default  # the variable a bare p_0 or D refers to
        self.deadline = deadline

    def bind(self, var: str) -> _Scope:
        return _Scope({**self.variables, var: grid()}, var, self.deadline)


def _combine(*values: Value) -> str | None:
    domains = {v.domain for v in values if v.domain is not None}
    if len(domains) > 1:
        raise EvalError("the expression mixes two variables (x outside and inside an expectation?)")
    return domains.pop() if domains else None


def _density(name: str, domain: Domain) -> np.ndarray:
    if name == "p0":
        return domain.p0
    if name == "p1":
        return domain.p1
    if name == "mu":
        return (domain.p0 + domain.p1) / 2
    return domain.p1 / (domain.p0 + domain.p1)  # D*


def _at(name: str, scope: _Scope, var: str | None, shown: str) -> Value:
    var = var or scope.default
    if var is None or var not in scope.variables:
        raise EvalError(f"{shown} appears outside any expectation or integral")
    domain = scope.variables[var]
    return Value(_density(name, domain), domain.name)


def _const(x: float, pairs: int) -> Value:
    return Value(np.full((pairs, 1), x), None)


def evaluate(node: t.Node, pointwise: bool, deadline: float) -> np.ndarray:
    """Values per pair and point, flattened: (pairs * points,) if pointwise, else (pairs,)."""
    variables = {"x": points()} if pointwise else {}
    scope = _Scope(variables, "x" if pointwise else None, deadline)
    with np.errstate(all="ignore"):
        value = _eval(node, scope)
    data = value.data
    if pointwise:
        data = np.broadcast_to(data, points().x.shape)
    elif value.domain is not None:
        raise EvalError("the expression depends on x outside any expectation or integral")
    return np.array(data, dtype=float).reshape(-1)


def _eval(node: t.Node, scope: _Scope) -> Value:
    if time.perf_counter() > scope.deadline:
        raise TimeLimit()
    pairs = len(PAIRS)
    match node:
        case t.Num(value=value):
            return _const(float(value), pairs)
        case t.Sym():
            if node.base in scope.variables and node.sub is None and not node.star:
                domain = scope.variables[node.base]
                return Value(domain.x, domain.name)
            if node.base in ("x", "y", "z", "t", "u") and node.sub is None:
                raise EvalError(f"{node.base} appears outside any expectation or integral")
            m = meaning(node)
            if m == "e":
                return _const(math.e, pairs)
            if m == "pi":
                return _const(math.pi, pairs)
            if m is None:
                raise EvalError(f"unknown symbol {_show(node)}")
            return _at(m, scope, None, _show(node))
        case t.Apply(head=head, args=args):
            m = meaning(head)
            if m in ("p0", "p1", "mu", "D"):
                if len(args) != 1:
                    raise EvalError(f"{_show(head)} takes one argument, the variable x")
                arg = args[0]
                if isinstance(arg, t.Sym) and arg.base in scope.variables and arg.sub is None and not arg.star:
                    return _at(m, scope, arg.base, _show(head))
                # f_0(1 - D): a density of (1 - D) means nothing here; it is juxtaposition
                return _eval(t.mul(head, arg), scope)
            if len(args) == 1 and (m in ("e", "pi") or head.base in scope.variables):
                return _eval(t.mul(head, args[0]), scope)  # x(1 - x) is a product
            raise EvalError(f"unknown function {_show(head)}")
        case t.Call(func=func, arg=arg, base=base):
            a = _eval(arg, scope)
            if func == "log":
                out = np.log(a.data)
                if base is not None:
                    b = _eval(base, scope)
                    a = Value(a.data, _combine(a, b))
                    out = out / np.log(b.data)
            elif func == "exp":
                out = np.exp(a.data)
            else:
                out = np.sqrt(a.data)
            return Value(out, a.domain)
        case t.Add(terms=terms):
            values = [_eval(term, scope) for term in terms]
            domain = _combine(*values)
            out = values[0].data
            for v in values[1:]:
                out = out + v.data
            return Value(out, domain)
        case t.Neg(arg=arg):
            a = _eval(arg, scope)
            return Value(-a.data, a.domain)
        case t.Mul(factors=factors):
            values = [_eval(f, scope) for f in factors]
            domain = _combine(*values)
            out = values[0].data
            for v in values[1:]:
                out = out * v.data
            return Value(out, domain)
        case t.Div(num=num, den=den):
            a, b = _eval(num, scope), _eval(den, scope)
            domain = _combine(a, b)
            return Value(a.data / b.data, domain)
        case t.Pow(base=base, exp=exp):
            a, b = _eval(base, scope), _eval(exp, scope)
            domain = _combine(a, b)
            return Value(np.power(a.data, b.data), domain)
        case t.Expect(dist=dist, var=var, body=body):
            inner = scope.bind(var)
            q = _eval(dist, inner)
            if q.domain != "grid":
                raise EvalError("an expectation must be over a density such as p_0 or p_1")
            mass = np.sum(grid().weights * q.data, axis=1)
            if not np.allclose(mass, 1.0, atol=1e-6):
                raise EvalError(f"the expectation is over {_show(dist)}, which is not a probability density")
            g = _eval(body, inner)
            if g.domain not in (None, "grid"):
                raise EvalError("the expectation's inside uses another variable than the one it averages over")
            return Value(np.sum(grid().weights * q.data * g.data, axis=1, keepdims=True), None)
        case t.Integral(body=body, var=var, lower=lower, upper=upper):
            if lower not in (None, t.neg(t.INFINITY)) or upper not in (None, t.INFINITY):
                raise EvalError("only integrals over the whole real line are read (\\int_{-\\infty}^{\\infty})")
            inner = scope.bind(var)
            g = _eval(body, inner)
            if g.domain not in (None, "grid"):
                raise EvalError("the integral's inside uses another variable than the one it integrates over")
            return Value(np.sum(grid().weights * np.broadcast_to(g.data, grid().x.shape), axis=1, keepdims=True), None)
        case t.Divergence(name=name, args=args):
            inner = scope.bind("x")
            if args:
                a, b = (_eval(arg, inner) for arg in args)
                if a.domain != "grid" or b.domain != "grid":
                    raise EvalError(f"{name} is taken between two densities, such as {name}(p_0 \\| p_1)")
                a_data, b_data = np.broadcast_to(a.data, grid().x.shape), np.broadcast_to(b.data, grid().x.shape)
            else:
                if name != "JSD":
                    raise EvalError("KL needs its two distributions, as in KL(p_0 \\| \\mu)")
                a_data, b_data = grid().p0, grid().p1
            w = grid().weights
            if name == "KL":
                out = np.sum(w * a_data * np.log(a_data / b_data), axis=1, keepdims=True)
            else:
                m = (a_data + b_data) / 2
                inside = a_data * np.log(a_data / m) + b_data * np.log(b_data / m)
                out = 0.5 * np.sum(w * inside, axis=1, keepdims=True)
            return Value(out, None)
    raise EvalError(f"cannot evaluate {type(node).__name__}")


def _show(node: t.Node) -> str:
    return to_plain(node)


def describe_pair(index: int) -> str:
    a, b = PAIRS[index]
    return f"p0 = {a}, p1 = {b}"
