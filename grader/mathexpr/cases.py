"""The test cases of a context: which test family of densities each case takes, the random draws
of its variables and of its arbitrary functions, and the quadrature grid of each family.

Each test family's grid is where all its densities are representable and their log ratios stay
within MAX_LOG_RATIO, and the densities are normalised to sum to one on it: inside that discrete
world every identity between forms of an answer holds to rounding error (E[c] = c, D + (1 − D) = 1),
so the tolerance can be tight. Draws are seeded by the name drawn: deterministic, the same in every
process, and the same when the rubric changes elsewhere.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from grader.mathexpr.context import Context

GRID_POINTS = 2001
MAX_LOG_RATIO = 18.0
DEFAULT_LINE = (-20.0, 20.0)  # the whole line, when no density says where the mass is
_GOLDEN = (math.sqrt(5) - 1) / 2


class EvalError(ValueError):
    """The expression uses something the evaluator does not know; the message says what."""


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

    def describe(self, index: int, names: set[str] | None = None) -> str:
        """The test case in words: "p0 = N(0, 1²), p1 = N(1.5, 1²), x = 0.31, α = 0.42" (the densities,
        and the random variables among `names` when given)."""
        parts = [f"{self.ctx.written(name)} = {fams[self.family[index]]}" for name, fams in self.ctx.densities.items()]
        if self.free_x is not None:
            parts.append(f"{self.ctx.variable} = {self.free_x[index, 0]:.3g}")
        for name, values in self.variables.items():
            if self.ctx.variables[name].value is None and (names is None or name in names):
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
