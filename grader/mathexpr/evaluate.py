"""Numbers for an expression tree on the test cases of a context (numpy, deterministic).

Every value is an array over the test cases (axis 0), then over the points of the variable an
expectation, an integral or a sum binds (axis 1, length 1 outside them), then its own shape (none
for a number, (n, 1) for a vector, (n, m) for a matrix). A set (1 ± iα, {a, b}) is a SetValue of
such arrays. What the names mean comes from the context (context.py); the built-in ones are e, π,
the imaginary unit when the context declares it, KL(p ‖ q) between densities and 𝒩(m, v).

    E_{x ~ q}[g]   = Σ q(x) g(x) w(x) on the case's grid (or Gauss-Hermite nodes when q is 𝒩(m, v))
    ∫ g dx         = Σ g(x) w(x) on the grid; ∫_a^b g dx by Gauss-Legendre on [a, b]
    Σ_{j=a}^{b} g  = the terms added one by one (a and b whole numbers, at most MAX_TERMS terms)

Each test family's grid is where all its densities are representable and their log ratios stay
within MAX_LOG_RATIO, and the densities are normalised to sum to one on it: inside that discrete
world every identity between forms of an answer holds to rounding error (E[c] = c, D + (1 − D) = 1),
so the tolerance can be tight. Anything outside the context raises EvalError with the reason.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from grader.mathexpr import tree as t
from grader.mathexpr.context import EMPTY, Context
from grader.mathexpr.printer import to_plain

GRID_POINTS = 2001
LEGENDRE_NODES = 64
HERMITE_NODES = 48
MAX_LOG_RATIO = 18.0
MAX_TERMS = 1000
MAX_EXPANSIONS = 20
DEFAULT_LINE = (-20.0, 20.0)  # the whole line, when no density says where the mass is
_GOLDEN = (math.sqrt(5) - 1) / 2


class EvalError(ValueError):
    """The expression uses something the evaluator does not know; the message says what."""


class TimeLimit(Exception):
    """The check ran out of its time budget."""


@dataclass(frozen=True)
class Value:
    data: np.ndarray  # (cases, points, *shape)
    domain: str | None  # the bound variable's points it depends on; None: constant in them

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape[2:]


@dataclass(frozen=True)
class SetValue:
    items: tuple[Value, ...]


@dataclass
class Domain:
    name: str
    x: np.ndarray  # (cases, points)
    weights: np.ndarray  # (cases, points)
    grid: bool = False  # the test families' grid, where densities are normalised
    densities: dict[str, np.ndarray] = field(default_factory=dict)


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "little")


class Cases:
    """The test cases of a context: which test family, and every random draw, per case."""

    def __init__(self, ctx: Context, pointwise: bool):
        self.ctx = ctx
        self.n = ctx.cases(pointwise)
        per_family = self.n // ctx.families
        self.family = np.arange(self.n) // per_family
        self.variables: dict[str, np.ndarray] = {}
        for name, decl in ctx.variables.items():
            declared = tuple(decl.shape)
            shape = (declared[0], 1) if len(declared) == 1 else declared  # a vector is a column
            if decl.value is not None:
                value = np.asarray(decl.value, dtype=float)
                if value.shape != declared:
                    raise EvalError(f"the value of {name} does not have the declared shape {list(declared)}")
                self.variables[name] = np.broadcast_to(value.reshape(shape), (self.n, 1, *shape))
                continue
            rng = np.random.default_rng(_seed("variable", name))
            lo, hi = decl.range
            if decl.integer:
                draw = rng.integers(math.ceil(lo), math.floor(hi) + 1, size=(self.n, 1, *shape)).astype(float)
            else:
                draw = rng.uniform(lo, hi, size=(self.n, 1, *shape))
            if decl.complex:
                draw = draw + 1j * rng.uniform(lo, hi, size=(self.n, 1, *shape))
            self.variables[name] = draw
        self.free_x = None
        if pointwise:
            if not ctx.densities:
                raise EvalError("a pointwise answer needs the context to declare densities")
            spread = np.sort(np.modf(0.5 + np.arange(1, per_family + 1) * _GOLDEN)[0])
            xs = []
            for f in range(ctx.families):
                members = [fams[f] for fams in ctx.densities.values()]
                lo = min(m.loc - 2 * m.scale for m in members)
                hi = max(m.loc + 2 * m.scale for m in members)
                xs.append(lo + (hi - lo) * spread)
            self.free_x = np.concatenate(xs).reshape(self.n, 1)
        self.random_functions: dict[str, np.ndarray] = {}
        for name, function in ctx.functions.items():
            if function.body is None:
                rng = np.random.default_rng(_seed("function", name))
                # f(t1..tk) = a0 + a1 sin(b1·t + c1) + a2 sin(b2·t + c2): smooth, and different per case
                self.random_functions[name] = rng.uniform(-1.0, 1.0, size=(self.n, 3 + 2 * (len(function.params) + 1)))
        self._grid: Domain | None = None

    def grid(self) -> Domain:
        if self._grid is None:
            xs, ws, dens = [], [], {name: [] for name in self.ctx.densities}
            for f in range(self.ctx.families):
                members = {name: fams[f] for name, fams in self.ctx.densities.items()}
                lo, hi = _interval(list(members.values())) if members else DEFAULT_LINE
                x = np.linspace(lo, hi, GRID_POINTS)
                w = np.full(GRID_POINTS, (hi - lo) / (GRID_POINTS - 1))
                w[0] = w[-1] = w[0] / 2  # trapezoid
                xs.append(x)
                ws.append(w)
                for name, member in members.items():
                    p = np.exp(member.logpdf(x))
                    dens[name].append(p / np.sum(w * p))
            rows = self.family
            self._grid = Domain("grid", np.array(xs)[rows], np.array(ws)[rows], True,
                                {name: np.array(v)[rows] for name, v in dens.items()})
        return self._grid

    def describe(self, index: int) -> str:
        """The test case in words: "p0 = N(0, 1²), p1 = N(1.5, 1²), x = 0.31, α = 0.42"."""
        parts = [f"{self.ctx.written(name)} = {fams[self.family[index]]}" for name, fams in self.ctx.densities.items()]
        if self.free_x is not None:
            parts.append(f"{self.ctx.variable} = {self.free_x[index, 0]:.3g}")
        for name, values in self.variables.items():
            if self.ctx.variables[name].value is None:
                parts.append(f"{self.ctx.written(name)} = {show_value(values[index, 0])}")
        return ", ".join(parts)


def show_value(value) -> str:
    """One case's value for people: 0.5, 1+0.2i, (0, 1), [[1, 2], [3, 4]], {1+i, 1−i}."""
    if isinstance(value, list):
        return "{" + ", ".join(show_value(v) for v in value) + "}"
    array = np.asarray(value)
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    if array.ndim == 1:
        return "(" + ", ".join(show_value(v) for v in array) + ")"
    if array.ndim == 2:
        return "[" + ", ".join("[" + ", ".join(show_value(v) for v in row) + "]" for row in array) + "]"
    z = complex(array)
    if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)):
        return f"{z.real:.4g}".replace("-", "−")
    re_part = "" if abs(z.real) <= 1e-12 else f"{z.real:.4g}"
    sign = "−" if z.imag < 0 else ("+" if re_part else "")
    return f"{re_part}{sign}{abs(z.imag):.4g}i".replace("-", "−")


