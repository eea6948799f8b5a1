"""Command line: ``sk-symmetry reproduce`` (or ``python -m sk_symmetry reproduce``)."""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def _integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _positive_int(text):
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _n_jobs(text):
    value = _integer(text)
    if value != -1 and value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of processes or -1 for all cores, got {value}"
        )
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="sk-symmetry",
        description="sk_symmetry: symmetry-constrained machine learning.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    reproduce = commands.add_parser(
        "reproduce",
        help="Reproduce Tables I and II of Bergman (2019).",
        description="Run the paper's experiment and print Tables I and II with "
        "the paper's numbers beside ours. Progress goes to stderr.",
    )
    reproduce.add_argument(
        "--protocol",
        choices=("leak-free", "paper"),
        default="leak-free",
        help="'paper': the paper's split after shifting, per-column scaling, its "
        "seeds; 'leak-free' (default): splits by source image, fixed scaling, "
        "repeated over splits and seeds.",
    )
    reproduce.add_argument(
        "--quick",
        action="store_true",
        help="Fewer splits, seeds and iterations (100): a check, not the result.",
    )
    reproduce.add_argument(
        "--max-iter",
        type=_positive_int,
        default=None,
        help="L-BFGS iteration budget (default 200, the paper's; 100 with --quick).",
    )
    reproduce.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=1,
        help="Fits run in parallel with joblib (-1: all cores).",
    )
    reproduce.add_argument(
        "--out",
        type=Path,
        default=None,
        help="Directory for cells.csv, cells.json, report.md and the figures.",
    )
    tune = commands.add_parser(
        "tune",
        help="Beyond the paper: tune the invariant (10, 5) network.",
        description="Choose feature set, alpha, budget and restart by GridSearchCV "
        "with the worst-case scorer on the training part (folds by source image), "
        "then score the held-out split once on X and -X.",
    )
    tune.add_argument("--quick", action="store_true", help="One candidate: a check.")
    tune.add_argument("--n-jobs", type=_n_jobs, default=1)
    _add_ising_command(commands)
    return parser


def _add_ising_command(commands):
    """``sk-symmetry ising``: T_c of the 2D Ising model (issue 12)."""
    ising = commands.add_parser(
        "ising",
        help="Physics: the 2D Ising critical temperature from networks.",
        description="Generate 2D Ising data with Wolff cluster Monte Carlo, find "
        "T_c with networks (protocol A: labels from Onsager's T_c; protocol B: "
        "learning by confusion, no T_c given) and with the Binder cumulant, "
        "and compare with Onsager's value. Progress goes to stderr.",
    )
    ising.add_argument(
        "--quick", action="store_true", help="Small sizes and fewer models: a check."
    )
    ising.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=1,
        help="Chains and fits run in parallel with joblib (-1: all cores).",
    )
    ising.add_argument(
        "--out",
        type=Path,
        default=None,
        help="Directory for ising.csv, ising.json, report.md and the figures.",
    )


def _ising(parser, args):
    from .experiments.ising import make_ising_protocol, run_ising_experiment
    from .experiments.ising_report import format_ising_table, write_ising_outputs

    if args.out is not None:
        _check_out(parser, args.out)
    protocol = make_ising_protocol(quick=args.quick)
    result = run_ising_experiment(protocol, n_jobs=args.n_jobs)
    print(format_ising_table(result))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=args.out))
        try:
            write_ising_outputs(staging, result)
            written = sorted(path.name for path in staging.iterdir())
            for name in written:
                (staging / name).replace(args.out / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        print(f"Wrote {', '.join(written)} to {args.out}", file=sys.stderr)
    return 0


def _tune(args):
    import json

    from .experiments.tune import tune_invariant_network

    print("Tuning (this takes a few minutes without --quick)...", file=sys.stderr)
    result = tune_invariant_network(quick=args.quick, n_jobs=args.n_jobs)
    print(json.dumps(result, indent=2))
    return 0


def _check_out(parser, out):
    """Exit with a message unless ``out`` is, or can become, a writable folder.

    Nothing is created here: the run may still fail or be interrupted.
    """
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        parser.error(f"--out {out}: cannot write there ({existing} is not a folder).")
    if not os.access(existing, os.W_OK | os.X_OK):
        parser.error(f"--out {out}: cannot write there ({existing} is read-only).")


def _write_out(out, rows, records, description):
    """Write every output into a private folder, then move them into ``out``."""
    from .experiments.report import write_outputs

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        write_outputs(staging, rows, records, description)
        written = sorted(path.name for path in staging.iterdir())
        for name in written:
            (staging / name).replace(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"Wrote {', '.join(written)} to {out}", file=sys.stderr)


def _reproduce(parser, args):
    from .experiments.report import format_tables
    from .experiments.reproduce import make_protocol, run_experiment, summarize

    protocol = make_protocol(args.protocol, quick=args.quick, max_iter=args.max_iter)
    if args.out is not None:
        _check_out(parser, args.out)
    records = run_experiment(protocol, n_jobs=args.n_jobs)
    rows = summarize(records)
    print(format_tables(rows, protocol.describe()))
    # Only a finished run writes, and through a private folder, so an
    # interrupted or failed run leaves nothing half-written in --out.
    if args.out is not None:
        _write_out(args.out, rows, records, protocol.describe())
    return 0


def main(argv=None):
    """Entry point of the ``sk-symmetry`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "reproduce":
        return _reproduce(parser, args)
    if args.command == "tune":
        return _tune(args)
    if args.command == "ising":
        return _ising(parser, args)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
