"""Command line: ``sk-symmetry reproduce`` (or ``python -m sk_symmetry reproduce``).

Parse, dispatch, nothing else: every command is an experiment registered in
`sk_symmetry.experiments._registry` (the only thing read here), run through
the same steps (make the protocol, run, summarize, print, write).
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
        run = experiment.run
        command = subparsers.add_parser(
            run.NAME, help=run.HELP, description=getattr(run, "DESCRIPTION", run.HELP)
        )
        add_common_arguments(command, run)
        run.add_arguments(command)
        commands[run.NAME] = command
    return parser, commands


def _check_out(parser, out, command):
    """Exit with ``parser``'s usage unless ``command``'s files can be written
    in ``out``.

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
        # Every command writes these three; a folder in the way of one would
        # only be found after the run.
        for name in (f"{command}.{ext}" for ext in ("csv", "json", "md")):
            if (out / name).is_dir():
                raise IsADirectoryError(None, f"{name} there is a folder")
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
    half-written in ``out``; every destination is checked before the first
    file moves, and if one is in the way nothing moves and the files stay
    where the message says. Each file's name starts with the command's.
    Returns the exit status.
    """
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    keep = False
    try:
        write(staging)
        moves = [
            (path, out / _own_name(path.name, command))
            for path in sorted(staging.iterdir())
        ]
        blocked = [dest.name for _, dest in moves if dest.is_dir()]
        if blocked:
            keep = True
            print(
                f"--out {out}: not written, {', '.join(blocked)} there "
                f"{'is a folder' if len(blocked) == 1 else 'are folders'}; "
                f"the results are in {staging}",
                file=sys.stderr,
            )
            return 1
        for path, dest in moves:
            path.replace(dest)
    finally:
        if not keep:
            shutil.rmtree(staging, ignore_errors=True)
    moved = ", ".join(dest.name for _, dest in moves)
    print(f"Wrote {moved} to {out}", file=sys.stderr)
    return 0


def _run(experiment, parser, args):
    """One command: protocol, checks, run, summary, report, files."""
    run, report = experiment.run, experiment.report
    protocol = run.make_protocol(args)
    if args.out is not None:
        _check_out(parser, args.out, run.NAME)
    scheduler = check_backend_arguments(parser, args)
    try:
        records = run.run(
            protocol, n_jobs=args.n_jobs, backend=args.backend, scheduler=scheduler
        )
    except ClusterError as exc:  # raised on connecting, before any fit
        where = "--backend dask" if scheduler is None else f"--scheduler {scheduler}"
        parser.error(f"{where}: {exc}.")
    summary = run.summarize(protocol, records)
    print(report.format_report(summary))
    if args.out is None:
        print(
            "Nothing was written to disk (pass --out FOLDER to keep the results).",
            file=sys.stderr,
        )
        return 0
    return _write_out(
        args.out, run.NAME, lambda folder: report.write_outputs(summary, folder)
    )


def main(argv=None):
    """Entry point of the ``sk-symmetry`` console script."""
    parser, commands = _parser()
    # Unknown options are reported by the command they were given to, with
    # that command's usage (argparse would report them with the top level's).
    args, unknown = parser.parse_known_args(argv)
    if args.command is None:
        parser.error(
            "choose a command: "
            + ", ".join(f"'{e.run.NAME}' ({e.run.HELP})" for e in EXPERIMENTS)
        )
    command = commands[args.command]
    if unknown:
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    [experiment] = [e for e in EXPERIMENTS if e.name == args.command]
    return _run(experiment, command, args)


if __name__ == "__main__":
    sys.exit(main())
