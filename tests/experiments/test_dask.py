"""The experiments on a Dask cluster: same results as loky, faults, progress, clean-up.

One local cluster of two single-threaded worker processes serves the module;
on leaving, every process it started (and every process a test started) must
be gone.
"""

import functools
import io
import json
import os
import re
import signal
import time
from argparse import Namespace
from pathlib import Path

import pytest

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

from distributed import Client, LocalCluster  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402

from sk_symmetry.__main__ import main  # noqa: E402
from sk_symmetry.experiments import _backend  # noqa: E402
from sk_symmetry.experiments._backend import backend_context  # noqa: E402
from sk_symmetry.experiments.reproduce import run as reproduce  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# Generous: the machine's two cores are shared, and a worker restart imports
# scikit-learn from scratch.
PATIENCE = 60


def _children():
    """Our child processes, but for joblib's and multiprocessing's long-lived ones.

    loky keeps its worker pool (and both keep a resource tracker) for reuse on
    purpose; everything else a test starts must end with it.
    """
    return {
        child
        for child in psutil.Process().children(recursive=True)
        if not any(
            "loky" in part or "resource_tracker" in part for part in _cmdline(child)
        )
    }


def _cmdline(process):
    try:
        return process.cmdline()
    except psutil.Error:  # it ended meanwhile
        return []


def _assert_all_gone(processes):
    _, alive = psutil.wait_procs(processes, timeout=PATIENCE)
    assert [p for p in alive if _running(p)] == []


def _running(process):
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def process_cluster_client():
    """A client of a local cluster of two worker processes, one thread each."""
    before = _children()
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, Client(cluster) as client:
        yield client
        # The cluster's processes, including workers restarted after a kill.
        started = _children() - before
    _assert_all_gone(started)


def _worker_pids(client):
    return client.run(os.getpid)


def _runs_without_timing(runs):
    return [{k: v for k, v in run.items() if k != "fit_time"} for run in runs]


@pytest.fixture(scope="module")
def loky_records():
    protocol = reproduce.named_protocol("leak-free", quick=True)
    return reproduce.run_experiment(protocol, n_jobs=2, progress=None)


def test_reproduce_gives_the_same_cells_bitwise_on_dask_and_on_loky(
    process_cluster_client, loky_records, tmp_path, capsys
):
    out = tmp_path / "dask"
    argv = ["reproduce", "--quick", "--backend", "dask", "--out", str(out)]
    assert main([*argv, "--scheduler", process_cluster_client.scheduler.address]) == 0
    capsys.readouterr()
    assert not any(path.name.startswith(".") for path in out.iterdir())
    # JSON keeps floats exactly (the shortest repr that reads back the same).
    on_dask = json.loads((out / "reproduce.json").read_text())
    assert len(on_dask["runs"]) == 10
    assert _runs_without_timing(on_dask["runs"]) == _runs_without_timing(loky_records)
    assert on_dask["cells"] == reproduce.summarize_cells(loky_records)


class _KillAWorkerOnFirstLine(io.StringIO):
    """A progress stream that kills a busy worker process at the first fit done."""

    def __init__(self, client):
        super().__init__()
        self.client = client
        self.pids = _worker_pids(client)
        self.killed = None

    def write(self, text):
        if self.killed is None and text.strip():
            busy = [w for w, tasks in self.client.processing().items() if tasks]
            self.killed = (busy or sorted(self.pids))[0]
            os.kill(self.pids[self.killed], signal.SIGKILL)
        return super().write(text)


def test_a_killed_worker_costs_only_its_fits_and_progress_goes_on(
    process_cluster_client, loky_records
):
    protocol = reproduce.named_protocol("leak-free", quick=True)
    progress = _KillAWorkerOnFirstLine(process_cluster_client)
    with backend_context("dask", process_cluster_client.scheduler.address):
        records = reproduce.run_experiment(protocol, progress=progress)
    # The scheduler saw the worker go while it held fits, and ran them again.
    removals = [
        event
        for _, event in process_cluster_client.get_events(progress.killed)
        if event.get("action") == "remove-worker"
    ]
    assert removals and removals[-1]["processing-tasks"]
    assert not removals[-1]["lost-scattered-tasks"]  # no data lived on it alone
    assert _runs_without_timing(records) == _runs_without_timing(loky_records)
    # Progress: one line per finished fit, with the time left, rerun or not.
    lines = progress.getvalue().splitlines()
    assert len(lines) == 10
    for done, line in enumerate(lines, start=1):
        # The time left once three fits are done (the first ones pay start-up).
        left = r", ~\d+ s left" if done >= 3 else ""
        assert re.match(rf"\[ *{done}/10\] .* elapsed \d+ s{left}$", line)
    # the nanny restarts it
    process_cluster_client.wait_for_workers(2, timeout=PATIENCE)


class _Interrupt(io.StringIO):
    def write(self, text):
        raise KeyboardInterrupt


# joblib notes the fits it dropped: that is the point here.
@pytest.mark.filterwarnings(r"ignore:.*tasks (have been|which were)")
def test_a_run_that_cannot_finish_leaves_no_output_and_no_work(
    process_cluster_client, tmp_path, monkeypatch
):
    run_experiment = reproduce.run_experiment

    def interrupted(protocol, **kwargs):
        return run_experiment(protocol, progress=_Interrupt(), **kwargs)

    monkeypatch.setattr(reproduce, "run_experiment", interrupted)
    out = tmp_path / "results"
    argv = ["reproduce", "--quick", "--backend", "dask"]
    address = process_cluster_client.scheduler.address
    with pytest.raises(KeyboardInterrupt):
        main([*argv, "--scheduler", address, "--out", str(out)])
    assert not out.exists()
    # The command's client is gone, and its queued fits with it.
    deadline = time.monotonic() + PATIENCE
    n_tasks = functools.partial(process_cluster_client.run_on_scheduler, _n_tasks)
    while n_tasks() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert n_tasks() == 0


