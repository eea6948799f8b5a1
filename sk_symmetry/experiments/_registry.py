"""The experiments the command line offers, in the order ``--help`` lists them.

A new experiment is one module that follows the protocol of
`sk_symmetry.experiments` and one line here.
"""

from . import benchmark, claims, groups, ising, ising_regression, reproduce, tune

__all__ = ["EXPERIMENTS"]

EXPERIMENTS = (
    reproduce,
    tune,
    groups,
    claims,
    ising,
    ising_regression,
    benchmark,
)
