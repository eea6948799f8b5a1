"""Command line: ``sk-symmetry reproduce`` (or ``python -m sk_symmetry reproduce``).

Parse, dispatch, nothing else: every command is an experiment registered in
`sk_symmetry.experiments._registry`, run through the same steps (make the
protocol, run, summarize, print, write).
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from . import __version__
from .experiments._arguments import add_common_arguments
from .experiments._backend import ClusterError, check_backend_arguments
from .experiments._registry import EXPERIMENTS

__all__ = ["main"]


def _parser():
    """The top-level parser, and each command's parser by name."""
    parser = argparse.ArgumentParser(
        prog="sk-symmetry",
        description="sk_symmetry: symmetry-constrained machine learning. "
        "'sk-symmetry COMMAND --help' shows a command's options.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    subparsers = parser.add_subparsers(dest="command", title="commands")
    commands = {}
    for experiment in EXPERIMENTS:
        command = subparsers.add_parser(
            experiment.NAME,
            help=experiment.HELP,
            description=getattr(experiment, "DESCRIPTION", experiment.HELP),
        )
        add_common_arguments(command, experiment)
        experiment.add_arguments(command)
        commands[experiment.NAME] = command
    return parser, commands


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


def _own_name(name, command):
    """``name`` if it is the command's (``NAME.*`` or ``NAME_*``), else prefixed.

    Commands share ``--out`` folders: a file named after its command cannot
    replace another command's file.
    """
    if name.startswith(f"{command}_") or name.partition(".")[0] == command:
        return name
    return f"{command}_{name}"


def _write_out(out, command, write):
    """Let ``write(folder)`` fill a private folder, then move its files to ``out``.

    A run that fails or is interrupted while writing leaves nothing
    half-written in ``out``. Each file's name starts with the command's.
    """
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        write(staging)
        moved = []
        for path in sorted(staging.iterdir()):
            name = _own_name(path.name, command)
            path.replace(out / name)
            moved.append(name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"Wrote {', '.join(moved)} to {out}", file=sys.stderr)


def _run(experiment, parser, args):
    """One command: protocol, checks, run, summary, report, files."""
    protocol = experiment.make_protocol(args)
    if args.out is not None:
        _check_out(parser, args.out)
    scheduler = check_backend_arguments(parser, args)
    try:
        records = experiment.run(
            protocol, n_jobs=args.n_jobs, backend=args.backend, scheduler=scheduler
        )
    except ClusterError as exc:  # raised on connecting, before any fit
        where = "--backend dask" if scheduler is None else f"--scheduler {scheduler}"
        parser.error(f"{where}: {exc}.")
    summary = experiment.summarize(protocol, records)
    print(experiment.format_report(summary))
    if args.out is None:
        print(
            "Nothing was written to disk (pass --out FOLDER to keep the results).",
            file=sys.stderr,
        )
    else:
        _write_out(
            args.out,
            experiment.NAME,
            lambda folder: experiment.write_outputs(summary, folder),
        )
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
            + ", ".join(f"'{e.NAME}' ({e.HELP})" for e in EXPERIMENTS)
        )
    command = commands[args.command]
    if unknown:
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    [experiment] = [e for e in EXPERIMENTS if e.NAME == args.command]
    return _run(experiment, command, args)


if __name__ == "__main__":
    sys.exit(main())
