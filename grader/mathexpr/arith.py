"""Arithmetic on values over test cases: numbers, vectors (columns), matrices, and sets of them.

A Value is an array (cases, points, *shape); a SetValue holds several (1 ± iα). Sums need equal
shapes (I stands for the identity of the matrices it is added to); products multiply matrices
(and take the dot product of two vectors side by side); |A| of a square matrix is its
determinant. Anything else raises EvalError with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.mathexpr.cases import EvalError


@dataclass(frozen=True)
class Value:
    data: np.ndarray  # (cases, points, *shape)
    domain: str | None  # the bound variable's points it depends on; None: constant in them
    identity: bool = False  # I: 1, or the identity matrix of the shape it is added to

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape[2:]


@dataclass(frozen=True)
class SetValue:
    items: tuple[Value, ...]


def scalar(v: Value) -> bool:
    return v.data.ndim == 2


def combine(*values: Value) -> str | None:
    domains = {v.domain for v in values if v.domain is not None}
    if len(domains) > 1:
        raise EvalError("the expression mixes two variables (x outside and inside an expectation?)")
    return domains.pop() if domains else None


def lift(fn, *values):
    """Apply fn to values, one set element at a time (a set in, a set out: 1 ± iα + 1 is a set)."""
    return lift_all(lambda vs: fn(*vs), list(values))


def lift_all(fn, values: list):
    """Like lift for a list of operands; sets multiply out."""
    for i, v in enumerate(values):
        if isinstance(v, SetValue):
            items = []
            for item in v.items:
                out = lift_all(fn, values[:i] + [item] + values[i + 1:])
                items.extend(out.items if isinstance(out, SetValue) else [out])
            return SetValue(tuple(items))
    return fn(values)


def expand(data: np.ndarray, ndim: int) -> np.ndarray:
    """A number's (cases, points) array broadcast against a vector or matrix."""
    return data.reshape(data.shape + (1,) * ndim)


def add(values: list[Value]) -> Value:
    square = next((v.shape for v in values if not scalar(v) and v.shape[0] == v.shape[1]), None)
    if square is not None:  # I + αJ: the identity of the matrices it is added to
        values = [Value(v.data[..., None, None] * np.eye(square[0]), v.domain) if v.identity else v for v in values]
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        raise EvalError("the expression adds a number, a vector or a matrix of different shapes")
    domain = combine(*values)
    out = values[0].data
    for v in values[1:]:
        out = out + v.data
    return Value(out, domain)


def mul(values: list[Value]) -> Value:
    domain = combine(*values)
    acc = values[0].data
    for v in values[1:]:
        b = v.data
        if acc.ndim == 2 or b.ndim == 2:
            if acc.ndim == 2 and b.ndim > 2:
                acc = expand(acc, b.ndim - 2)
            elif b.ndim == 2 and acc.ndim > 2:
                b = expand(b, acc.ndim - 2)
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


def _elementwise(func: str, a: Value, imaginary: bool) -> Value:
    if not scalar(a):
        raise EvalError(f"{func} of a vector or matrix is not read (only of a number)")
    x = a.data
    if imaginary and func not in ("re", "im"):
        x = x.astype(complex)  # with an imaginary unit, log(−1) and √−1 are numbers
    table = {"log": np.log, "exp": np.exp, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan,
             "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arcsin": np.arcsin, "arccos": np.arccos,
             "arctan": np.arctan, "re": np.real, "im": np.imag}
    if func in ("log", "sqrt") and not np.iscomplexobj(x):
        x = np.where(x < 0, np.nan, x)  # real answers: undefined, not a complex number
    return Value(table[func](x), a.domain)


def call(func: str, a: Value, imaginary: bool = False) -> Value:
    if func == "abs":
        if not scalar(a):  # |A| of a square matrix is its determinant; |x| of a vector, its length
            return call("det", a, imaginary) if a.shape[0] == a.shape[1] > 1 else norm(a, None)
        return Value(np.abs(a.data), a.domain)
    if func in ("det", "tr"):
        if scalar(a) or a.shape[0] != a.shape[1]:
            raise EvalError(f"{func} is taken of a square matrix")
        return Value(np.linalg.det(a.data) if func == "det" else np.trace(a.data, axis1=-2, axis2=-1), a.domain)
    if func in ("max", "min"):
        if scalar(a):
            return a
        if np.iscomplexobj(a.data):
            raise EvalError(f"{func} of complex numbers")
        reduce = np.max if func == "max" else np.min
        return Value(reduce(a.data, axis=(-2, -1)), a.domain)
    return _elementwise(func, a, imaginary)


def power(base: Value, e: Value) -> Value:
    if not scalar(e):
        raise EvalError("an exponent must be a number")
    domain = combine(base, e)
    if scalar(base):
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


def matrix(items: list[Value], rows: int) -> Value:
    if any(not scalar(v) for v in items):
        raise EvalError("the entries of a matrix or a tuple must be numbers")
    domain = combine(*items)
    cols = len(items) // rows
    data = np.stack([np.broadcast_to(v.data, np.broadcast_shapes(*(w.data.shape for w in items))) for v in items], axis=-1)
    return Value(data.reshape(data.shape[:2] + (rows, cols)), domain)


def norm(a: Value, sub: str | None) -> Value:
    if scalar(a):
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
