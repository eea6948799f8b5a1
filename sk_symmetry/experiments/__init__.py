"""The experiments behind the command line; they use the library, never the reverse.

Nothing in the library imports from here, and none of it is public API.

The shape of an experiment
--------------------------
Each experiment is a folder (``reproduce``, ``tune``, ``groups``, ``claims``,
``ising``, ``ising_regression``, ``benchmark``) with two modules.

``run.py``: what is run.

``NAME``
    The sub-command, ``sk-symmetry NAME``. Every file the command writes is
    named ``NAME.*`` or ``NAME_*`` (see ``write_outputs``).
``HELP``
    One line for ``sk-symmetry --help``; optional ``DESCRIPTION`` (the
    command's ``--help`` text; default ``HELP``) and ``QUICK`` (what
    ``--quick`` trades away, for its help).
``add_arguments(parser)``
    Adds the command's own options to its `argparse` sub-parser, each help
    ending in ``(default: ...)``, each checked by its ``type`` (the types of
    ``_arguments``), so a bad value is argparse's usage error. The common
    options ``--quick``, ``--n-jobs``, ``--backend``, ``--scheduler`` and
    ``--out`` are added by the command line, never here.
``make_protocol(args)``
    What will be run, from the parsed arguments: a frozen dataclass deriving
    from `_protocol.Protocol`, with a one-line ``describe()``. Cheap: it runs
    before ``--out`` and the backend are checked.
``run(protocol, *, n_jobs, backend, scheduler)``
    Does the work and returns the records. Fits go through joblib
    (`_runner.run_tasks`) inside ``with _backend.backend_context(backend,
    scheduler, n_jobs=n_jobs):``, which connects before the first fit and
    raises `_backend.ClusterError` if the cluster cannot be used. A model is
    fitted with `_fitting.timed_fit` (or inside
    `_fitting.budget_reached_is_expected`). Progress goes to standard error.
    Every seed comes from `_seeds`.
``summarize(protocol, records)``
    A JSON-able summary: everything the report needs
    (conventionally ``{"protocol": protocol.describe(), ..., "runs": records}``).

``report.py``: how it is shown. It reads the summary only, never ``run``.

``format_report(summary, *, markdown=False)``
    The tables as printed on standard output (or as Markdown for the report).
``write_outputs(summary, out)``
    Writes the CSV, JSON, Markdown report and figures into the folder ``out``
    and returns the paths written. Name them ``NAME.csv``, ``NAME.json``,
    ``NAME.md``, ``NAME_<what>.png``: the command line writes into a staging
    folder and moves the files to ``--out``, prefixing with ``NAME_`` any name
    that does not start with ``NAME`` (links in the report to such a file
    would then break, so name them right).

Anything else an experiment needs sits in its folder beside these two
(``claims/models.py`` the models that ``run``, ``minima`` and ``report``
share; ``benchmark/pipelines.py`` the benchmark's rows; ``ising/models.py``,
``physics.py``, ``schedule.py``). Such a module
imports no ``run`` or ``report`` module, so there is no import circle (the
layout test checks it, imports inside functions included).

A new experiment is such a folder plus one line in ``_registry.EXPERIMENTS``,
the only thing the command line (``sk_symmetry/__main__.py``) reads; it runs
every command through the same steps.

Where the shape bends
---------------------
- ``tune``'s records are already the search's outcome (a dict), so
  ``summarize`` returns them as they are.
- ``claims`` runs two studies in one backend: its records are
  ``{"curves": [...], "minima": {...}}``.
- ``ising`` analyses inside ``run``: its second round of fits is placed
  around the confusion peaks that the first round's analysis finds, so the
  records are the analysed result and ``summarize`` passes them on.

Shared modules
--------------
``_registry`` the list of experiments; ``_arguments`` the argument types and
common options; ``_protocol`` the protocol type; ``_runner`` the parallel loop
with progress lines; ``_fitting`` the timed fit; ``_backend`` loky or Dask;
``_seeds`` every seed; ``_tables`` the table, CSV and figure helpers.
"""