def _interval(members) -> tuple[float, float]:
    """Where every density is representable and their log ratios stay within MAX_LOG_RATIO."""
    xs = np.linspace(-40.0, 40.0, 8001)
    logs = [m.logpdf(xs) for m in members]
    good = np.all([lp > -600 for lp in logs], axis=0)
    for i in range(len(logs)):
        for j in range(i + 1, len(logs)):
            good &= np.abs(logs[i] - logs[j]) <= MAX_LOG_RATIO
    centre = int(np.argmin(np.abs(xs - np.mean([m.loc for m in members]))))
    bad = np.flatnonzero(~good)
    below, above = bad[bad < centre], bad[bad > centre]  # the run of good points around the centre
    lo = int(below[-1]) + 1 if below.size else 0
    hi = int(above[0]) - 1 if above.size else len(xs) - 1
    return float(xs[lo]), float(xs[hi])


@lru_cache(maxsize=64)
def cases(ctx: Context, pointwise: bool) -> Cases:
    return Cases(ctx, pointwise)


# ------------------------------------------------------------------ what names mean

def symbols_used(node: t.Node, ctx: Context = EMPTY) -> set[str]:
    """The declared names (and built-in KL) an expression refers to."""
    used = set()
    for n in t.walk(node):
        if isinstance(n, t.Sym):
            name = ctx.resolve(n)
            if name is not None:
                used.add(name)
            elif n.base == "KL" and n.sub is None:
                used.add("KL")
    return used


