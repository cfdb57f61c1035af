"""Q4.6: optimal discriminator, JSD from a discriminator, and density recovery, on 1-D Gaussians.

p0 = N(0, 1) (label 0), p1 = N(1.5, 1) (label 1). With D labelling p1 as 1:
    D*(x) = f1 / (f0 + f1),
    JSD(p0, p1) = 1/2 (E_p0[log(1 - D*)] + E_p1[log D*]) + log 2      (nats),
    f1 = f0 D* / (1 - D*).
The discriminator is a logistic regression on features (1, x, x^2): logit D* = log f1 - log f0 is
quadratic in x for any two Gaussians (linear here, equal variances), so D* is representable and the
trained D converges to it as the sample grows. It is fitted by Newton's method (IRLS) on the
log-loss: the exact maximum-likelihood fit, deterministic, in ~10 iterations.
"""

from __future__ import annotations

import math

import numpy as np

MU0, S0 = 0.0, 1.0
MU1, S1 = 1.5, 1.0
LOG2 = math.log(2.0)


def _log_f(x, mu, s):
    return -0.5 * (math.log(2 * math.pi) + 2 * math.log(s) + ((x - mu) / s) ** 2)


def log_f0(x):
    return _log_f(x, MU0, S0)


def log_f1(x):
    return _log_f(x, MU1, S1)


def _sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * t))  # overflow-free logistic


def d_star(x):
    return _sigmoid(log_f1(x) - log_f0(x))


def _features(x):
    return np.stack([np.ones_like(x), x, x**2], axis=1)


def fit_discriminator(x0, x1, iters: int = 50, ridge: float = 1e-8):
    """Logistic regression on (1, x, x^2) by Newton/IRLS; returns theta with logit D = phi(x) @ theta."""
    X = _features(np.concatenate([x0, x1]))
    y = np.concatenate([np.zeros(len(x0)), np.ones(len(x1))])
    theta = np.zeros(X.shape[1])
    for _ in range(iters):
        p = _sigmoid(X @ theta)
        grad = X.T @ (p - y) + ridge * theta
        hess = (X * (p * (1 - p))[:, None]).T @ X + ridge * np.eye(X.shape[1])
        step = np.linalg.solve(hess, grad)
        theta = theta - step
        if np.max(np.abs(step)) < 1e-12:
            break
    return theta


def _jsd_from_d(log_d_on_p1, log_1md_on_p0):
    return 0.5 * (log_1md_on_p0 + log_d_on_p1) + LOG2


def _raw(seed: int = 0, n_train: int = 4000, n_mc: int = 200000):
    rng = np.random.default_rng(seed)
    x0 = rng.normal(MU0, S0, n_train)
    x1 = rng.normal(MU1, S1, n_train)
    theta = fit_discriminator(x0, x1)

    def d_trained(x):
        return _sigmoid(_features(x) @ theta)

    # Quadrature: both densities are negligible outside +-12 sd.
    lo, hi = min(MU0 - 12 * S0, MU1 - 12 * S1), max(MU0 + 12 * S0, MU1 + 12 * S1)
    xq = np.linspace(lo, hi, 400001)
    f0, f1 = np.exp(log_f0(xq)), np.exp(log_f1(xq))
    log_m = np.logaddexp(log_f0(xq), log_f1(xq)) - LOG2
    jsd_true = 0.5 * (np.trapezoid(f0 * (log_f0(xq) - log_m), xq)
                      + np.trapezoid(f1 * (log_f1(xq) - log_m), xq))
    ds = d_star(xq)
    jsd_dstar_quad = _jsd_from_d(np.trapezoid(f1 * np.log(ds), xq),
                                 np.trapezoid(f0 * np.log1p(-ds), xq))

    # Monte Carlo with fresh samples (not the training ones) and the trained D.
    m0 = rng.normal(MU0, S0, n_mc)
    m1 = rng.normal(MU1, S1, n_mc)
    a = np.log1p(-d_trained(m0))
    b = np.log(d_trained(m1))
    jsd_mc = _jsd_from_d(b.mean(), a.mean())
    jsd_mc_se = 0.5 * math.sqrt(a.var(ddof=1) / n_mc + b.var(ddof=1) / n_mc)

    # Comparison grid: where both densities have mass (mean +- 3 sd), since the fitted x^2 term
    # makes errors grow without bound far in the tails.
    g = np.linspace(min(MU0 - 3 * S0, MU1 - 3 * S1), max(MU0 + 3 * S0, MU1 + 3 * S1), 2001)
    f0g, f1g = np.exp(log_f0(g)), np.exp(log_f1(g))
    dg, dsg = d_trained(g), d_star(g)
    return {
        "theta": theta, "grid": (float(g[0]), float(g[-1])),
        "d_max_abs_err": float(np.max(np.abs(dg - dsg))),
        "jsd_true_quad": float(jsd_true),
        "jsd_dstar_quad": float(jsd_dstar_quad),
        "jsd_trained_mc": float(jsd_mc), "jsd_trained_mc_se": jsd_mc_se,
        "f1_err_dstar": float(np.max(np.abs(f0g * dsg / (1 - dsg) - f1g))),
        "f1_err_trained": float(np.max(np.abs(f0g * dg / (1 - dg) - f1g))),
        "n_train": n_train, "n_mc": n_mc,
    }


def gan_numbers(seed: int = 0) -> dict:
    """JSON-ready numbers (4 decimals) for Q4.6 feedback; see the module docstring."""
    r = _raw(seed)
    t = r["theta"]
    return {
        "p0": {"mean": MU0, "std": S0},
        "p1": {"mean": MU1, "std": S1},
        "d_star_logit": "log f1(x) - log f0(x) = 1.5 x - 1.125",
        "trained_logit_coefs": {"1": round(float(t[0]), 4), "x": round(float(t[1]), 4),
                                "x2": round(float(t[2]), 4)},
        "grid": [round(r["grid"][0], 4), round(r["grid"][1], 4)],
        "d_trained_vs_d_star_max_abs": round(r["d_max_abs_err"], 4),
        "jsd_true": round(r["jsd_true_quad"], 4),
        "jsd_from_d_star": round(r["jsd_dstar_quad"], 4),
        "jsd_from_trained_d_mc": round(r["jsd_trained_mc"], 4),
        "jsd_from_trained_d_mc_se": round(r["jsd_trained_mc_se"], 4),
        "f1_recovery_max_abs_err_d_star": round(r["f1_err_dstar"], 4),
        "f1_recovery_max_abs_err_trained": round(r["f1_err_trained"], 4),
        "n_train_per_class": r["n_train"],
        "n_mc_per_class": r["n_mc"],
        "seed": int(seed),
    }
