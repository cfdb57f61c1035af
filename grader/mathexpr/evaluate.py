"""Numbers for an expression tree on the test cases of a context (numpy, deterministic).

Every value is an array over the test cases (axis 0), then over the points of the variable an
expectation, an integral or a sum binds (axis 1, length 1 outside them), then its own shape (none
for a number, (n, 1) for a vector, (n, m) for a matrix). A set (1 ± iα, {a, b}) is a SetValue of
such arrays. What the names mean comes from the context (context.py); the built-in ones are e, π,
the imaginary unit when the context declares it, KL(p ‖ q) between densities and 𝒩(m, v).

    E_{x ~ q}[g]   = Σ q(x) g(x) w(x) on the case's grid (or Gauss-Hermite nodes when q is 𝒩(m, v))
    ∫ g dx         = Σ g(x) w(x) on the grid; ∫_a^b g dx by Gauss-Legendre on [a, b]
    Σ_{j=a}^{b} g  = the terms added one by one (a and b whole numbers, at most MAX_TERMS terms)

The test cases and their grids are in cases.py, the arithmetic of values of every shape in
arith.py. Anything outside the context raises EvalError with the reason.
"""

from __future__ import annotations

import math
import time

import numpy as np

from grader.mathexpr import tree as t
from grader.mathexpr.arith import (SetValue, Value, add, call, combine, expand, lift, lift_all, matrix, mul,
                                   norm, power, scalar)
from grader.mathexpr.cases import Cases, Domain, EvalError, cases, show_value  # noqa: F401 (re-exported)
from grader.mathexpr.context import EMPTY, Context
from grader.mathexpr.printer import to_plain

LEGENDRE_NODES = 64
HERMITE_NODES = 48
MAX_TERMS = 1000
MAX_EXPANSIONS = 20


class TimeLimit(Exception):
    """The check ran out of its time budget."""


def symbols_used(node: t.Node, ctx: Context = EMPTY) -> set[str]:
    """The declared names (and built-in KL) an expression refers to."""
    used = set()
    for n in t.walk(node):
        if isinstance(n, t.Sym):
            name = ctx.resolve(n)
            if name is None and n.sub is not None:  # w_j: an entry of the declared vector w
                name = ctx.resolve(t.sym(n.base, None, n.star, n.accent))
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
    data = np.array(value.data[:, 0])
    if np.iscomplexobj(data) and np.all(np.abs(data.imag) <= 1e-13 * np.maximum(1.0, np.abs(data.real))):
        data = data.real  # real after all (a context with i computes in complex numbers)
    return data


def _const(x: complex | float, scope: _Scope) -> Value:
    return Value(np.full((scope.cases.n, 1), x), None)


def _power(base: Value, exponent: t.Node, scope: _Scope) -> Value:
    transpose = exponent == t.TOP or (exponent == t.sym("T") and scope.ctx.resolve(t.sym("T")) is None)
    if transpose:
        return base if scalar(base) else Value(np.swapaxes(base.data, -1, -2), base.domain)
    e = _eval(exponent, scope)
    if isinstance(e, SetValue):
        return lift(lambda x: power(base, x), e)
    return power(base, e)


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
            out = lift(lambda x: call(func, x, bool(scope.ctx.imaginary)), a)
            if func == "log" and base is not None:
                b = _eval(base, scope)
                out = lift(lambda x, y: Value(x.data / np.log(y.data), combine(x, y)), out, b)
            return out
        case t.Add(terms=terms):
            return lift_all(add, [_eval(term, scope) for term in terms])
        case t.Neg(arg=arg):
            return lift(lambda a: Value(-a.data, a.domain), _eval(arg, scope))
        case t.PlusMinus(arg=arg, minus_first=minus_first):
            a = _eval(arg, scope)
            both = lift(lambda v: SetValue((v, Value(-v.data, v.domain))), a)
            if minus_first and isinstance(both, SetValue):
                both = SetValue(tuple(reversed(both.items)))
            return both
        case t.Mul(factors=factors):
            return lift_all(mul, [_eval(f, scope) for f in factors])
        case t.Div(num=num, den=den):
            def divide(a: Value, b: Value) -> Value:
                if not scalar(b):
                    raise EvalError("division by a vector or a matrix (write the inverse, A^{-1})")
                data_b = b.data if scalar(a) else expand(b.data, a.data.ndim - 2)
                return Value(a.data / data_b, combine(a, b))
            return lift(divide, _eval(num, scope), _eval(den, scope))
        case t.Pow(base=base, exp=exp):
            return lift(lambda b: _power(b, exp, scope), _eval(base, scope))
        case t.Norm(arg=arg, sub=sub):
            return lift(lambda a: norm(a, sub), _eval(arg, scope))
        case t.Matrix(rows=rows):
            return lift_all(lambda items: matrix(items, len(rows)), [_eval(x, scope) for x in node.children()])
        case t.Tuple(items=items):
            return lift_all(lambda values: matrix(values, len(values)), [_eval(x, scope) for x in items])
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
        if plain and node.base == "I":
            return Value(np.ones((scope.cases.n, 1)), None, identity=True)
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
        elif label in scope.bound and scope.bound[label].domain is None and scalar(scope.bound[label]):
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
        if any(not scalar(v) for v in vs):
            raise EvalError(f"{function.name} takes numbers")
        domain = combine(*vs)
        k = len(vs)
        a0, a1, a2 = (params[:, i:i + 1] for i in range(3))
        b = params[:, 3:3 + k + 1]
        phase1 = sum(b[:, i:i + 1] * np.real(v.data) for i, v in enumerate(vs)) + b[:, k:k + 1]
        c = params[:, 3 + k + 1:]
        phase2 = sum(c[:, i:i + 1] * 2 * np.real(v.data) for i, v in enumerate(vs)) + c[:, k:k + 1]
        out = a0 + a1 * np.sin(phase1) + 0.5 * a2 * np.sin(phase2)
        return Value(np.exp(out) if function.positive else out, domain)
    return lift_all(random_function, values)


