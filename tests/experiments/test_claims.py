"""``sk-symmetry claims``: a quick run, its identities, and its pieces."""


import numpy as np
import pytest
from quick_outputs import assert_figures, csv_rows, written_files

from sk_symmetry import BiaslessMLPClassifier, load_shifted_digits
from sk_symmetry.__main__ import main
from sk_symmetry.experiments.claims.minima import (
    align_hidden_units,
    aligned_distance,
)
from sk_symmetry.experiments.claims.models import (
    MODELS,
    claims_splits,
    nested_subsets,
)
from sk_symmetry.experiments.claims.run import make_claims_protocol, threshold_table

# The quick run of conftest.cli_quick_run (an unreadable figure fails it).
COMMAND = "claims"


def test_quick_run_writes_every_output(cli_quick_run):
    out, result = cli_quick_run
    names = written_files(out, COMMAND)
    assert "claims_curves.csv" in names
    protocol = make_claims_protocol(quick=True)
    runs = csv_rows(out, COMMAND)
    assert len(runs) == len(MODELS) * len(protocol.sizes) * protocol.n_splits
    assert [row["model"] for row in result["table"]] == list(MODELS)
    report = (out / "claims.md").read_text()
    assert "images to worst case 0.80" in report and "distinct minima" in report
    assert_figures(names, "claims_learning_curve.png", "claims_fit_time.png")


def test_training_sets_are_whole_source_images(cli_quick_run):
    _, result = cli_quick_run
    for run in result["runs"]:
        assert run["n_train"] == 5 * run["n_images"]  # five shifted copies each


def test_the_default_curves_end_with_the_whole_training_part():
    data = load_shifted_digits()
    protocol = make_claims_protocol()
    train, _ = claims_splits(protocol, data)[0]
    *_, (n_images, rows) = nested_subsets(train, data.groups, protocol.sizes, 0)
    assert n_images == len(np.unique(data.groups[train])) == 1437
    np.testing.assert_array_equal(np.sort(rows), np.sort(train))


def test_invariant_models_score_the_same_on_x_and_minus_x(cli_quick_run):
    _, result = cli_quick_run
    for run in result["runs"]:
        if run["model"] in ("neighbor_nobias", "neighbor", "canonical", "tuned"):
            assert run["test_accuracy"] == run["test_inverted_accuracy"]
        assert run["test_worst_case_accuracy"] == min(
            run["test_accuracy"], run["test_inverted_accuracy"]
        )


def test_minima_orbit_is_degenerate_invariant_is_not_moved(cli_quick_run):
    _, result = cli_quick_run
    minima = {m["model"]: m for m in result["minima"]["models"]}
    orbit, invariant, raw = minima["raw_orbit"], minima["neighbor"], minima["raw"]
    # Sec. IV.A as an identity: the same loss at every minimum's image.
    assert orbit["n_degenerate"] == orbit["n_fits"]
    assert orbit["max_image_loss_difference"] <= 1e-12 * max(orbit["losses"])
    # Invariant features: the image is the minimum itself.
    assert invariant["action"] == "trivial" and invariant["n_degenerate"] == 0
    assert invariant["own_image_distance_median"] == 0.0
    # Trained on X alone, the image is no minimum: its loss is higher.
    assert min(np.subtract(raw["image_losses"], raw["losses"])) > 0
    for m in minima.values():
        assert 1 <= m["n_distinct"] <= m["n_fits"]


def _network(seed, n_features=6, fit_bias=True):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(30, n_features)), np.arange(30) % 3
    net = BiaslessMLPClassifier((4, 3), fit_bias=fit_bias, max_iter=1).fit(X, y)
    coefs = [rng.normal(size=W.shape) for W in net.coefs_]
    intercepts = [rng.normal(size=b.shape) for b in net.intercepts_]
    return coefs, intercepts


@pytest.mark.parametrize("seed", range(5))
def test_a_network_with_units_permuted_and_flipped_is_at_distance_zero(seed):
    coefs, intercepts = _network(seed)
    rng = np.random.default_rng(100 + seed)
    moved_coefs, moved_intercepts = [W.copy() for W in coefs], list(intercepts)
    for layer in range(len(coefs) - 1):  # the network's own symmetries
        order = rng.permutation(coefs[layer].shape[1])
        sign = rng.choice([-1.0, 1.0], size=order.size)
        moved_coefs[layer] = moved_coefs[layer][:, order] * sign
        moved_intercepts[layer] = moved_intercepts[layer][order] * sign
        moved_coefs[layer + 1] = moved_coefs[layer + 1][order] * sign[:, None]
    A, B = (moved_coefs, moved_intercepts), (coefs, intercepts)
    assert aligned_distance(A, B) < 1e-12
    aligned, _ = align_hidden_units(A, B)
    np.testing.assert_allclose(aligned[-1], coefs[-1], atol=1e-12)
    # Another network is not the same point, nor is the inversion image of a
    # network with biases (W1 -> -W1 alone is no symmetry of the network).
    assert aligned_distance(_network(seed + 50), B) > 0.1
    assert aligned_distance(([-coefs[0], *coefs[1:]], intercepts), B) > 0.1


def test_threshold_table_interpolates_in_log_size():
    def row(model, n_images, worst, x, cpu):
        return {
            "model": model, "n_images": n_images,
            "test_worst_case_accuracy_mean": worst, "test_accuracy_mean": x,
            "train_accuracy_mean": 1.0, "gap_mean": 0.1, "gap_std": 0.0,
            "n_iter_mean": 200.0, "cpu_time_mean": cpu,
        }

    summary = [
        row("raw", 100, 0.0, 0.7, 1.0), row("raw", 1000, 0.0, 0.9, 4.0),
        row("neighbor", 100, 0.85, 0.85, 2.0), row("neighbor", 1000, 0.9, 0.9, 8.0),
    ]
    raw, neighbor = threshold_table(summary, 0.8)
    assert raw["images_to_threshold"] is None  # "never"
    assert raw["images_to_threshold_on_x"] == pytest.approx(10**2.5)
    assert neighbor["images_to_threshold"] == "<= 100"
    assert neighbor["cpu_time_at_threshold"] == 2.0
    assert neighbor["full_cpu_ratio"] == 2.0


def test_nested_subsets_take_whole_images_and_grow():
    groups = np.repeat(np.arange(20), 5)
    train = np.flatnonzero(groups < 15)
    subsets = nested_subsets(train, groups, [3, 8, None], seed=0)
    assert [n for n, _ in subsets] == [3, 8, 15]
    previous = set()
    for n, rows in subsets:
        assert len(rows) == 5 * n and set(rows) >= previous
        assert np.all(np.isin(groups[rows], np.unique(groups[rows])))
        previous = set(rows)


def test_claims_help_and_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["claims", "--n-jobs", "0"])
    assert exit_info.value.code == 2
    assert "sk-symmetry claims" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["claims", "--help"])
    assert "--quick" in capsys.readouterr().out