# ------------------------------------------------------------------ evaluation

class _Scope:
    def __init__(self, cases_: Cases, deadline: float, bound: dict[str, Value], default: str | None,
                 domains: dict[str, Domain], expansions: int = 0):
        self.cases = cases_
        self.ctx = cases_.ctx
        self.deadline = deadline
        self.bound = bound  # variables bound by an expectation, integral or sum (and a pointwise x)
        self.default = default  # the variable a bare density or function of x refers to
        self.domains = domains  # every bound variable's points, by name, for this evaluation
        self.expansions = expansions

    def bind(self, var: str, value: Value, default: bool = True) -> _Scope:
        return _Scope(self.cases, self.deadline, {**self.bound, var: value},
                      var if default else self.default, self.domains, self.expansions)

    def expanded(self) -> _Scope:
        if self.expansions >= MAX_EXPANSIONS:
            raise EvalError("the definitions expand into each other without end")
        return _Scope(self.cases, self.deadline, self.bound, self.default, self.domains, self.expansions + 1)


def evaluate(node: t.Node, ctx: Context = EMPTY, pointwise: bool = False, deadline: float | None = None):
    """The values of a tree on every test case: an array (cases, *shape), or a tuple of them for a set."""
    deadline = time.perf_counter() + 5.0 if deadline is None else deadline
    c = cases(ctx, pointwise)
    bound = {}
    if c.free_x is not None:
        bound[ctx.variable] = Value(c.free_x, None)
    scope = _Scope(c, deadline, bound, ctx.variable if pointwise else None, {})
    with np.errstate(all="ignore"):
        value = _eval(node, scope)
    return _finish(value)


def _finish(value):
    if isinstance(value, SetValue):
        return tuple(_finish(item) for item in value.items)
    if value.domain is not None:
        raise EvalError("the expression depends on a variable outside the expectation, integral or sum that binds it")
    return np.array(value.data[:, 0])


def _scalar(v: Value) -> bool:
    return v.data.ndim == 2


def _combine(*values: Value) -> str | None:
    domains = {v.domain for v in values if v.domain is not None}
    if len(domains) > 1:
        raise EvalError("the expression mixes two variables (x outside and inside an expectation?)")
    return domains.pop() if domains else None


def _const(x: complex | float, scope: _Scope) -> Value:
    return Value(np.full((scope.cases.n, 1), x), None)


def _lift(fn, *values):
    """Apply fn to values, one set element at a time (a set in, a set out: 1 ± iα + 1 is a set)."""
    return _lift_all(lambda vs: fn(*vs), list(values))


def _lift_all(fn, values: list):
    """Like _lift for a list of operands; sets multiply out."""
    for i, v in enumerate(values):
        if isinstance(v, SetValue):
            items = []
            for item in v.items:
                out = _lift_all(fn, values[:i] + [item] + values[i + 1:])
                items.extend(out.items if isinstance(out, SetValue) else [out])
            return SetValue(tuple(items))
    return fn(values)


def _expand(data: np.ndarray, ndim: int) -> np.ndarray:
    """A number's (cases, points) array broadcast against a vector or matrix."""
    return data.reshape(data.shape + (1,) * ndim)


def _add(values: list[Value]) -> Value:
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        raise EvalError("the expression adds a number, a vector or a matrix of different shapes")
    domain = _combine(*values)
    out = values[0].data
    for v in values[1:]:
        out = out + v.data
    return Value(out, domain)


def _mul(values: list[Value]) -> Value:
    domain = _combine(*values)
    acc = values[0].data
    for v in values[1:]:
        b = v.data
        if acc.ndim == 2 or b.ndim == 2:
            if acc.ndim == 2 and b.ndim > 2:
                acc = _expand(acc, b.ndim - 2)
            elif b.ndim == 2 and acc.ndim > 2:
                b = _expand(b, acc.ndim - 2)
            acc = acc * b
        elif acc.shape[-1] == b.shape[-2]:
            acc = np.matmul(acc, b)
        elif acc.shape[-2:] == b.shape[-2:] and 1 in acc.shape[-2:]:
            acc = np.sum(acc * b, axis=(-2, -1))  # two vectors side by side: their dot product
        else:
            raise EvalError(f"a {_shape_words(acc)} cannot multiply a {_shape_words(b)}")
        if acc.ndim == 4 and acc.shape[-2:] == (1, 1):
            acc = acc[..., 0, 0]
    return Value(acc, domain)


