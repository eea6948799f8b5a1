"""Command line: ``sk-symmetry reproduce`` (or ``python -m sk_symmetry reproduce``)."""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of processes or -1 for all cores, got {value}"
        )
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
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
    return parser


def _tune(args):
    import json

    from ._tune import tune_invariant_network

    print("Tuning (this takes a few minutes without --quick)...", file=sys.stderr)
    result = tune_invariant_network(quick=args.quick, n_jobs=args.n_jobs)
    print(json.dumps(result, indent=2))
    return 0


def _prepare_out(parser, out):
    """Create ``out`` and a private folder inside it, or exit with a message."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    except OSError as exc:
        parser.error(f"--out {out}: cannot write there ({exc.strerror or exc}).")


def _reproduce(parser, args):
    from ._report import format_tables, write_outputs
    from ._reproduce import make_protocol, run_experiment, summarize

    protocol = make_protocol(args.protocol, quick=args.quick, max_iter=args.max_iter)
    # Outputs are written into a private folder first and moved into --out only
    # once complete, so an interrupted or failed run leaves nothing half-written.
    staging = _prepare_out(parser, args.out) if args.out is not None else None
    try:
        records = run_experiment(protocol, n_jobs=args.n_jobs)
        rows = summarize(records)
        print(format_tables(rows, protocol.describe()))
        if staging is not None:
            write_outputs(staging, rows, records, protocol.describe())
            written = sorted(path.name for path in staging.iterdir())
            for name in written:
                (staging / name).replace(args.out / name)
            print(f"Wrote {', '.join(written)} to {args.out}", file=sys.stderr)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return 0


def main(argv=None):
    """Entry point of the ``sk-symmetry`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "reproduce":
        return _reproduce(parser, args)
    if args.command == "tune":
        return _tune(args)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