def _n_tasks(dask_scheduler):
    return len(dask_scheduler.tasks)


def test_user_guide_grid_search_scores_the_same_on_dask_as_locally(
    process_cluster_client,
):
    """The cluster page's example, run on the cluster, then locally."""
    import textwrap

    from sklearn.base import clone

    block = re.search(
        r"Your own searches on a cluster.*?\.\. code-block:: python\n\n(.*?)\n\S",
        _cluster_page(),
        re.S,
    )
    assert block, "docs/user_guide/cluster.rst lost its cluster example"
    code = textwrap.dedent(block.group(1))
    assert 'Client("tcp://HOST:8786")' in code
    namespace = {}
    try:
        address = process_cluster_client.scheduler.address
        exec(code.replace("tcp://HOST:8786", address), namespace)
    finally:
        if "client" in namespace:
            namespace["client"].close()
    on_dask = namespace["search"]
    digits = namespace["digits"]
    local = clone(on_dask).fit(digits.data, digits.target, groups=digits.groups)
    scores = [key for key in local.cv_results_ if re.match(r"split\d+_test_", key)]
    assert len(scores) == 3 * 3  # three folds, three scorers
    for key in scores:
        assert list(on_dask.cv_results_[key]) == list(local.cv_results_[key]), key
    assert on_dask.best_params_ == local.best_params_


def _cluster_page():
    return (ROOT / "docs" / "user_guide" / "cluster.rst").read_text()


def test_tune_runs_on_dask(process_cluster_client, tmp_path, capsys):
    address = process_cluster_client.scheduler.address
    out = tmp_path / "tune"
    argv = ["tune", "--quick", "--backend", "dask", "--scheduler", address]
    assert main([*argv, "--out", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert json.loads((out / "tune.json").read_text()) == result
    # What the same command gives on loky (tests/test_reproduce.py).
    assert result["n_candidates"] == 1
    assert result["test_accuracy"] == result["test_inverted_accuracy"] > 0.5
    assert result["best_params"]["features"] == "neighbor (horizontal)"


@pytest.mark.slow
def test_without_a_scheduler_a_local_cluster_of_n_jobs_workers_is_started_and_closed():
    before = _children()
    with backend_context("dask", n_jobs=2) as own:
        pids = set(_worker_pids(own).values())
        assert len(pids) == 2 and os.getpid() not in pids
        # joblib now sends its tasks to that cluster.
        ran_in = Parallel(n_jobs=1)(delayed(os.getpid)() for _ in range(4))
        assert set(ran_in) <= pids
        started = _children() - before
    _assert_all_gone(started)


def _args(**kwargs):
    return Namespace(**{"backend": "dask", "scheduler": None, "n_jobs": 1, **kwargs})


def test_scheduler_address_defaults_to_dask_s_environment_variable(
    process_cluster_client, monkeypatch
):
    from sk_symmetry.__main__ import _parser

    own = process_cluster_client.scheduler.address
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", own)
    _, commands = _parser()
    address = _backend.check_backend_arguments(commands["reproduce"], _args())
    assert address == own
    with backend_context("dask", address) as connected:
        assert connected.scheduler.address == own


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler is for --backend dask"),
        (["--backend", "spark"], "invalid choice: 'spark'"),
        (
            ["--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"],
            "--scheduler tcp://127.0.0.1:9: cannot connect",
        ),
    ],
)
@pytest.mark.parametrize("command", ["reproduce", "tune"])
def test_bad_backend_arguments_exit_before_any_fit(
    command, argv, message, monkeypatch, capsys
):
    from sk_symmetry.experiments.tune import run as tune

    def fit(*args, **kwargs):
        raise AssertionError("a fit started")

    monkeypatch.setattr(reproduce, "run_experiment", fit)
    monkeypatch.setattr(tune, "tune_invariant_network", fit)
    monkeypatch.setattr(_backend, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(SystemExit) as exc:
        main([command, "--quick", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: sk-symmetry {command} ")
    assert message in err


def test_without_dask_installed_the_backend_says_how_to_get_it(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(SystemExit):
        main(["reproduce", "--backend", "dask"])
    assert 'pip install "sk_symmetry[dask]"' in capsys.readouterr().err


def test_a_cluster_with_another_sk_symmetry_is_refused_before_any_fit(
    process_cluster_client, monkeypatch, capsys
):
    import sk_symmetry

    # The workers are other processes: they keep the real version.
    monkeypatch.setattr(sk_symmetry, "__version__", "0.0.0+another")
    address = process_cluster_client.scheduler.address
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--quick", "--backend", "dask", "--scheduler", address])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"--scheduler {address}: the cluster runs another sk_symmetry" in err
    for worker in _worker_pids(process_cluster_client):
        assert worker in err


@pytest.mark.parametrize(
    "address", ["tcp://127.0.0.1:8786", "tcp://[::1]:8786", "127.0.0.1:0", "inproc://x"]
)
def test_well_formed_scheduler_addresses_pass_the_check(address):
    _backend.check_scheduler_address(address)


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1:notaport", "udp://127.0.0.1:8786", "tcp://:8786", "tcp://h:-1"],
)
def test_malformed_scheduler_addresses_are_refused_by_the_backend(address):
    with pytest.raises(ValueError, match="tcp://HOST:8786"):
        _backend.backend_context("dask", address)
