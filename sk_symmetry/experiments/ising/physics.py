"""The physics of ``sk-symmetry ising``: T_c from curves, and its extrapolation.

Plain functions of arrays, apart from the fits: where a probability curve
crosses 1/2 (protocol A), the middle peak of a confusion W (protocol B), the
finite-size extrapolation ``T_c(L) = T_c + a L^(-1/nu)``, and the Binder
cumulant's crossings (the classical reference).
"""

import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from ...datasets._internal import CRITICAL_TEMPERATURE, binder_cumulant

__all__ = [
    "TC",
    "binder_crossings",
    "binder_summary",
    "confusion_peak",
    "extrapolate",
    "probability_crossing",
]

TC = CRITICAL_TEMPERATURE


def probability_crossing(temperatures, probability, level=0.5):
    """Where a curve, linear between its points, crosses ``level`` downwards.

    Of several downward crossings the steepest is taken; NaN if none.
    """
    above = probability >= level
    candidates = np.flatnonzero(above[:-1] & ~above[1:])
    if candidates.size == 0:
        return float("nan")
    drops = probability[candidates] - probability[candidates + 1]
    i = candidates[np.argmax(drops)]
    t0, t1 = temperatures[i], temperatures[i + 1]
    p0, p1 = probability[i], probability[i + 1]
    return float(t0 + (p0 - level) / (p0 - p1) * (t1 - t0))


def confusion_peak(t_star, accuracy, majority):
    """The middle peak of a confusion W curve, refined by a parabola.

    The peak is located where the accuracy most exceeds the majority-class
    baseline (which rises to 1 at both ends of the grid, where the trivial
    labellings sit), then refined to the vertex of the parabola through it
    and its two neighbours on the accuracy curve. NaN when the accuracy
    never beats that baseline (a network that learned nothing has no peak).
    """
    excess = accuracy - majority
    i = int(np.argmax(excess))
    if excess[i] <= 0:
        # Nowhere better than always answering the larger class: no peak.
        return float("nan")
    if 0 < i < len(t_star) - 1:
        curvature, slope, _ = np.polyfit(
            t_star[i - 1 : i + 2], accuracy[i - 1 : i + 2], 2
        )
        if curvature < 0:
            vertex = -slope / (2 * curvature)
            return float(np.clip(vertex, t_star[i - 1], t_star[i + 1]))
    return float(t_star[i])


def _scaling(L, tc, a, inverse_nu):
    return tc + a * L ** (-inverse_nu)


def extrapolate(sizes, estimates):
    """``T_c(L) = T_c + a L^(-1/nu)``: T_c with nu = 1, and T_c and nu fitted.

    Returns a dict with ``extrapolated_tc`` (nu = 1, a straight line in 1/L),
    ``extrapolated_tc_fitted_nu`` and ``fitted_nu`` (through the points
    exactly when there are three sizes; NaN when it does not converge or
    ends on a bound of ``0.1 <= 1/nu <= 10``).
    """
    sizes = np.asarray(sizes, dtype=np.float64)
    estimates = np.asarray(estimates, dtype=np.float64)
    ok = np.isfinite(estimates)
    result = {
        "extrapolated_tc": float("nan"),
        "extrapolated_tc_fitted_nu": float("nan"),
        "fitted_nu": float("nan"),
    }
    if ok.sum() >= 2:
        slope, intercept = np.polyfit(1.0 / sizes[ok], estimates[ok], 1)
        result["extrapolated_tc"] = float(intercept)
    if ok.sum() >= 3:
        try:
            with warnings.catch_warnings():
                # Three sizes fit exactly: no covariance, which is expected.
                warnings.simplefilter("ignore", OptimizeWarning)
                (tc, _, inverse_nu), _ = curve_fit(
                    _scaling,
                    sizes[ok],
                    estimates[ok],
                    p0=(result["extrapolated_tc"], slope, 1.0),
                    bounds=([0.0, -np.inf, 0.1], [np.inf, np.inf, 10.0]),
                    maxfev=10000,
                )
        except (RuntimeError, ValueError):
            return result
        # A fit that ends on a bound of 1/nu found no exponent: say so.
        if 0.1 + 1e-6 < inverse_nu < 10.0 - 1e-6:
            result["extrapolated_tc_fitted_nu"] = float(tc)
            result["fitted_nu"] = float(1.0 / inverse_nu)
    return result


def binder_crossings(data_by_size):
    """Binder cumulant per size and temperature, and the crossings of pairs.

    The crossing of sizes ``L < L'`` is where ``U_L - U_L'`` changes sign
    from negative to positive (bigger lattices are more ordered below T_c),
    linear between grid points; of several, the steepest. (Cubic fits over
    a window of the grid, tried first, were pulled off by the kink of the
    largest lattice's curve near T_c.)
    """
    sizes = sorted(data_by_size)
    curves = {}
    for L in sizes:
        data = data_by_size[L]
        curves[L] = np.array(
            [
                binder_cumulant(data.magnetization[data.temperature == t])
                for t in data.temperatures
            ]
        )
    temperatures = data_by_size[sizes[0]].temperatures
    crossings = {}
    for i, small in enumerate(sizes):
        for large in sizes[i + 1 :]:
            # U_L - U_L' rises through 0 at the crossing, so U_L' - U_L falls.
            crossings[(small, large)] = probability_crossing(
                temperatures, curves[large] - curves[small], level=0.0
            )
    return curves, crossings



def binder_summary(data_by_size):
    """Binder curves, crossings of every pair, and the estimate of T_c."""
    sizes = sorted(data_by_size)
    curves, crossings = binder_crossings(data_by_size)
    # The largest size against half of it (or the next largest): the pair
    # with the smallest finite-size shift whose curves still differ clearly.
    largest = sizes[-1]
    partner = largest // 2 if largest // 2 in sizes else sizes[-2]
    tc = crossings[(partner, largest)]
    return {
        "curves": {L: c.tolist() for L, c in curves.items()},
        "crossings": {f"{a}-{b}": v for (a, b), v in crossings.items()},
        "crossing_tc": tc,
        "relative_error": (tc - TC) / TC,
    }

