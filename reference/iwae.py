"""Q3.4: numerics for the importance-weighted lower bound (IWLB) L_k.

Model with an exact marginal: z ~ N(0, 1), x | z ~ N(z, sigma^2), so p(x) = N(x; 0, 1 + sigma^2)
and the true posterior is N(x / (1 + sigma^2), sigma^2 / (1 + sigma^2)). The proposal q(z|x) is a
deliberately wrong Gaussian (mean shrunk, std inflated) so that KL(q || posterior) > 0 and the bounds
are strictly ordered: L_1 (= ELBO) < L_2 < L_5 < L_50 < log p(x).

L_k = E[log (1/k) sum_j w_j], w_j = p(x, z_j) / q(z_j | x), z_j ~ q. All k share the same draws
(L_k uses the first k columns of one M x max(k) matrix): common random numbers make the
*differences* L_{k'} - L_k far more precise than independent runs, so the ordering is robust.
"""

from __future__ import annotations

import math

import numpy as np

# Imperfect proposal: q = N(Q_MEAN_SHRINK * posterior mean, (Q_STD_INFLATE * posterior std)^2).
Q_MEAN_SHRINK = 0.5
Q_STD_INFLATE = 1.5
LOG_2PI = math.log(2 * math.pi)


def _log_normal(v, mean, var):
    return -0.5 * (LOG_2PI + np.log(var) + (v - mean) ** 2 / var)


def proposal(x: float, sigma: float) -> tuple[float, float]:
    post_mean = x / (1 + sigma**2)
    post_std = math.sqrt(sigma**2 / (1 + sigma**2))
    return Q_MEAN_SHRINK * post_mean, Q_STD_INFLATE * post_std


def elbo_exact(x: float, sigma: float, q_mean: float, q_std: float) -> float:
    """Closed-form E_q[log p(z) + log p(x|z) - log q(z)] for Gaussian q = N(q_mean, q_std^2)."""
    s2 = q_std**2
    e_log_prior = -0.5 * (LOG_2PI + q_mean**2 + s2)
    e_log_lik = -0.5 * (LOG_2PI + math.log(sigma**2) + ((x - q_mean) ** 2 + s2) / sigma**2)
    entropy = 0.5 * (LOG_2PI + 1 + math.log(s2))
    return e_log_prior + e_log_lik + entropy


def _bounds_raw(x: float, sigma: float, ks, samples: int, seed: int):
    """Unrounded {k: (estimate, standard error)} plus the exact quantities."""
    ks = tuple(int(k) for k in ks)
    if not ks or min(ks) < 1:
        raise ValueError("ks must be positive integers")
    q_mean, q_std = proposal(x, sigma)
    rng = np.random.default_rng(seed)
    z = q_mean + q_std * rng.standard_normal((samples, max(ks)))
    log_w = (_log_normal(z, 0.0, 1.0) + _log_normal(x, z, sigma**2)
             - _log_normal(z, q_mean, q_std**2))
    est = {}
    for k in ks:
        lw = log_w[:, :k]
        m = lw.max(axis=1, keepdims=True)  # log-mean-exp, stable
        per_row = (m + np.log(np.mean(np.exp(lw - m), axis=1, keepdims=True)))[:, 0]
        est[k] = (float(per_row.mean()), float(per_row.std(ddof=1) / math.sqrt(samples)))
    log_p_x = float(_log_normal(x, 0.0, 1 + sigma**2))
    return est, log_p_x, elbo_exact(x, sigma, q_mean, q_std), (q_mean, q_std)


def iwae_bounds(x: float = 1.5, sigma: float = 0.5, ks=(1, 2, 5, 50), samples: int = 20000,
                seed: int = 0) -> dict:
    """Monte Carlo L_k for each k in ks, the exact log p(x) and the exact ELBO (= L_1), 4 decimals.

    `monotone` is checked on the unrounded estimates: L_k non-decreasing in k and all <= log p(x).
    """
    est, log_p_x, elbo, (q_mean, q_std) = _bounds_raw(x, sigma, ks, samples, seed)
    order = sorted(est)
    vals = [est[k][0] for k in order]
    monotone = all(a <= b for a, b in zip(vals, vals[1:])) and vals[-1] <= log_p_x
    return {
        "x": round(float(x), 4),
        "sigma": round(float(sigma), 4),
        "q": {"mean": round(q_mean, 4), "std": round(q_std, 4)},
        "log_p_x": round(log_p_x, 4),
        "elbo_exact": round(elbo, 4),
        "L": {str(k): round(est[k][0], 4) for k in order},
        "stderr": {str(k): round(est[k][1], 4) for k in order},
        "samples": int(samples),
        "seed": int(seed),
        "monotone": bool(monotone),
    }
