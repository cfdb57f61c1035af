"""Is the student's expression the key? Decided numerically, on known distributions.

Both trees are evaluated on every pair of test distributions (evaluate.PAIRS), and, for pointwise
answers, at fixed points. Equal values on all of them (to a tight tolerance) is equivalence; a
match with one of the rubric's declared mistakes names that mistake; otherwise the generic
relations a TA would look for are tried: off by an additive constant, by a sign, by a factor,
1 − the key, the reciprocal. Constants and factors are named when recognisable (log 2, 2, ½...).

Verdicts are cached per (answer tree, key tree, mistakes, settings): an answer written the same
way by many students, after normalisation, is checked once per process.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from grader.mathexpr import tree as t
from grader.mathexpr.evaluate import EvalError, TimeLimit, evaluate, points

VerdictKind = Literal["equivalent", "mistake", "constant", "sign", "factor", "affine", "one_minus",
                      "reciprocal", "different", "undefined", "error", "timeout"]

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
    sample: tuple[float, ...] = ()  # (answer, key) at the first test case, or (x, answer, key)
    seconds: float = 0.0


@lru_cache(maxsize=512)
def cached_values(node: t.Node, pointwise: bool) -> np.ndarray | EvalError:
    """Values of a key or a declared mistake (the rubric's, trusted): cached for the process."""
    try:
        return evaluate(node, pointwise, deadline=time.perf_counter() + 5.0)
    except EvalError as exc:
        return exc


@lru_cache(maxsize=4096)
def problem(node: t.Node, pointwise: bool, time_limit: float) -> str | None:
    """Why a student's tree cannot be evaluated (an unknown name, x outside an expectation...)."""
    try:
        evaluate(node, pointwise, deadline=time.perf_counter() + time_limit)
    except EvalError as exc:
        return str(exc)
    except TimeLimit:
        return f"evaluating it took longer than {time_limit:g} s"
    return None


def key_values(node: t.Node, pointwise: bool) -> np.ndarray:
    values = cached_values(node, pointwise)
    if isinstance(values, EvalError):
        raise values
    if not np.all(np.isfinite(values)):
        raise EvalError("the expression is undefined on the test distributions")
    return values


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def _generic(s: np.ndarray, k: np.ndarray, pointwise: bool, rtol: float, atol: float) -> Verdict | None:
    spread = float(np.max(k) - np.min(k))
    if spread > 1e-6 * (1 + float(np.max(np.abs(k)))):
        a, b = np.linalg.lstsq(np.column_stack([k, np.ones_like(k)]), s, rcond=None)[0]
        a, b = float(a), float(b)
        loose = max(rtol, 1e-7)
        # a ≈ 0 is an answer that does not depend on the distributions at all: nothing to name
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


def _sample(s: np.ndarray, k: np.ndarray, pointwise: bool) -> tuple[float, ...]:
    if pointwise:
        return (float(points().x.reshape(-1)[0]), float(s[0]), float(k[0]))
    return (float(s[0]), float(k[0]))


@lru_cache(maxsize=4096)
def check(answer: t.Node, key: t.Node, mistakes: tuple[tuple[t.Node, ...], ...] = (), pointwise: bool = False,
          rtol: float = 1e-6, atol: float = 1e-9, time_limit: float = 2.0) -> Verdict:
    """Compare an answer with the key and the declared mistakes (each a tuple of equivalent forms)."""
    start = time.perf_counter()
    try:
        k = key_values(key, pointwise)
        s = evaluate(answer, pointwise, deadline=start + time_limit)
    except TimeLimit:
        return Verdict("timeout", detail=f"the check took longer than {time_limit:g} s",
                       seconds=time.perf_counter() - start)
    except EvalError as exc:
        return Verdict("error", detail=str(exc), seconds=time.perf_counter() - start)
    elapsed = lambda: time.perf_counter() - start  # noqa: E731
    if not np.all(np.isfinite(s)):
        return Verdict("undefined", detail="it is undefined (a logarithm of a negative number or zero, or a "
                                           "division by zero) on some of the test distributions",
                       seconds=elapsed())
    if _close(s, k, rtol, atol):
        return Verdict("equivalent", seconds=elapsed())
    for index, forms in enumerate(mistakes):
        for form in forms:
            m = cached_values(form, pointwise)
            if isinstance(m, np.ndarray) and np.all(np.isfinite(m)) and _close(s, m, rtol, atol):
                return Verdict("mistake", mistake=index, sample=_sample(s, k, pointwise), seconds=elapsed())
    generic = _generic(s, k, pointwise, rtol, atol)
    if generic is not None:
        return Verdict(generic.kind, a=generic.a, b=generic.b, sample=_sample(s, k, pointwise), seconds=elapsed())
    return Verdict("different", sample=_sample(s, k, pointwise), seconds=elapsed())