def _shape_words(data: np.ndarray) -> str:
    if data.ndim == 2:
        return "number"
    n, m = data.shape[-2:]
    return f"vector of {n}" if m == 1 else f"{n}×{m} matrix"


def _elementwise(func: str, a: Value, scope: _Scope) -> Value:
    if not _scalar(a):
        raise EvalError(f"{func} of a vector or matrix is not read (only of a number)")
    x = a.data
    if scope.ctx.imaginary and func not in ("re", "im"):
        x = x.astype(complex)  # with an imaginary unit, log(−1) and √−1 are numbers
    table = {"log": np.log, "exp": np.exp, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan,
             "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arcsin": np.arcsin, "arccos": np.arccos,
             "arctan": np.arctan, "re": np.real, "im": np.imag}
    if func in ("log", "sqrt") and not np.iscomplexobj(x):
        x = np.where(x < 0, np.nan, x)  # real answers: undefined, not a complex number
    return Value(table[func](x), a.domain)


def _call(func: str, a: Value, scope: _Scope) -> Value:
    if func == "abs":
        return Value(np.abs(a.data), a.domain)
    if func in ("det", "tr"):
        if _scalar(a) or a.shape[0] != a.shape[1]:
            raise EvalError(f"{func} is taken of a square matrix")
        return Value(np.linalg.det(a.data) if func == "det" else np.trace(a.data, axis1=-2, axis2=-1), a.domain)
    if func in ("max", "min"):
        if _scalar(a):
            return a
        if np.iscomplexobj(a.data):
            raise EvalError(f"{func} of complex numbers")
        reduce = np.max if func == "max" else np.min
        return Value(reduce(a.data, axis=(-2, -1)), a.domain)
    return _elementwise(func, a, scope)


def _power(base: Value, exponent: t.Node, scope: _Scope) -> Value:
    transpose = exponent == t.TOP or (exponent == t.sym("T") and scope.ctx.resolve(t.sym("T")) is None)
    if transpose:
        return base if _scalar(base) else Value(np.swapaxes(base.data, -1, -2), base.domain)
    e = _eval(exponent, scope)
    if isinstance(e, SetValue):
        return _lift(lambda x: _power_value(base, x), e)
    return _power_value(base, e)


def _power_value(base: Value, e: Value) -> Value:
    if not _scalar(e):
        raise EvalError("an exponent must be a number")
    domain = _combine(base, e)
    if _scalar(base):
        return Value(np.power(base.data, e.data), domain)
    if base.shape[0] != base.shape[1]:
        raise EvalError("only a square matrix has powers")
    exps = np.unique(e.data)
    if exps.size != 1 or float(np.real(exps[0])) != int(np.real(exps[0])) or abs(int(np.real(exps[0]))) > 64:
        raise EvalError("a matrix is raised only to a whole power (A^2, A^{-1})")
    k = int(np.real(exps[0]))
    data = base.data
    if k < 0:
        data = np.linalg.inv(data)
        k = -k
    return Value(np.linalg.matrix_power(data, k), domain)


