"""Where a command's fits run: joblib's own processes, or a Dask cluster.

Every experiment dispatches its fits through joblib (``Parallel``, or
scikit-learn's ``n_jobs``), so running it on a Dask cluster needs no change to
the experiment: only ``joblib.parallel_config(backend="dask")`` around it.
Every experiment's ``run`` enters `backend_context` around its fits; the
command line adds ``--backend`` and ``--scheduler`` (`add_backend_arguments`)
and checks them before any work (`check_backend_arguments`).

Dask (``pip install "sk_symmetry[dask]"``) is imported only when
``--backend dask`` is chosen.
"""

import os
from contextlib import ExitStack, contextmanager

from joblib import cpu_count, parallel_config

__all__ = [
    "ClusterError",
    "add_backend_arguments",
    "backend_context",
    "check_backend_arguments",
    "check_scheduler_address",
]

BACKENDS = ("loky", "dask")
# Dask's own variable, read by `dask.distributed.Client()` too.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
# How long to wait for a scheduler to answer before giving up.
CONNECT_TIMEOUT = "30s"


class ClusterError(RuntimeError):
    """The cluster cannot run this sk_symmetry's fits."""


def add_backend_arguments(parser):
    """Add ``--backend {loky,dask}`` and ``--scheduler ADDRESS`` to ``parser``."""
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="loky",
        help="where the fits run: 'loky', processes on this machine; 'dask', a "
        "Dask cluster (needs the [dask] extra). Results are the same on both "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --backend dask: the Dask scheduler to send the fits to, e.g. "
        "tcp://HOST:8786 (default: $" + SCHEDULER_ENV + " if set, else a local "
        "cluster of --n-jobs worker processes, closed at the end)",
    )


def check_backend_arguments(parser, args):
    """The scheduler that ``args`` ask for; bad arguments exit with ``parser``'s usage.

    What can be checked without a cluster is checked here, at once: the
    backend's dependencies and the scheduler address's form. Whether the
    scheduler answers is checked when the run connects, before its first fit.
    Returns the scheduler address (``$DASK_SCHEDULER_ADDRESS`` when none is
    given), or None.
    """
    scheduler = args.scheduler
    if args.backend != "dask":
        if scheduler is not None:
            parser.error("--scheduler is for --backend dask.")
        return None
    try:
        import distributed  # noqa: F401
    except ImportError:
        parser.error(
            "--backend dask needs dask and distributed: "
            "pip install \"sk_symmetry[dask]\"."
        )
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None:
        try:
            check_scheduler_address(scheduler)
        except ValueError as exc:
            parser.error(f"--scheduler {scheduler}: {exc}.")
    return scheduler


# Protocols whose location is HOST:PORT.
_HOST_PORT = ("tcp", "tls", "ws", "wss", "ucx")


def check_scheduler_address(address):
    """Raise ValueError unless ``address`` is a Dask address that can be tried.

    A malformed address (a protocol Dask does not know, such as ``udp://``, or
    a port that is not a number from 0 to 65535) would otherwise be found out
    only when the connection times out, with a traceback.
    """
    from distributed.comm import parse_address
    from distributed.comm.registry import backends

    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"not a scheduler address: {address!r}")
    protocol, location = parse_address(address)
    if protocol not in backends:
        raise ValueError(
            f"unknown protocol {protocol!r}; Dask speaks {sorted(backends)} "
            "(e.g. tcp://HOST:8786)"
        )
    if protocol in _HOST_PORT:
        from distributed.comm.addressing import parse_host_port

        try:
            host, port = parse_host_port(location)
        except ValueError:
            host, port = None, None
        if not host or port is None or not 0 <= port <= 65535:
            raise ValueError(
                f"{location!r} is not HOST:PORT with a port from 0 to 65535 "
                "(e.g. tcp://HOST:8786)"
            )


def backend_context(backend="loky", scheduler=None, *, n_jobs=1):
    """A context manager inside which joblib dispatches to ``backend``.

    Parameters
    ----------
    backend : {"loky", "dask"}, default="loky"
        ``"loky"`` leaves joblib's default alone. ``"dask"`` makes joblib send
        its tasks to a Dask cluster: the one at ``scheduler``, or else a
        `distributed.LocalCluster` of ``n_jobs`` single-threaded worker
        processes, started here and closed on leaving.
    scheduler : str, default=None
        Address of a running Dask scheduler, e.g. ``"tcp://host:8786"``.
    n_jobs : int, default=1
        Size of the local cluster, counted as joblib counts (``-1``: all
        cores). On a running cluster every worker thread is used, whatever
        ``n_jobs`` says (that is how joblib's Dask backend works).

    Raises
    ------
    ValueError
        If ``backend`` is unknown or ``scheduler`` is no Dask address.
    ClusterError
        If the scheduler does not answer, or the scheduler or a worker cannot
        import sk_symmetry, or has another version of it: the scheduler
        unpickles the tasks and the workers run them, so either would make the
        run hang or differ.

    Returns
    -------
    context : context manager
        Entered, it yields the `distributed.Client` (``None`` for loky). The
        client (and the cluster it started) is connected before this function
        returns, so a scheduler that does not answer fails here, before any
        work.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    if backend == "loky":
        return _loky_context()
    if scheduler is not None:
        check_scheduler_address(scheduler)
    return _dask_context(*_connect(scheduler, n_jobs))


@contextmanager
def _loky_context():
    yield None


def _connect(scheduler, n_jobs):
    """A connected client, and the ExitStack that closes it (and its cluster)."""
    from distributed import Client, LocalCluster

    stack = ExitStack()
    try:
        if scheduler is None:
            n_workers = n_jobs if n_jobs > 0 else max(cpu_count() + 1 + n_jobs, 1)
            # One thread per worker process: the fits run Python code under
            # the GIL, and the estimator keeps BLAS to one thread itself.
            scheduler = stack.enter_context(
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                )
            )
        try:
            client = stack.enter_context(
                Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
            )
        except OSError as exc:  # includes the TimeoutError of an absent scheduler
            raise ClusterError(f"cannot connect ({exc})") from exc
        _check_cluster(client)
    except BaseException:
        stack.close()
        raise
    return client, stack


@contextmanager
def _dask_context(client, stack):
    with stack, parallel_config(backend="dask", client=client):
        yield client


def _check_cluster(client):
    """Raise `ClusterError` unless the whole cluster runs this sk_symmetry."""
    here = _version()
    try:
        there = {"the scheduler": client.run_on_scheduler(_version)}
        there.update(client.run(_version))
    except ImportError as exc:
        raise ClusterError(
            f"the cluster cannot import sk_symmetry ({exc}): install the project "
            "where the scheduler and every worker run"
        ) from exc
    other = {name: version for name, version in there.items() if version != here}
    if other:
        raise ClusterError(
            f"the cluster runs another sk_symmetry than this one ({here}): {other}"
        )


def _version():
    # Pickled by reference, so it runs only where sk_symmetry can be imported.
    from .. import __version__

    return __version__
