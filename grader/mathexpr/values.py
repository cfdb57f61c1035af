r"""Numbers of any shape, written as students write them: a number, a complex number, a vector or a
tuple, a matrix, a set of them, an interval; in decimals or in exact forms ("−log 4", "½", "√2/2",
"π/4", "1 ± 0.1i"). Read with the expression grammar and evaluated without variables: never eval.

A value in memory is an array (1, *shape) (one test case, as equivalence.py compares them), a
tuple of such arrays for a set, or an Interval. In JSON (keys, result.json) a real number is a
float, a complex number {"re": a, "im": b}, a vector a list, a matrix a list of rows, a set
{"set": [...]}, an interval {"interval": [a, b], "closed": [true, false]}.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from grader.mathexpr import tree as t
from grader.mathexpr.context import ContextDecl, compile_context
from grader.mathexpr.evaluate import EvalError, TimeLimit, evaluate, show_value
from grader.mathexpr.parser import parse
from grader.mathexpr.tree import ParseError

CONSTANTS = {unit: compile_context(ContextDecl(imaginary_unit=unit)) for unit in ("i", "j")}
_SCIENTIFIC = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?|\.\d+)[eE]([-+]?\d+)(?![\w.])")
_INTERVAL = re.compile(r"^\s*([\[(\]])\s*([^,\[\]()]+?)\s*[,;]\s*([^,\[\]()]+?)\s*([\])\[])\s*$")


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    closed: tuple[bool, bool]

    def __str__(self) -> str:
        return f"{'[' if self.closed[0] else '('}{show_value(self.low)}, {show_value(self.high)}{']' if self.closed[1] else ')'}"


Value = np.ndarray | tuple | Interval


def _plain_text_math(text: str) -> str:
    """Habits of plain text the LaTeX grammar does not have: 1e-3, 2.5E4."""
    return _SCIENTIFIC.sub(r"\1 \\times 10^{\2}", text)


@lru_cache(maxsize=4096)
def read_value(text: str, imaginary_unit: str | None = "i", time_limit: float = 1.0) -> Value:
    """The value a piece of math denotes; raise ValueError with the reason when it has none."""
    interval = _read_interval(text, imaginary_unit, time_limit)
    if interval is not None:
        return interval
    ctx = CONSTANTS.get(imaginary_unit or "", compile_context(ContextDecl()))
    try:
        node = parse(_plain_text_math(text), ctx.lexicon)
        values = evaluate(node, ctx, False, deadline=time.perf_counter() + time_limit)
    except ParseError as exc:
        raise ValueError(f"not a number: {exc}") from None
    except EvalError as exc:
        raise ValueError(f"not a number: {exc}") from None
    except TimeLimit:
        raise ValueError(f"evaluating it took longer than {time_limit:g} s") from None
    value = _tidy(values)
    if not finite(value):
        raise ValueError("not a finite number (a division by zero, or a logarithm of 0?)")
    return value


def _read_interval(text: str, imaginary_unit: str | None, time_limit: float) -> Interval | None:
    """(a, b], [a, b), ]a, b[ ...: an interval when the brackets differ or open outwards, or a square
    bracket closes a round one. "(0, 1)" alone is a tuple: the kind decides (see as_interval)."""
    m = _INTERVAL.match(text)
    if not m or (m.group(1) == "(" and m.group(4) == ")") or (m.group(1) == "[" and m.group(4) == "]"):
        return None
    low, high = (_endpoint(m.group(i), imaginary_unit, time_limit) for i in (2, 3))
    return Interval(low, high, (m.group(1) == "[", m.group(4) == "]"))


def _endpoint(text: str, imaginary_unit: str | None, time_limit: float) -> float:
    stripped = text.strip().replace("−", "-")
    if re.fullmatch(r"[-+]?\s*\\?infty|[-+]?\s*∞|[-+]?\s*inf", stripped):
        return -math.inf if stripped.startswith("-") else math.inf
    value = read_value(stripped, imaginary_unit, time_limit)
    if isinstance(value, (tuple, Interval)) or value.shape != (1,) or np.iscomplexobj(value):
        raise ValueError(f"an interval's end is a real number, not {stripped!r}")
    return float(value[0])


def as_interval(value: Value, brackets: str = "()") -> Interval | None:
    """A tuple of two real numbers read as the interval it may mean, "(0, 2)"."""
    if isinstance(value, Interval):
        return value
    if isinstance(value, np.ndarray) and value.shape == (1, 2) and not np.iscomplexobj(value):
        return Interval(float(value[0, 0]), float(value[0, 1]), (brackets[0] == "[", brackets[1] == "]"))
    return None


def _tidy(values) -> Value:
    """Complex parts that are rounding noise dropped; vectors flat (1, n)."""
    if isinstance(values, tuple):
        return tuple(_tidy(v) for v in values)
    array = np.asarray(values)
    if np.iscomplexobj(array) and np.all(np.abs(array.imag) <= 1e-12 * np.maximum(1.0, np.abs(array.real))):
        array = array.real
    if array.ndim == 3 and 1 in array.shape[1:]:
        array = array.reshape(1, -1)
    return array


def finite(value: Value) -> bool:
    if isinstance(value, Interval):
        return not (math.isnan(value.low) or math.isnan(value.high))
    if isinstance(value, tuple):
        return all(finite(v) for v in value)
    return bool(np.all(np.isfinite(value)))


# ------------------------------------------------------------------ JSON

def _encode_number(z) -> Any:
    z = complex(z)
    if z.imag == 0:
        return z.real
    return {"re": z.real, "im": z.imag}


def encode(value: Value) -> Any:
    if isinstance(value, Interval):
        ends = [e if math.isfinite(e) else ("-\\infty" if e < 0 else "\\infty") for e in (value.low, value.high)]
        return {"interval": ends, "closed": list(value.closed)}
    if isinstance(value, tuple):
        return {"set": [encode(v) for v in value]}
    array = value[0]
    if array.ndim == 0:
        return _encode_number(array)
    if array.ndim == 1:
        return [_encode_number(z) for z in array]
    return [[_encode_number(z) for z in row] for row in array]


def decode(data: Any, imaginary_unit: str | None = "i") -> Value:
    """A key or sheet value (numbers, strings of math, lists, {set}, {interval}) as a value."""
    if isinstance(data, dict):
        if "set" in data and isinstance(data["set"], list):
            items = []
            for item in data["set"]:
                value = decode(item, imaginary_unit)
                items.extend(value if isinstance(value, tuple) else (value,))
            return tuple(items)
        if "interval" in data:
            ends = data["interval"]
            closed = data.get("closed", [False, False])
            if not (isinstance(ends, list) and len(ends) == 2 and isinstance(closed, list) and len(closed) == 2):
                raise ValueError("an interval is {interval: [low, high], closed: [true|false, true|false]}")
            return Interval(*(_endpoint(str(e), imaginary_unit, 1.0) for e in ends), (bool(closed[0]), bool(closed[1])))
        if set(data) == {"re", "im"}:
            return np.array([complex(_real(data["re"]), _real(data["im"]))])
        if "value" in data:
            return decode(data["value"], imaginary_unit)
        raise ValueError("expected a number, a list, {set: [...]} or {interval: [a, b]}")
    if isinstance(data, bool) or data is None:
        raise ValueError(f"not a number: {data!r}")
    if isinstance(data, (int, float)):
        if not math.isfinite(data):
            raise ValueError("not a finite number")
        return np.array([float(data)])
    if isinstance(data, str):
        return read_value(data.strip(), imaginary_unit)
    if isinstance(data, list) and data:
        if all(isinstance(row, list) for row in data):
            rows = [[_scalar(v, imaginary_unit) for v in row] for row in data]
            if len({len(r) for r in rows}) != 1:
                raise ValueError("the rows of a matrix must have the same length")
            return _tidy(np.array([rows]))
        return _tidy(np.array([[_scalar(v, imaginary_unit) for v in data]]))
    raise ValueError(f"not a number: {data!r}")


def _real(x) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"not a number: {x!r}")
    return float(x)


def _scalar(data, imaginary_unit: str | None) -> complex:
    value = decode(data, imaginary_unit)
    if isinstance(value, (tuple, Interval)) or value.shape != (1,):
        raise ValueError(f"an entry of a vector or matrix is a number, not {data!r}")
    return complex(value[0])


def show(value: Value) -> str:
    if isinstance(value, Interval):
        return str(value)
    if isinstance(value, tuple):
        return show_value([v[0] for v in value])
    return show_value(value[0])


def name_as_written(latex: str) -> t.Node | None:
    """A quantity's name (V, D^*, \\lambda_1, (d^*, g^*)) as a tree, to match sides of equations."""
    try:
        return parse(latex)
    except ParseError:
        return None