def _eval(node: t.Node, scope: _Scope):
    if time.perf_counter() > scope.deadline:
        raise TimeLimit()
    match node:
        case t.Num(value=value):
            return _const(float(value), scope)
        case t.Sym():
            return _name(node, scope)
        case t.Apply(head=head, args=args):
            return _apply(head, args, scope)
        case t.Call(func=func, arg=arg, base=base):
            if func in ("max", "min") and isinstance(arg, t.Tuple):
                arg = t.matrix([[item] for item in arg.items])
            a = _eval(arg, scope)
            out = _lift(lambda x: _call(func, x, scope), a)
            if func == "log" and base is not None:
                b = _eval(base, scope)
                out = _lift(lambda x, y: Value(x.data / np.log(y.data), _combine(x, y)), out, b)
            return out
        case t.Add(terms=terms):
            return _lift_all(_add, [_eval(term, scope) for term in terms])
        case t.Neg(arg=arg):
            return _lift(lambda a: Value(-a.data, a.domain), _eval(arg, scope))
        case t.PlusMinus(arg=arg, minus_first=minus_first):
            a = _eval(arg, scope)
            both = _lift(lambda v: SetValue((v, Value(-v.data, v.domain))), a)
            if minus_first and isinstance(both, SetValue):
                both = SetValue(tuple(reversed(both.items)))
            return both
        case t.Mul(factors=factors):
            return _lift_all(_mul, [_eval(f, scope) for f in factors])
        case t.Div(num=num, den=den):
            def divide(a: Value, b: Value) -> Value:
                if not _scalar(b):
                    raise EvalError("division by a vector or a matrix (write the inverse, A^{-1})")
                data_b = b.data if _scalar(a) else _expand(b.data, a.data.ndim - 2)
                return Value(a.data / data_b, _combine(a, b))
            return _lift(divide, _eval(num, scope), _eval(den, scope))
        case t.Pow(base=base, exp=exp):
            return _lift(lambda b: _power(b, exp, scope), _eval(base, scope))
        case t.Norm(arg=arg, sub=sub):
            return _lift(lambda a: _norm(a, sub), _eval(arg, scope))
        case t.Matrix(rows=rows):
            return _lift_all(lambda items: _matrix(items, len(rows)), [_eval(x, scope) for x in node.children()])
        case t.Tuple(items=items):
            return _lift_all(lambda values: _matrix(values, len(values)), [_eval(x, scope) for x in items])
        case t.SetOf(items=items):
            out = []
            for item in items:
                v = _eval(item, scope)
                out.extend(v.items if isinstance(v, SetValue) else [v])
            return SetValue(tuple(out))
        case t.BigOp():
            return _big_op(node, scope)
        case t.Expect(dist=dist, var=var, body=body):
            return _expect(dist, var, body, scope)
        case t.Integral(body=body, var=var, lower=lower, upper=upper):
            return _integral(body, var, lower, upper, scope)
    raise EvalError(f"cannot evaluate {type(node).__name__}")


def _matrix(items: list[Value], rows: int) -> Value:
    if any(not _scalar(v) for v in items):
        raise EvalError("the entries of a matrix or a tuple must be numbers")
    domain = _combine(*items)
    cols = len(items) // rows
    data = np.stack([np.broadcast_to(v.data, np.broadcast_shapes(*(w.data.shape for w in items))) for v in items], axis=-1)
    return Value(data.reshape(data.shape[:2] + (rows, cols)), domain)


def _norm(a: Value, sub: str | None) -> Value:
    if _scalar(a):
        return Value(np.abs(a.data), a.domain)
    data = a.data
    vector = 1 in a.shape
    if vector:
        flat = data.reshape(data.shape[:2] + (-1,))
        order = {None: 2, "2": 2, "1": 1, "\\infty": np.inf}.get(sub)
        if order is None:
            raise EvalError(f"the norm ‖·‖_{sub} is not read")
        return Value(np.linalg.norm(flat, ord=order, axis=-1), a.domain)
    order = {None: "fro", "F": "fro", "2": 2, "1": 1, "\\infty": np.inf}.get(sub)
    if order is None:
        raise EvalError(f"the norm ‖·‖_{sub} is not read")
    return Value(np.linalg.norm(data, ord=order, axis=(-2, -1)), a.domain)


def _show(node: t.Node) -> str:
    return to_plain(node)


def _name(node: t.Sym, scope: _Scope):
    ctx = scope.ctx
    plain = node.sub is None and not node.star and node.accent is None
    if plain and node.base in scope.bound:
        return scope.bound[node.base]
    name = ctx.resolve(node)
    if name is None:
        indexed = _indexed(node, scope)
        if indexed is not None:
            return indexed
        if plain and node.base == "e":
            return _const(math.e, scope)
        if plain and node.base == "\\pi":
            return _const(math.pi, scope)
        if plain and ctx.imaginary and node.base == ctx.imaginary:
            return _const(1j, scope)
        if plain and node.base == "\\infty":
            raise EvalError("∞ appears outside the bounds of an integral")
        if plain and node.base == ctx.variable:
            raise EvalError(f"{node.base} appears outside any expectation or integral")
        raise EvalError(f"unknown symbol {_show(node)}")
    kind = ctx.kind_of(name)
    if kind == "variable":
        return Value(np.asarray(scope.cases.variables[name]), None)
    if kind == "density":
        return _density(name, None, scope, _show(node))
    function = ctx.functions[name]
    if function.default_args:
        return _apply_function(function, function.default_args, scope)
    if len(function.params) == 1 and function.params[0] == t.sym(ctx.variable):
        return _apply_function(function, (t.sym(_default_var(scope, _show(node))),), scope)
    raise EvalError(f"{_show(node)} is a function: write its arguments, {_show(node)}(…)")


