"""Reference code of mlt-a2 (the worked example of a second assignment): the numbers of its keys.

Run only by `grader key build --rubric rubrics/mlt-a2.yaml`, never while grading. The grids of
Question 1 come from the installed reference (reference.masked_conv) with this assignment's own
masks; the dynamics of Question 2 are computed here, each result two ways.
"""

from __future__ import annotations

import math

import numpy as np


def update_matrix(alpha: float) -> np.ndarray:
    """Simultaneous gradient descent (d) / ascent (g) on V(d, g) = (d - 1)(g + 2), around (1, -2)."""
    return np.array([[1.0, -alpha], [alpha, 1.0]])


def steps_to_double(alpha: float, start: tuple[float, float] = (2.0, -2.0)) -> int:
    """The first step T at which the distance to the equilibrium (1, -2) has doubled.

    Simulated with the real updates from `start`, and checked against the closed form: each step
    multiplies the distance by |lambda| = sqrt(1 + alpha^2), so T = ceil(log 2 / log |lambda|).
    """
    d, g = start
    first = math.hypot(d - 1, g + 2)
    if first == 0:
        raise ValueError("start at the equilibrium: the distance never grows")
    for t in range(1, 100_000):
        d, g = d - alpha * (g + 2), g + alpha * (d - 1)  # simultaneous: both use the old values
        if math.hypot(d - 1, g + 2) >= 2 * first * (1 - 1e-12):
            closed_form = math.ceil(math.log(2) / math.log(math.sqrt(1 + alpha ** 2)))
            if t != closed_form:
                raise RuntimeError(f"simulation ({t}) and closed form ({closed_form}) disagree")
            return t
    raise RuntimeError("the distance did not double in 100000 steps")


def game_numbers(alpha: float) -> dict:
    """What the feedback of Question 2 shows: the eigenvalues and how fast the iterates spiral out."""
    eigenvalues = np.linalg.eigvals(update_matrix(alpha))
    modulus = float(np.max(np.abs(eigenvalues)))
    return {"alpha": alpha,
            "eigenvalue_real": round(float(eigenvalues[0].real), 6),
            "eigenvalue_imag": round(abs(float(eigenvalues[0].imag)), 6),
            "modulus": round(modulus, 6),
            "growth_per_100_steps": round(modulus ** 100, 4),
            "steps_to_double": steps_to_double(alpha)}
