"""Exact results for the 2D Ising model (J = k_B = 1) that `make_ising` is tested on.

- Onsager (1944): the critical temperature ``2 / ln(1 + sqrt 2)`` and the
  energy per spin of the infinite lattice;
- Yang (1952): its spontaneous magnetisation per spin;
- exact enumeration of every state of a small periodic lattice (``L = 4``:
  2^16 states), which gives any thermal average at any temperature.
"""

import math
from functools import lru_cache

import numpy as np
from scipy.special import ellipk

from ._ising_mc import lattice_energy

__all__ = [
    "CRITICAL_TEMPERATURE",
    "binder_cumulant",
    "enumerate_states",
    "exact_averages",
    "onsager_energy",
    "yang_magnetization",
]

CRITICAL_TEMPERATURE = 2.0 / math.log(1.0 + math.sqrt(2.0))  # 2.269185...


def onsager_energy(temperature):
    """Energy per spin of the infinite lattice (Onsager).

    ``u = -coth(2b) [1 + (2/pi) (2 tanh^2(2b) - 1) K(k)]`` with ``b = 1/T``,
    ``k = 2 sinh(2b) / cosh^2(2b)`` and ``K`` the complete elliptic integral of
    the first kind. At ``T_c`` the logarithmic divergence of ``K`` is
    cancelled by its zero prefactor, and ``u = -sqrt(2)``.

    Examples
    --------
    >>> from sk_symmetry.datasets._ising_exact import onsager_energy
    >>> round(float(onsager_energy(2.0)), 4)
    -1.7456
    """
    beta = 1.0 / np.asarray(temperature, dtype=np.float64)
    k = 2.0 * np.sinh(2.0 * beta) / np.cosh(2.0 * beta) ** 2
    with np.errstate(invalid="ignore"):
        bracket = 1.0 + 2.0 / np.pi * (2.0 * np.tanh(2.0 * beta) ** 2 - 1.0) * ellipk(
            k**2
        )
    u = -bracket / np.tanh(2.0 * beta)
    return np.where(np.isfinite(u), u, -math.sqrt(2.0))


def yang_magnetization(temperature):
    """Spontaneous magnetisation per spin, ``(1 - sinh(2/T)^-4)^(1/8)`` below T_c.

    Examples
    --------
    >>> from sk_symmetry.datasets._ising_exact import yang_magnetization
    >>> round(float(yang_magnetization(2.0)), 4), float(yang_magnetization(3.0))
    (0.9113, 0.0)
    """
    beta = 1.0 / np.asarray(temperature, dtype=np.float64)
    inside = 1.0 - np.sinh(2.0 * beta) ** -4.0
    return np.where(inside > 0, np.abs(inside) ** 0.125, 0.0)


@lru_cache(maxsize=4)
def enumerate_states(L):
    """Density of states of the periodic ``L x L`` lattice, by enumeration.

    Returns
    -------
    energy, magnetization, count : ndarray
        Every distinct (total energy, total magnetisation) pair and how many
        of the ``2^(L*L)`` states have it.
    """
    n = L * L
    if n > 20:
        raise ValueError(f"enumeration of 2**{n} states is too large; use L <= 4.")
    codes = np.arange(2**n, dtype=np.int64)
    bits = (codes[:, np.newaxis] >> np.arange(n)) & 1
    spins = (2 * bits - 1).reshape(-1, L, L)
    pairs = np.stack([lattice_energy(spins), spins.sum(axis=(1, 2))], axis=1)
    distinct, count = np.unique(pairs, axis=0, return_counts=True)
    return distinct[:, 0], distinct[:, 1], count


def exact_averages(L, temperature):
    """Exact thermal averages per spin on a small periodic lattice.

    Returns
    -------
    dict
        ``energy`` (``<E> / N``), ``abs_magnetization`` (``<|M|> / N``),
        ``m2`` and ``m4`` (``<m^2>``, ``<m^4>`` with ``m = M / N``) and the
        Binder cumulant ``binder``.

    Examples
    --------
    >>> from sk_symmetry.datasets._ising_exact import exact_averages
    >>> round(exact_averages(4, 2.0)["energy"], 4)
    -1.7554
    """
    energy, magnetization, count = enumerate_states(L)
    n = L * L
    log_weight = np.log(count) - energy / temperature
    weight = np.exp(log_weight - log_weight.max())
    weight /= weight.sum()
    m = magnetization / n
    m2, m4 = float(weight @ m**2), float(weight @ m**4)
    return {
        "energy": float(weight @ energy) / n,
        "abs_magnetization": float(weight @ np.abs(m)),
        "m2": m2,
        "m4": m4,
        "binder": 1.0 - m4 / (3.0 * m2**2),
    }


def binder_cumulant(magnetization):
    """``1 - <m^4> / (3 <m^2>^2)`` of a sample of magnetisations.

    2/3 deep in the ordered phase, 0 for a Gaussian m (disordered phase); the
    curves of different lattice sizes cross at T_c.

    Examples
    --------
    >>> from sk_symmetry.datasets._ising_exact import binder_cumulant
    >>> binder_cumulant([1.0, -1.0])
    0.6666666666666667
    """
    m = np.asarray(magnetization, dtype=np.float64)
    m2 = np.mean(m**2)
    return float(1.0 - np.mean(m**4) / (3.0 * m2**2))