def _default_var(scope: _Scope, shown: str) -> str:
    if scope.default is None or scope.default not in scope.bound:
        raise EvalError(f"{shown} appears outside any expectation or integral")
    return scope.default


def _indexed(node: t.Sym, scope: _Scope) -> Value | None:
    """w_j, w_{10}, A_{ij}, A_{1,2}: an entry of a declared vector or matrix (1-based)."""
    if node.sub is None or node.star:
        return None
    name = scope.ctx.resolve(t.sym(node.base, None, False, node.accent))
    if name is None or scope.ctx.kind_of(name) != "variable":
        return None
    whole = np.asarray(scope.cases.variables[name])
    n, m = whole.shape[2:] if whole.ndim == 4 else (0, 0)
    if not n:
        return None
    sub = node.sub
    if 1 in (n, m):
        labels = [sub] if sub.isdigit() or len(sub) == 1 else []
    else:
        labels = sub.split(",") if "," in sub else (list(sub) if len(sub) == 2 else [])
    if not labels:
        return None
    picks = []
    for label in labels:
        if label.isdigit():
            picks.append(np.full((scope.cases.n, 1), int(label)))
        elif label in scope.bound and scope.bound[label].domain is None and _scalar(scope.bound[label]):
            picks.append(np.real(scope.bound[label].data).astype(int))
        else:
            return None
    limits = (max(n, m),) if len(picks) == 1 else (n, m)
    for p, limit in zip(picks, limits):
        if np.any(p < 1) or np.any(p > limit):
            raise EvalError(f"{_show(node)}: an index falls outside 1..{limit}")
    rows = np.arange(scope.cases.n)
    if len(picks) == 1:
        flat = whole.reshape(scope.cases.n, whole.shape[1], -1)[:, 0]
        out = flat[rows, picks[0][:, 0] - 1]
    else:
        out = whole[rows, 0, picks[0][:, 0] - 1, picks[1][:, 0] - 1]
    return Value(out.reshape(-1, 1), None)


def _density(name: str, var: str | None, scope: _Scope, shown: str) -> Value:
    var = var or _default_var(scope, shown)
    at = scope.bound[var]
    domain = scope.domains.get(at.domain) if at.domain else None
    if domain is not None and domain.grid:
        return Value(domain.densities[name], domain.name)
    families = scope.ctx.densities[name]
    x = at.data
    out = np.empty_like(x, dtype=float)
    for f in range(scope.ctx.families):
        rows = scope.cases.family == f
        out[rows] = np.exp(families[f].logpdf(np.real(x[rows])))
    return Value(out, at.domain)


def _apply(head: t.Sym, args: tuple[t.Node, ...], scope: _Scope):
    ctx = scope.ctx
    name = ctx.resolve(head)
    simple_var = len(args) == 1 and isinstance(args[0], t.Sym) and args[0].sub is None and not args[0].star \
        and args[0].accent is None and args[0].base in scope.bound
    if name is None:
        if head.base == "KL" and head.sub is None:
            return _kl(args, scope)
        if head.base == "\\mathcal{N}":
            return _normal_density(args, scope)
        if len(args) == 1 and (head.base in scope.bound or head.base in ("e", "\\pi") or head.base == ctx.imaginary):
            return _eval(t.mul(head, args[0]), scope)  # x(1 - x) is a product
        raise EvalError(f"unknown function {_show(head)}")
    kind = ctx.kind_of(name)
    if kind == "variable":
        if len(args) != 1:
            raise EvalError(f"{_show(head)} is not a function")
        return _eval(t.mul(head, args[0]), scope)  # α(1 - α): a product
    if kind == "density":
        if simple_var:
            return _density(name, args[0].base, scope, _show(head))
        if len(args) != 1:
            raise EvalError(f"{_show(head)} takes one argument, the variable {ctx.variable}")
        return _eval(t.mul(head, args[0]), scope)  # f_0(1 - D): juxtaposition, not a density of (1 - D)
    function = ctx.functions[name]
    of_variable = len(function.params) == 1 and function.params[0] == t.sym(ctx.variable)
    if of_variable and not simple_var and function.body is not None:
        if len(args) != 1:
            raise EvalError(f"{_show(head)} takes one argument, the variable {ctx.variable}")
        return _eval(t.mul(head, args[0]), scope)  # D(1 - D): a product, as students mean it
    if len(args) != len(function.params):
        raise EvalError(f"{_show(head)} takes {len(function.params)} argument(s)")
    return _apply_function(function, args, scope)


