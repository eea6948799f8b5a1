"""Command line: ``sk-symmetry reproduce`` (or ``python -m sk_symmetry reproduce``)."""

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from . import __version__
from .experiments._backend import add_backend_arguments, parallel_backend

__all__ = ["main"]

_COMMANDS = {
    "reproduce": "reproduce Tables I and II of Bergman (2019)",
    "tune": "beyond the paper: tune the invariant (10, 5) network",
}


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
    # As joblib and scikit-learn: n processes, or -1 for all cores, -2 for all
    # but one, and so on; only 0 means nothing.
    value = _integer(text)
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
    "folder for {files}, created if needed; it is checked to be writable "
    "before the first fit (default: none, nothing is written)"
)


def _parser():
    parser = argparse.ArgumentParser(
        prog="sk-symmetry",
        description="sk_symmetry: symmetry-constrained machine learning. "
        "'sk-symmetry COMMAND --help' shows a command's options.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", title="commands")
    reproduce = commands.add_parser(
        "reproduce",
        help=_COMMANDS["reproduce"],
        description="Run the paper's experiment and print Tables I and II with "
        "the paper's numbers beside ours. Progress goes to stderr.",
    )
    reproduce.add_argument(
        "--protocol",
        choices=("leak-free", "paper"),
        default="leak-free",
        help="'paper': the paper's split after shifting, per-column scaling, its "
        "seeds; 'leak-free': splits by source image, fixed scaling, repeated "
        "over splits and seeds (default: %(default)s)",
    )
    reproduce.add_argument(
        "--quick",
        action="store_true",
        help="fewer splits, seeds and iterations (100): a check, not the result "
        "(default: off)",
    )
    reproduce.add_argument(
        "--max-iter",
        type=_positive_int,
        default=None,
        help="L-BFGS iteration budget (default: 200, the paper's; 100 with --quick)",
    )
    reproduce.add_argument(
        "--n-jobs", type=_n_jobs, default=1, metavar="N", help=_N_JOBS_HELP
    )
    add_backend_arguments(reproduce)
    reproduce.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FOLDER",
        help=_OUT_HELP.format(files="cells.csv, cells.json, report.md and the figures"),
    )
    tune = commands.add_parser(
        "tune",
        help=_COMMANDS["tune"],
        description="Choose feature set, alpha, budget and restart by GridSearchCV "
        "with the worst-case scorer on the training part (folds by source image), "
        "then score the held-out split once on X and -X. The outcome is printed "
        "as JSON.",
    )
    tune.add_argument(
        "--quick", action="store_true", help="one candidate: a check (default: off)"
    )
    tune.add_argument(
        "--n-jobs", type=_n_jobs, default=1, metavar="N", help=_N_JOBS_HELP
    )
    add_backend_arguments(tune)
    tune.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FOLDER",
        help=_OUT_HELP.format(files="tune.json"),
    )
    return parser, {"reproduce": reproduce, "tune": tune}


def _check_out(parser, out):
    """Exit with ``parser``'s usage unless a file can be written in ``out``.

    Asking the file system is the only sure test (permissions, read-only
    mounts, a file in the way), so a probe file is created and removed; folders
    made for it are removed too, so an interrupted run leaves nothing behind.
    """
    missing = []
    try:
        if out.is_file():
            raise NotADirectoryError(None, "it is a file, not a folder")
        folder = out
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".probe-"):
            pass
    except OSError as exc:
        parser.error(f"--out {out}: cannot write there ({exc.strerror or exc}).")
    finally:
        for made in missing:  # deepest first
            try:
                made.rmdir()
            except OSError:
                break


def _no_out_note():
    print(
        "Nothing was written to disk (pass --out FOLDER to keep the results).",
        file=sys.stderr,
    )


def _write_out(out, write):
    """Let ``write(folder)`` fill a private folder, then move its files to ``out``.

    A run that fails or is interrupted while writing leaves nothing
    half-written in ``out``.
    """
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        write(staging)
        written = sorted(path.name for path in staging.iterdir())
        for name in written:
            (staging / name).replace(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"Wrote {', '.join(written)} to {out}", file=sys.stderr)


def _reproduce(parser, args):
    from .experiments.report import format_tables, write_outputs
    from .experiments.reproduce import make_protocol, run_experiment, summarize

    protocol = make_protocol(args.protocol, quick=args.quick, max_iter=args.max_iter)
    if args.out is not None:
        _check_out(parser, args.out)
    with parallel_backend(parser, args):
        records = run_experiment(protocol, n_jobs=args.n_jobs)
    rows = summarize(records)
    print(format_tables(rows, protocol.describe()))
    if args.out is None:
        _no_out_note()
    else:
        _write_out(
            args.out,
            lambda folder: write_outputs(folder, rows, records, protocol.describe()),
        )
    return 0


def _tune(parser, args):
    from .experiments.tune import tune_invariant_network

    if args.out is not None:
        _check_out(parser, args.out)
    with parallel_backend(parser, args):
        print("Tuning (this takes a few minutes without --quick)...", file=sys.stderr)
        result = tune_invariant_network(quick=args.quick, n_jobs=args.n_jobs)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is None:
        _no_out_note()
    else:
        _write_out(args.out, lambda folder: (folder / "tune.json").write_text(text))
    return 0


def main(argv=None):
    """Entry point of the ``sk-symmetry`` console script."""
    parser, commands = _parser()
    # Unknown options are reported by the command they were given to, with
    # that command's usage (argparse would report them with the top level's).
    args, unknown = parser.parse_known_args(argv)
    if args.command is None:
        parser.error(
            "choose a command: "
            + ", ".join(f"'{name}' ({text})" for name, text in _COMMANDS.items())
        )
    command = commands[args.command]
    if unknown:
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "reproduce":
        return _reproduce(command, args)
    return _tune(command, args)


if __name__ == "__main__":
    sys.exit(main())
