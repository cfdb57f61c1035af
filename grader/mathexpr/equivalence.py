"""Is the student's expression the key? Decided numerically, on the test cases of a context.

Both trees are evaluated on every test case (evaluate.py): numbers, complex numbers, vectors,
matrices, or sets of them (compared without order). Equal values on all cases (to a tight
tolerance) is equivalence; a match with one of the rubric's declared mistakes names that mistake;
otherwise, for real numbers, the generic relations a TA would look for are tried: off by an
additive constant, by a sign, by a factor, 1 − the key, the reciprocal. Constants and factors are
named when recognisable (log 2, 2, ½...). A set answer that holds only some of the key's values,
or a value of another shape, is said so.

Verdicts are cached per (answer tree, key tree, mistakes, context, settings): an answer written
the same way by many students, after normalisation, is checked once per process.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from grader.mathexpr import tree as t
from grader.mathexpr.context import EMPTY, Context
from grader.mathexpr.evaluate import EvalError, TimeLimit, cases, evaluate, show_value, symbols_used

VerdictKind = Literal["equivalent", "mistake", "constant", "sign", "factor", "affine", "one_minus",
                      "reciprocal", "some_values", "shape", "different", "undefined", "error", "timeout"]

_LOG2 = math.log(2.0)
# Constants and factors worth naming, with how to say them.
NAMED = ((_LOG2, "log 2"), (2 * _LOG2, "log 4"), (_LOG2 / 2, "½ log 2"), (1.0, "1"), (0.5, "½"),
         (2.0, "2"), (4.0, "4"), (0.25, "¼"), (1 / _LOG2, "1/log 2"), (3.0, "3"), (1 / 3, "⅓"))


def name_of(value: float) -> str:
    """'log 2', '−½', or the number itself when it is not a recognisable constant."""
    for constant, name in NAMED:
        for sign, prefix in ((1, ""), (-1, "−")):
            if math.isclose(value, sign * constant, rel_tol=1e-6, abs_tol=1e-9):
                return prefix + name
    return f"{value:.4g}".replace("-", "−")


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    mistake: int | None = None  # index of the declared mistake matched
    a: float | None = None  # answer ≈ a · key + b
    b: float | None = None
    detail: str = ""  # the reason for error/undefined/different, in words
    sample: tuple[str, ...] = ()  # (the test case in words, the answer's value, the key's value)
    seconds: float = 0.0


Values = np.ndarray | tuple  # (cases, *shape), or a tuple of them for a set


@lru_cache(maxsize=512)
def cached_values(node: t.Node, ctx: Context = EMPTY, pointwise: bool = False) -> Values | EvalError:
    """Values of a key or a declared mistake (the rubric's, trusted): cached for the process."""
    try:
        return evaluate(node, ctx, pointwise, deadline=time.perf_counter() + 5.0)
    except EvalError as exc:
        return exc


@lru_cache(maxsize=4096)
def problem(node: t.Node, ctx: Context = EMPTY, pointwise: bool = False, time_limit: float = 1.0) -> str | None:
    """Why a student's tree cannot be evaluated (an unknown name, x outside an expectation...)."""
    try:
        evaluate(node, ctx, pointwise, deadline=time.perf_counter() + time_limit)
    except EvalError as exc:
        return str(exc)
    except TimeLimit:
        return f"evaluating it took longer than {time_limit:g} s"
    return None


def _finite(values: Values) -> bool:
    if isinstance(values, tuple):
        return all(_finite(v) for v in values)
    return bool(np.all(np.isfinite(values)))


def key_values(node: t.Node, ctx: Context = EMPTY, pointwise: bool = False) -> Values:
    values = cached_values(node, ctx, pointwise)
    if isinstance(values, EvalError):
        raise values
    if not _finite(values):
        raise EvalError("the expression is undefined on the test cases")
    return values


def _flat(values: np.ndarray) -> np.ndarray:
    """A vector as (cases, n) whichever way it stands; a matrix stays (cases, n, m)."""
    if values.ndim == 3 and 1 in values.shape[1:]:
        return values.reshape(values.shape[0], -1)
    return values


def _close_arrays(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Per case: do a and b agree? (a boolean per case)"""
    a, b = _flat(a), _flat(b)
    if a.shape != b.shape:
        return np.zeros(a.shape[0], dtype=bool)
    ok = np.abs(a - b) <= atol + rtol * np.abs(b)
    return ok.reshape(ok.shape[0], -1).all(axis=1)


def _distinct(items: list[np.ndarray], rtol: float, atol: float) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for item in items:
        if not any(_close_arrays(item[None], kept[None], rtol, atol)[0] for kept in out):
            out.append(item)
    return out


def _same_set_case(s: list[np.ndarray], k: list[np.ndarray], rtol: float, atol: float) -> bool:
    s, k = _distinct(s, rtol, atol), _distinct(k, rtol, atol)
    if len(s) != len(k):
        return False
    left = list(s)
    for item in k:
        hit = next((i for i, x in enumerate(left) if _close_arrays(x[None], item[None], rtol, atol)[0]), None)
        if hit is None:
            return False
        left.pop(hit)
    return True


def _per_case(values: Values, c: int) -> list[np.ndarray]:
    items = values if isinstance(values, tuple) else (values,)
    return [_flat(item)[c] for item in items]


def agree(s: Values, k: Values, rtol: float, atol: float) -> np.ndarray:
    """Per test case, whether the answer's values are the key's (sets without order)."""
    if not isinstance(s, tuple) and not isinstance(k, tuple):
        return _close_arrays(s, k, rtol, atol)
    n = (k[0] if isinstance(k, tuple) else k).shape[0]
    return np.array([_same_set_case(_per_case(s, c), _per_case(k, c), rtol, atol) for c in range(n)])


def _case_value(values: Values, c: int):
    if isinstance(values, tuple):
        return [v[c] for v in values]
    return values[c]


def _sample(s: Values, k: Values, ctx: Context, pointwise: bool, c: int, names: set[str]) -> tuple[str, ...]:
    return (cases(ctx, pointwise).describe(c, names), show_value(_case_value(s, c)), show_value(_case_value(k, c)))


def _real_scalars(*values: Values) -> bool:
    return all(not isinstance(v, tuple) and v.ndim == 1 and not np.iscomplexobj(v) for v in values)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def _generic(s: np.ndarray, k: np.ndarray, pointwise: bool, rtol: float, atol: float) -> Verdict | None:
    spread = float(np.max(k) - np.min(k))
    if spread > 1e-6 * (1 + float(np.max(np.abs(k)))):
        a, b = np.linalg.lstsq(np.column_stack([k, np.ones_like(k)]), s, rcond=None)[0]
        a, b = float(a), float(b)
        loose = max(rtol, 1e-7)
        # a ≈ 0 is an answer that does not depend on the test case at all: nothing to name
        if _close(s, a * k + b, loose, atol * 10) and math.isfinite(a) and math.isfinite(b) and abs(a) > 1e-6:
            one = math.isclose(a, 1.0, rel_tol=1e-6)
            zero = abs(b) <= 1e-7 * (1 + abs(a) * float(np.max(np.abs(k))))
            if one and not zero:
                return Verdict("constant", b=b)
            if zero and math.isclose(a, -1.0, rel_tol=1e-6):
                return Verdict("sign", a=-1.0)
            if zero:
                return Verdict("factor", a=a)
            if pointwise and math.isclose(a, -1.0, rel_tol=1e-6) and math.isclose(b, 1.0, rel_tol=1e-6):
                return Verdict("one_minus", a=a, b=b)
            return Verdict("affine", a=a, b=b)
    elif _close(s, np.full_like(s, float(np.mean(s))), rtol, atol):
        return Verdict("constant", b=float(np.mean(s - k)))
    with np.errstate(all="ignore"):
        if _close(s, 1.0 / k, rtol, atol):
            return Verdict("reciprocal")
    return None


def _shape_of(values: Values) -> str:
    if isinstance(values, tuple):
        return f"a set of {len(values)} values"
    flat = _flat(values)
    if flat.ndim == 1:
        return "a number"
    if flat.ndim == 2:
        return f"a vector of {flat.shape[1]}"
    return f"a {flat.shape[1]}×{flat.shape[2]} matrix"


def _some_values(s: Values, k: Values, rtol: float, atol: float) -> bool:
    """The answer gives some, not all, of the key's set of values (1 + iα for 1 ± iα)."""
    if not isinstance(k, tuple):
        return False
    answer = s if isinstance(s, tuple) else (s,)
    if len(answer) >= len(k):
        return False
    return all(any(bool(np.all(agree(a, item, rtol, atol))) for item in k) for a in answer)


@lru_cache(maxsize=4096)
def check(answer: t.Node, key: t.Node, mistakes: tuple[tuple[t.Node, ...], ...] = (), ctx: Context = EMPTY,
          pointwise: bool = False, rtol: float = 1e-6, atol: float = 1e-9, time_limit: float = 2.0) -> Verdict:
    """Compare an answer with the key and the declared mistakes (each a tuple of equivalent forms)."""
    start = time.perf_counter()
    try:
        k = key_values(key, ctx, pointwise)
        s = evaluate(answer, ctx, pointwise, deadline=start + time_limit)
    except TimeLimit:
        return Verdict("timeout", detail=f"the check took longer than {time_limit:g} s",
                       seconds=time.perf_counter() - start)
    except EvalError as exc:
        return Verdict("error", detail=str(exc), seconds=time.perf_counter() - start)
    elapsed = lambda: time.perf_counter() - start  # noqa: E731
    if not _finite(s):
        return Verdict("undefined", detail="it is undefined (a logarithm of a negative number or zero, or a "
                                           "division by zero) on some of the test cases",
                       seconds=elapsed())
    same = agree(s, k, rtol, atol)
    if bool(np.all(same)):
        return Verdict("equivalent", seconds=elapsed())
    first = int(np.argmin(same))
    names = symbols_used(answer, ctx) | symbols_used(key, ctx)
    for index, forms in enumerate(mistakes):
        for form in forms:
            m = cached_values(form, ctx, pointwise)
            if not isinstance(m, EvalError) and _finite(m) and bool(np.all(agree(s, m, rtol, atol))):
                return Verdict("mistake", mistake=index, sample=_sample(s, k, ctx, pointwise, first, names), seconds=elapsed())
    if _real_scalars(s, k):
        generic = _generic(s, k, pointwise, rtol, atol)
        if generic is not None:
            return Verdict(generic.kind, a=generic.a, b=generic.b, sample=_sample(s, k, ctx, pointwise, first, names),
                           seconds=elapsed())
    if _some_values(s, k, rtol, atol):
        return Verdict("some_values", detail=f"{_shape_of(k)} is expected", sample=_sample(s, k, ctx, pointwise, first, names),
                       seconds=elapsed())
    if _shape_of(s) != _shape_of(k):
        return Verdict("shape", detail=f"{_shape_of(s)} where {_shape_of(k)} is expected",
                       sample=_sample(s, k, ctx, pointwise, first, names), seconds=elapsed())
    return Verdict("different", sample=_sample(s, k, ctx, pointwise, first, names), seconds=elapsed())