def _apply_function(function, args: tuple[t.Node, ...], scope: _Scope):
    if function.body is not None:
        inner = scope.expanded()
        return _eval(t.substitute(function.body, dict(zip(function.params, args))), inner)
    values = [_eval(a, scope) for a in args]
    params = scope.cases.random_functions[function.name]

    def random_function(vs: list[Value]) -> Value:
        if any(not _scalar(v) for v in vs):
            raise EvalError(f"{function.name} takes numbers")
        domain = _combine(*vs)
        k = len(vs)
        a0, a1, a2 = (params[:, i:i + 1] for i in range(3))
        b = params[:, 3:3 + k + 1]
        phase1 = sum(b[:, i:i + 1] * np.real(v.data) for i, v in enumerate(vs)) + b[:, k:k + 1]
        c = params[:, 3 + k + 1:]
        phase2 = sum(c[:, i:i + 1] * 2 * np.real(v.data) for i, v in enumerate(vs)) + c[:, k:k + 1]
        out = a0 + a1 * np.sin(phase1) + 0.5 * a2 * np.sin(phase2)
        return Value(np.exp(out) if function.positive else out, domain)
    return _lift_all(random_function, values)


def _kl(args: tuple[t.Node, ...], scope: _Scope) -> Value:
    if len(args) != 2:
        raise EvalError("KL needs its two distributions, as in KL(p_0 \\| \\mu)")
    if not scope.ctx.densities:
        raise EvalError("KL is taken between densities, and this question declares none")
    inner = _bind_grid(scope, scope.ctx.variable)
    a, b = (_eval(arg, inner) for arg in args)
    if isinstance(a, SetValue) or isinstance(b, SetValue) or a.domain != "grid" or b.domain != "grid":
        raise EvalError("KL is taken between two densities, such as KL(p_0 \\| p_1)")
    grid = scope.domains["grid"]
    out = np.sum(grid.weights * a.data * np.log(a.data / b.data), axis=1, keepdims=True)
    return Value(out, None)


def _normal_density(args: tuple[t.Node, ...], scope: _Scope) -> Value:
    if len(args) != 2:
        raise EvalError("𝒩 takes a mean and a variance: 𝒩(μ, σ²)")
    var = _default_var(scope, "𝒩(…)")
    x = scope.bound[var]
    m, v = (_eval(a, scope) for a in args)
    if isinstance(m, SetValue) or isinstance(v, SetValue) or not (_scalar(m) and _scalar(v)):
        raise EvalError("𝒩 takes a mean and a variance that are numbers")
    domain = _combine(x, m, v)
    data = np.exp(-0.5 * (x.data - m.data) ** 2 / v.data) / np.sqrt(2 * np.pi * v.data)
    return Value(data, domain)


def _bind_grid(scope: _Scope, var: str) -> _Scope:
    grid = scope.cases.grid()
    scope.domains["grid"] = grid
    return scope.bind(var, Value(grid.x, "grid"))


def _bind_nodes(scope: _Scope, var: str, x: np.ndarray, w: np.ndarray) -> _Scope:
    name = f"nodes{len(scope.domains)}"
    scope.domains[name] = Domain(name, x, w)
    return scope.bind(var, Value(x, name))


def _outer(value, what: str) -> np.ndarray:
    if isinstance(value, SetValue) or not _scalar(value) or value.domain is not None:
        raise EvalError(f"{what} must be a number that does not depend on the variable it binds")
    return np.real(value.data)


def _reduce(domain: Domain, q: np.ndarray | None, g: Value, what: str) -> Value:
    if g.domain not in (None, domain.name):
        raise EvalError(f"the {what}'s inside uses another variable than the one it binds")
    weights = domain.weights if q is None else domain.weights * q
    data = g.data
    if data.ndim > 2:
        weights = _expand(weights, data.ndim - 2)
    shape = np.broadcast_shapes(weights.shape, data.shape)
    return Value(np.sum(np.broadcast_to(weights, shape) * np.broadcast_to(data, shape), axis=1, keepdims=True), None)


