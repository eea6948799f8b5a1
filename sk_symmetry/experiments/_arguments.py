"""The command line's argument types and the options every experiment takes.

An experiment's ``add_arguments(parser)`` adds only its own options; the
command line adds the common ones (``--quick``, ``--n-jobs``, ``--backend``,
``--scheduler``, ``--out``) with `add_common_arguments`.
"""

import argparse
from pathlib import Path

from ._backend import add_backend_arguments

__all__ = ["add_common_arguments", "int_at_least", "integer", "n_jobs", "positive_int"]


def integer(text):
    """An ``int``, or argparse's usage error naming the text."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def int_at_least(minimum):
    """The argument type of an ``int`` of at least ``minimum``."""

    def parse(text):
        value = integer(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"must be at least {minimum}, got {value}"
            )
        return value

    parse.__name__ = f"int_at_least_{minimum}"  # argparse names it in errors
    return parse


def positive_int(text):
    """An ``int`` of at least 1."""
    return int_at_least(1)(text)


def n_jobs(text):
    """joblib's ``n_jobs``: n processes, -1 for all cores, -2 all but one..."""
    # As joblib and scikit-learn: only 0 means nothing.
    value = integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            "must not be 0: a positive number of processes, or -1 for all cores "
            "(-2 all but one, ...)"
        )
    return value


_N_JOBS_HELP = (
    "fits run in parallel with joblib: a number of processes, -1 for all "
    "cores, -2 for all but one (default: %(default)s)"
)
_OUT_HELP = (
    "folder for the results (CSV, JSON, a Markdown report, figures), created "
    "if needed; it is checked to be writable before the first fit. Every file "
    "is named after the command ({name}.json, {name}.md, {name}_*.png, ...), so "
    "commands can share a folder without replacing each other's files; running "
    "a command again replaces its own (default: none, nothing is written)"
)
_QUICK = "a short check, not the result"


def add_common_arguments(parser, experiment):
    """``--quick``, ``--n-jobs``, ``--backend``, ``--scheduler`` and ``--out``.

    ``experiment``'s optional ``QUICK`` says what ``--quick`` trades away.
    """
    quick = getattr(experiment, "QUICK", _QUICK)
    parser.add_argument("--quick", action="store_true", help=f"{quick} (default: off)")
    parser.add_argument(
        "--n-jobs", type=n_jobs, default=1, metavar="N", help=_N_JOBS_HELP
    )
    add_backend_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FOLDER",
        help=_OUT_HELP.format(name=experiment.NAME),
    )
