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
    "groups": "the paper's experiment under mirrors and rotations",
    "claims": "the paper's claims measured: data, time, over-fitting, minima",
    "ising": "physics: the 2D Ising critical temperature from networks",
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
    reproduce = _add_command(
        commands,
        "reproduce",
        description="Run the paper's experiment and print Tables I and II with "
        "the paper's numbers beside ours. Progress goes to stderr.",
        quick="fewer splits, seeds and iterations (100): a check, not the result",
        files="cells.csv, cells.json, report.md and the figures",
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
        "--max-iter",
        type=_positive_int,
        default=None,
        help="L-BFGS iteration budget (default: 200, the paper's; 100 with --quick)",
    )
    tune = _add_command(
        commands,
        "tune",
        description="Choose feature set, alpha, budget and restart by GridSearchCV "
        "with the worst-case scorer on the training part (folds by source image), "
        "then score the held-out split once on X and -X. The outcome is printed "
        "as JSON.",
        quick="one candidate: a check",
        files="tune.json",
    )
    groups = _add_command(
        commands,
        "groups",
        description="Train on the digits as they are; score every model on the "
        "orbit of the test set under inversion, mirror x inversion and the "
        "dihedral group x inversion (16 elements). Progress goes to stderr.",
        quick="one split, two groups, five models, 40 iterations: a check",
        files="groups.csv, groups.json, report.md and figures",
    )
    claims = _add_command(
        commands,
        "claims",
        description="Learning curves by training size (leak-free, by source "
        "image) for raw pixels on X and on +-X, invariant features and the tuned "
        "network: worst-case accuracy, over-fitting gap, fit time, iterations; "
        "the training size each needs for a worst case of 0.80; and the minima "
        "of Sec. IV.A from several seeds. Progress goes to stderr.",
        quick="2 splits, 3 sizes up to 600 images, fewer iterations and seeds: a "
        "check, not the result",
        files="claims.csv, claims_curves.csv, claims.json, claims.md and the "
        "figures",
    )
    ising = _add_command(
        commands,
        "ising",
        description="Generate 2D Ising data with Wolff cluster Monte Carlo, find "
        "T_c with networks (protocol A: labels from Onsager's T_c; protocol B: "
        "learning by confusion, no T_c given) and with the Binder cumulant, "
        "and compare with Onsager's value. Progress goes to stderr.",
        quick="small sizes and fewer models: a check",
        files="ising.csv, ising.json, report.md and figures",
    )
    return parser, {
        "reproduce": reproduce,
        "tune": tune,
        "groups": groups,
        "claims": claims,
        "ising": ising,
    }


def _add_command(commands, name, *, description, quick, files):
    """A command with the options every experiment takes: --quick, --n-jobs,
    --backend and --scheduler, --out."""
    command = commands.add_parser(name, help=_COMMANDS[name], description=description)
    command.add_argument(
        "--quick", action="store_true", help=f"{quick} (default: off)"
    )
    command.add_argument(
        "--n-jobs", type=_n_jobs, default=1, metavar="N", help=_N_JOBS_HELP
    )
    add_backend_arguments(command)
    command.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FOLDER",
        help=_OUT_HELP.format(files=files),
    )
    return command


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


def _groups(parser, args):
    from .experiments.groups import make_protocol, run_groups, summarize_groups
    from .experiments.groups_report import format_groups_table, write_groups_outputs

    protocol = make_protocol(quick=args.quick)
    if args.out is not None:
        _check_out(parser, args.out)
    with parallel_backend(parser, args):
        records = run_groups(protocol, n_jobs=args.n_jobs, progress=sys.stderr)
    rows = summarize_groups(records)
    print(format_groups_table(rows, protocol.describe()))
    if args.out is None:
        _no_out_note()
    else:
        _write_out(
            args.out,
            lambda folder: write_groups_outputs(
                folder, rows, records, protocol.describe()
            ),
        )
    return 0


def _claims(parser, args):
    from .experiments.claims import (
        make_claims_protocol,
        run_learning_curves,
        summarize_curves,
        threshold_table,
    )
    from .experiments.claims_minima import study_minima
    from .experiments.claims_report import format_claims, write_claims_outputs

    protocol = make_claims_protocol(quick=args.quick)
    if args.out is not None:
        _check_out(parser, args.out)
    with parallel_backend(parser, args):
        records = run_learning_curves(
            protocol, n_jobs=args.n_jobs, progress=sys.stderr
        )
        minima = study_minima(protocol, n_jobs=args.n_jobs, progress=sys.stderr)
    summary = summarize_curves(records)
    table = threshold_table(summary, protocol.threshold)
    description = protocol.describe()
    print(format_claims(summary, table, minima, description, protocol.threshold))
    cpu = sum(r["cpu_time"] for r in records) + minima["cpu_time"]
    print(
        f"{len(records)} learning-curve fits and {minima['n_fits']} minima fits used "
        f"{cpu:.0f} s of CPU in the fitting processes.",
        file=sys.stderr,
    )
    if args.out is None:
        _no_out_note()
    else:
        _write_out(
            args.out,
            lambda folder: write_claims_outputs(
                folder, records, summary, table, minima, description,
                protocol.threshold,
            ),
        )
    return 0


def _ising(parser, args):
    from .experiments.ising import make_ising_protocol, run_ising_experiment
    from .experiments.ising_report import format_ising_table, write_ising_outputs

    if args.out is not None:
        _check_out(parser, args.out)
    protocol = make_ising_protocol(quick=args.quick)
    with parallel_backend(parser, args):
        result = run_ising_experiment(protocol, n_jobs=args.n_jobs)
    print(format_ising_table(result))
    if args.out is None:
        _no_out_note()
    else:
        _write_out(args.out, lambda folder: write_ising_outputs(folder, result))
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
    run = {
        "reproduce": _reproduce,
        "tune": _tune,
        "groups": _groups,
        "claims": _claims,
        "ising": _ising,
    }[args.command]
    return run(command, args)


if __name__ == "__main__":
    sys.exit(main())