def _kl(args: tuple[t.Node, ...], scope: _Scope) -> Value:
    if len(args) != 2:
        raise EvalError("KL needs its two distributions, as in KL(p_0 \\| \\mu)")
    inner = _bind_grid(scope, scope.ctx.variable)
    a, b = (_eval(arg, inner) for arg in args)
    if isinstance(a, SetValue) or isinstance(b, SetValue) or a.domain != "grid" or b.domain != "grid":
        raise EvalError("KL is taken between two densities, such as KL(p_0 \\| p_1)")
    grid = scope.domains["grid"]
    a_data, b_data = np.broadcast_arrays(a.data, b.data)
    inside = np.where(a_data > 0, a_data * np.log(np.where(a_data > 0, a_data, 1.0) / b_data), 0.0)  # 0 log 0 = 0
    return Value(np.sum(grid.weights * inside, axis=1, keepdims=True), None)


def _normal_density(args: tuple[t.Node, ...], scope: _Scope) -> Value:
    if len(args) != 2:
        raise EvalError("𝒩 takes a mean and a variance: 𝒩(μ, σ²)")
    var = _default_var(scope, "𝒩(…)")
    x = scope.bound[var]
    m, v = (_eval(a, scope) for a in args)
    if isinstance(m, SetValue) or isinstance(v, SetValue) or not (scalar(m) and scalar(v)):
        raise EvalError("𝒩 takes a mean and a variance that are numbers")
    domain = combine(x, m, v)
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
    if isinstance(value, SetValue) or not scalar(value) or value.domain is not None:
        raise EvalError(f"{what} must be a number that does not depend on the variable it binds")
    return np.real(value.data)


def _reduce(domain: Domain, q: np.ndarray | None, g: Value, what: str) -> Value:
    if g.domain not in (None, domain.name):
        raise EvalError(f"the {what}'s inside uses another variable than the one it binds")
    weights = domain.weights if q is None else domain.weights * q
    data = g.data
    if data.ndim > 2:
        weights = expand(weights, data.ndim - 2)
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
        return lift(lambda g: _reduce(inner.domains[inner.bound[var].domain], None, g, "expectation"),
                     _eval(body, inner))
    inner = _bind_grid(scope, var)
    grid = scope.domains["grid"]
    q = _eval(dist, inner)
    if isinstance(q, SetValue) or q.domain != "grid":
        raise EvalError("an expectation must be over a density such as p_0 or p_1")
    mass = np.sum(grid.weights * q.data, axis=1)
    if not np.allclose(mass, 1.0, atol=1e-6):
        raise EvalError(f"the expectation is over {_show(dist)}, which is not a probability density")
    return lift(lambda g: _reduce(grid, q.data, g, "expectation"), _eval(body, inner))


def _integral(body: t.Node, var: str, lower, upper, scope: _Scope):
    whole = lower in (None, t.neg(t.INFINITY)) and upper in (None, t.INFINITY)
    if whole:
        inner = _bind_grid(scope, var)
        grid = scope.domains["grid"]
        return lift(lambda g: _reduce(grid, None, g, "integral"), _eval(body, inner))
    if lower is None or upper is None or t.INFINITY in (lower, upper) or t.neg(t.INFINITY) in (lower, upper):
        raise EvalError("an integral has both bounds finite, or runs over the whole line")
    a = _outer(_eval(lower, scope), "an integral's bound")
    b = _outer(_eval(upper, scope), "an integral's bound")
    nodes, weights = np.polynomial.legendre.leggauss(LEGENDRE_NODES)
    x = (b - a) / 2 * nodes.reshape(1, -1) + (a + b) / 2
    w = (b - a) / 2 * weights.reshape(1, -1)
    inner = _bind_nodes(scope, var, x, w)
    domain = inner.domains[inner.bound[var].domain]
    return lift(lambda g: _reduce(domain, None, g, "integral"), _eval(body, inner))


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
            keep = inside if scalar(v) else expand(inside, v.data.ndim - 2)
            neutral = 0.0 if node.op == "sum" else 1.0
            return Value(np.where(keep, v.data, neutral), v.domain)
        term = lift(masked, term)
        if total is None:
            total = term
        elif node.op == "sum":
            total = lift_all(add, [total, term])
        else:
            total = lift_all(mul, [total, term])
    if total is None:
        return _const(0.0 if node.op == "sum" else 1.0, scope)
    return total
