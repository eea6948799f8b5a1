"""The experiments the command line offers, in the order ``--help`` lists them.

Each is a folder with a ``run`` module (NAME, HELP, the protocol, ``run``,
``summarize``) and a ``report`` module (``format_report``, ``write_outputs``);
`sk_symmetry.experiments` describes both. A new experiment is such a folder
and one line here.
"""

from typing import NamedTuple

from .benchmark import report as benchmark_report
from .benchmark import run as benchmark_run
from .claims import report as claims_report
from .claims import run as claims_run
from .groups import report as groups_report
from .groups import run as groups_run
from .ising import report as ising_report
from .ising import run as ising_run
from .ising_regression import report as ising_regression_report
from .ising_regression import run as ising_regression_run
from .reproduce import report as reproduce_report
from .reproduce import run as reproduce_run
from .tune import report as tune_report
from .tune import run as tune_run

__all__ = ["EXPERIMENTS", "Experiment"]


class Experiment(NamedTuple):
    """One command: the module that runs it and the module that reports it."""

    run: object
    report: object

    @property
    def name(self):
        """The sub-command, ``sk-symmetry NAME``."""
        return self.run.NAME


EXPERIMENTS = (
    Experiment(reproduce_run, reproduce_report),
    Experiment(tune_run, tune_report),
    Experiment(groups_run, groups_report),
    Experiment(claims_run, claims_report),
    Experiment(ising_run, ising_report),
    Experiment(ising_regression_run, ising_regression_report),
    Experiment(benchmark_run, benchmark_report),
)
