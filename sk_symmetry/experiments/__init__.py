"""The experiments behind the command line; they use the library, never the reverse.

Nothing in the library imports from here, and none of it is public API.

The protocol of an experiment
-----------------------------
Each experiment is one module (``reproduce``, ``tune``, ``groups``,
``claims``, ``ising``) that defines, at module level:

``NAME``
    The sub-command, ``sk-symmetry NAME``. Every file the command writes is
    named ``NAME.*`` or ``NAME_*`` (see ``write_outputs``).
``HELP``
    One line for ``sk-symmetry --help``.
``add_arguments(parser)``
    Adds the command's own options to its `argparse` sub-parser, each help
    ending in ``(default: ...)``. The common options ``--quick``, ``--n-jobs``,
    ``--backend``, ``--scheduler`` and ``--out`` are added by the command line
    (`_arguments.add_common_arguments`), never here.
``make_protocol(args)``
    What will be run, from the parsed arguments (``args.quick`` and the
    command's own options): usually a frozen dataclass with a ``describe()``.
    Cheap: it runs before ``--out`` and the backend are checked.
``run(protocol, *, n_jobs, backend, scheduler)``
    Does the work and returns the records. Fits go through joblib inside
    ``with _backend.backend_context(backend, scheduler, n_jobs=n_jobs):``,
    which connects before the first fit and raises `_backend.ClusterError`
    if the cluster cannot be used (the command line turns that into a usage
    error). Progress goes to standard error.
``summarize(protocol, records)``
    A JSON-able summary: everything the report and the files need
    (conventionally ``{"protocol": protocol.describe(), ..., "runs": records}``).
``format_report(summary) -> str``
    What the command prints on standard output.
``write_outputs(summary, out) -> list of paths``
    Writes the CSV, JSON, Markdown report and figures into the folder ``out``
    and returns the paths written. Name them ``NAME.csv``, ``NAME.json``,
    ``NAME.md``, ``NAME_<what>.png``: the command line writes into a staging
    folder and moves the files to ``--out``, prefixing with ``NAME_`` any name
    that does not start with ``NAME`` (links in the report to such a file
    would then break, so name them right).

Optional: ``DESCRIPTION`` (the command's ``--help`` text; default ``HELP``)
and ``QUICK`` (what ``--quick`` trades away, for its help).

A new experiment is such a module plus one line in ``_registry.EXPERIMENTS``;
the command line (``sk_symmetry/__main__.py``) loops over that table and runs
every command through the same steps. Seeds live in ``_seeds``.

Where the protocol bends
------------------------
- ``tune``'s protocol is ``{"quick": bool}`` and its records are already the
  search's outcome (a dict), so ``summarize`` returns them as they are.
- ``claims`` runs two studies in one backend: its records are
  ``{"curves": [...], "minima": {...}}``.
- ``ising`` analyses inside ``run``: its second round of fits is placed
  around the confusion peaks that the first round's analysis finds, so the
  records are the analysed result and ``summarize`` passes them on.

Modules
-------
The experiment modules above; ``*_report`` modules hold each one's tables,
files and figures; ``claims_minima`` the
minima study; ``_ising_models``, ``_ising_physics`` and ``_ising_schedule``
the Ising networks, physics analysis and scheduling of fits; ``_runner`` the
parallel loop with progress lines; ``_backend`` loky or Dask; ``_tables``
the shared table, CSV and figure helpers.
"""