def _expect(dist: t.Node, var: str, body: t.Node, scope: _Scope):
    if isinstance(dist, t.Apply) and dist.head.base == "\\mathcal{N}" and scope.ctx.resolve(dist.head) is None \
            and len(dist.args) == 2:
        m, v = (_outer(_eval(a, scope), "the mean and variance of 𝒩") for a in dist.args)
        if np.any(v <= 0):
            raise EvalError("the variance of 𝒩 must be positive")
        nodes, weights = np.polynomial.hermite.hermgauss(HERMITE_NODES)
        x = m + np.sqrt(2 * v) * nodes.reshape(1, -1)
        inner = _bind_nodes(scope, var, x, np.broadcast_to(weights / math.sqrt(math.pi), x.shape))
        return _lift(lambda g: _reduce(inner.domains[inner.bound[var].domain], None, g, "expectation"),
                     _eval(body, inner))
    if not scope.ctx.densities:
        raise EvalError("an expectation is taken over a declared density or 𝒩(μ, σ²), and this question declares no density")
    inner = _bind_grid(scope, var)
    grid = scope.domains["grid"]
    q = _eval(dist, inner)
    if isinstance(q, SetValue) or q.domain != "grid":
        raise EvalError("an expectation must be over a density such as p_0 or p_1")
    mass = np.sum(grid.weights * q.data, axis=1)
    if not np.allclose(mass, 1.0, atol=1e-6):
        raise EvalError(f"the expectation is over {_show(dist)}, which is not a probability density")
    return _lift(lambda g: _reduce(grid, q.data, g, "expectation"), _eval(body, inner))


def _integral(body: t.Node, var: str, lower, upper, scope: _Scope):
    whole = lower in (None, t.neg(t.INFINITY)) and upper in (None, t.INFINITY)
    if whole:
        inner = _bind_grid(scope, var)
        grid = scope.domains["grid"]
        return _lift(lambda g: _reduce(grid, None, g, "integral"), _eval(body, inner))
    if lower is None or upper is None or t.INFINITY in (lower, upper) or t.neg(t.INFINITY) in (lower, upper):
        raise EvalError("an integral has both bounds finite, or runs over the whole line")
    a = _outer(_eval(lower, scope), "an integral's bound")
    b = _outer(_eval(upper, scope), "an integral's bound")
    nodes, weights = np.polynomial.legendre.leggauss(LEGENDRE_NODES)
    x = (b - a) / 2 * nodes.reshape(1, -1) + (a + b) / 2
    w = (b - a) / 2 * weights.reshape(1, -1)
    inner = _bind_nodes(scope, var, x, w)
    domain = inner.domains[inner.bound[var].domain]
    return _lift(lambda g: _reduce(domain, None, g, "integral"), _eval(body, inner))


def _big_op(node: t.BigOp, scope: _Scope):
    lo = _outer(_eval(node.lower, scope), "a sum's bound")
    hi = _outer(_eval(node.upper, scope), "a sum's bound")
    if not (np.all(lo == np.round(lo)) and np.all(hi == np.round(hi))):
        raise EvalError("the bounds of a sum or product must be whole numbers")
    start, stop = int(np.min(lo)), int(np.max(hi))
    if stop - start + 1 > MAX_TERMS:
        raise EvalError(f"a sum or product of more than {MAX_TERMS} terms is not evaluated")
    total = None
    for j in range(start, stop + 1):
        inner = scope.bind(node.var, _const(float(j), scope), default=False)
        term = _eval(node.body, inner)
        inside = (lo <= j) & (j <= hi)  # (cases, 1): this term counts in these cases

        def masked(v: Value) -> Value:
            keep = inside if _scalar(v) else _expand(inside, v.data.ndim - 2)
            neutral = 0.0 if node.op == "sum" else 1.0
            return Value(np.where(keep, v.data, neutral), v.domain)
        term = _lift(masked, term)
        if total is None:
            total = term
        elif node.op == "sum":
            total = _lift_all(_add, [total, term])
        else:
            total = _lift_all(_mul, [total, term])
    if total is None:
        return _const(0.0 if node.op == "sum" else 1.0, scope)
    return total
