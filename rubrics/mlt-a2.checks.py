"""Check functions of mlt-a2: answers with many right forms, graded on the parsed answer.

Each receives the student's answer as the rubric's `answer:` reader parsed it (here a numpy
matrix) and returns a score in [0, 1] with a message. Run while grading: numpy only, no torch.
"""

from __future__ import annotations

import numpy as np


def rotates(answer, tol: float = 1e-6) -> dict:
    """4.1: a 2x2 real matrix whose iterates x_{t+1} = B x_t rotate without growing or shrinking."""
    matrix = np.asarray(answer)
    if matrix.shape != (2, 2):
        return {"score": 0, "message": f"A 2×2 matrix is asked; yours is {matrix.shape}.", "note": "shape"}
    if np.iscomplexobj(matrix) and np.any(matrix.imag != 0):
        return {"score": 0, "message": "The matrix must be real.", "note": "complex"}
    eigenvalues = np.linalg.eigvals(np.real(matrix))
    moduli = np.abs(eigenvalues)
    if np.any(np.abs(moduli - 1) > tol):
        grows = "grow" if np.max(moduli) > 1 else "shrink"
        return {"score": 0, "note": "not-unit",
                "message": f"Its eigenvalues have moduli {', '.join(f'{m:.4g}' for m in moduli)}: the iterates {grows}."}
    if np.all(np.abs(eigenvalues.imag) <= tol):
        return {"score": 0.5, "note": "real-eigenvalues",
                "message": "Its eigenvalues have modulus 1 but are real (±1): the iterates do not rotate."}
    return {"score": 1, "message": f"Correct: its eigenvalues {eigenvalues[0]:.3g} and {eigenvalues[1]:.3g} "
                                   "lie on the unit circle, off the real axis."}
