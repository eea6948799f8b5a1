"""`symmetry_degeneracy`: the degenerate minima of Sec. IV.A, as exact identities."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_symmetry import (
    BiaslessMLPClassifier,
    GroupInvariantTransformer,
    InversionInvariantTransformer,
    OrbitAugmentedClassifier,
    SymmetryGroup,
    invert,
    symmetry_degeneracy,
)
from sk_symmetry.inspection import first_layer_action

# Random networks: a fit of one iteration sets the shapes and classes, then
# every weight and bias is redrawn, so the identity is checked away from any
# minimum.
networks = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n_samples": st.integers(4, 30),
        "hidden": st.lists(st.integers(1, 6), min_size=1, max_size=2),
        "n_classes": st.integers(2, 4),
        "fit_bias": st.booleans(),
        "activation": st.sampled_from(["tanh", "relu", "logistic", "identity"]),
        "alpha": st.sampled_from([0.0, 1e-5, 0.3, 10.0]),
    }
)


def _network(spec):
    return BiaslessMLPClassifier(
        spec["hidden"], activation=spec["activation"], solver="lbfgs",
        alpha=spec["alpha"], fit_bias=spec["fit_bias"], max_iter=1,
        random_state=0,
    )


def _data(spec, n_features):
    rng = np.random.default_rng(spec["seed"])
    X = rng.normal(size=(spec["n_samples"], n_features))
    y = np.arange(spec["n_samples"]) % spec["n_classes"]  # every class present
    return X, rng.permutation(y), rng


def _randomize(network, rng):
    network.coefs_ = [rng.normal(scale=1.5, size=W.shape) for W in network.coefs_]
    if network.fit_bias:
        network.intercepts_ = [rng.normal(size=b.shape) for b in network.intercepts_]


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@settings(max_examples=40, deadline=None)
@given(networks, st.integers(1, 6))
def test_orbit_trained_loss_is_the_same_at_every_image(spec, n_features):
    X, y, rng = _data(spec, n_features)
    X_before = X.copy()
    model = _fit(OrbitAugmentedClassifier(_network(spec)), X, y)
    _randomize(model.estimator_, rng)
    result = symmetry_degeneracy(model, X, y)
    assert result.elements == ("identity", "invert")
    assert result.action == "raw"
    assert result.max_difference <= 1e-12 * result.losses[0]
    assert list(result.moved) == [False, True]
    assert result.degenerate
    np.testing.assert_array_equal(X, X_before)


@settings(max_examples=25, deadline=None)
@given(networks, st.sampled_from([(2, 2), (3, 3), (2, 3)]), st.booleans())
def test_loss_on_a_group_orbit_is_the_same_at_every_image(spec, image_shape, wrap):
    # A network trained on the orbit of X under a group of 8 or 16 elements:
    # by OrbitAugmentedClassifier, or by hand on the stacked orbit.
    group = SymmetryGroup.mirror(image_shape) * SymmetryGroup.inversion()
    if image_shape[0] == image_shape[1]:
        group = SymmetryGroup.dihedral(image_shape) * SymmetryGroup.inversion()
    X, y, rng = _data(spec, image_shape[0] * image_shape[1])
    if wrap:
        model = _fit(OrbitAugmentedClassifier(_network(spec), symmetry=group), X, y)
        network = model.estimator_
    else:
        X, y = np.concatenate(group.orbit(X)), np.tile(y, len(group))
        model = network = _fit(_network(spec), X, y)
    _randomize(network, rng)
    result = symmetry_degeneracy(model, X, y, symmetry=group)
    assert result.elements == tuple(g.name for g in group)
    assert result.max_difference <= 1e-12 * result.losses[0]
    assert result.moved.sum() == len(group) - 1  # random weights: all move
    assert result.degenerate


@settings(max_examples=25, deadline=None)
@given(networks, st.integers(1, 5))
def test_the_moved_network_computes_on_x_what_the_fitted_one_does_on_gx(
    spec, n_features
):
    # first_layer_action's convention: g(X) @ W == X @ (P @ W).
    X, y, rng = _data(spec, n_features)
    group = SymmetryGroup.translations(n_features) * SymmetryGroup.inversion()
    network = _fit(_network(spec), X, y)
    _randomize(network, rng)
    W = network.coefs_[0]
    for g in group:
        expected = network.predict_proba(g(X))
        network.coefs_[0] = first_layer_action(g, n_features) @ W
        np.testing.assert_allclose(network.predict_proba(X), expected, rtol=1e-12)
        network.coefs_[0] = W


@pytest.mark.parametrize(
    "features",
    [
        InversionInvariantTransformer("neighbor", image_shape=(3, 3)),
        InversionInvariantTransformer("square"),
        GroupInvariantTransformer(kind="canonical", random_state=0),
    ],
)
def test_on_invariant_features_the_move_does_nothing(features):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 9)), rng.integers(0, 3, 40)
    model = _fit(
        make_pipeline(features, BiaslessMLPClassifier((4,), max_iter=20)), X, y
    )
    result = symmetry_degeneracy(model, X, y)
    assert result.action == "trivial"
    assert not result.moved.any()
    assert result.losses[0] == result.losses[1]  # the same weights, bitwise
    assert not result.degenerate


def test_trained_on_x_alone_the_images_are_not_minima():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = _fit(BiaslessMLPClassifier((4,), max_iter=200, random_state=0), X, y)
    result = symmetry_degeneracy(model, X, y)
    assert result.losses[1] > 2 * result.losses[0]
    assert not result.degenerate


@pytest.mark.parametrize("fit_bias", [False, True])
def test_identity_loss_is_the_objective_the_network_minimised(fit_bias):
    # The fitted network's own loss_ (L-BFGS's last value), and scikit-learn's
    # MLPClassifier as an independent implementation of the same objective.
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    ours = _fit(
        BiaslessMLPClassifier((5, 3), alpha=0.5, fit_bias=fit_bias, max_iter=30,
                              random_state=0),
        X, y,
    )
    theirs = _fit(
        MLPClassifier((5, 3), activation="tanh", solver="lbfgs", alpha=0.5,
                      max_iter=30, random_state=0),
        X, y,
    )
    for model in (ours, theirs):
        loss = symmetry_degeneracy(model, X, y).losses[0]
        assert loss == pytest.approx(model.loss_, rel=1e-12)
    orbit = _fit(OrbitAugmentedClassifier(theirs), X, y)
    loss = symmetry_degeneracy(orbit, X, y).losses[0]
    assert loss == pytest.approx(orbit.estimator_.loss_, rel=1e-12)


def test_binary_targets_and_a_dataframe():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    y = rng.integers(0, 2, 30)
    model = _fit(OrbitAugmentedClassifier(BiaslessMLPClassifier((3,))), X, y)
    result = symmetry_degeneracy(model, X, y)
    assert result.losses[0] == pytest.approx(model.estimator_.loss_, rel=1e-12)
    assert result.degenerate


def test_sparse_input_and_a_group_of_translations():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 6))
    X[X < 0.3] = 0.0
    X, y = sp.csr_matrix(X), rng.integers(0, 3, 40)
    group = SymmetryGroup.translations(6) * SymmetryGroup.inversion()
    model = _fit(
        OrbitAugmentedClassifier(BiaslessMLPClassifier((4,)), symmetry=group), X, y
    )
    result = symmetry_degeneracy(model, X, y, symmetry=group)
    assert len(result.losses) == 12 and result.degenerate
    assert result.max_difference <= 1e-12 * result.losses[0]
    assert result.losses[0] == pytest.approx(model.estimator_.loss_, rel=1e-12)


def test_bad_input_is_refused_clearly():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 2, 30)
    with pytest.raises(NotFittedError):
        symmetry_degeneracy(BiaslessMLPClassifier(), X, y)
    with pytest.raises(NotFittedError):
        symmetry_degeneracy(OrbitAugmentedClassifier(BiaslessMLPClassifier()), X, y)
    with pytest.raises(TypeError, match="not a fitted multilayer perceptron"):
        symmetry_degeneracy(LogisticRegression().fit(X, y), X, y)
    scaled = _fit(make_pipeline(StandardScaler(), BiaslessMLPClassifier((3,))), X, y)
    with pytest.raises(ValueError, match="neither 'passthrough' nor invariant"):
        symmetry_degeneracy(scaled, X, y)
    network = _fit(BiaslessMLPClassifier((3,)), X, y)
    with pytest.raises(ValueError, match="permute features and flip signs"):
        symmetry_degeneracy(network, X, y, symmetry=lambda X: 2 * X)
    with pytest.raises(TypeError, match="callable"):
        symmetry_degeneracy(network, X, y, symmetry="invert")
    # Issue 18, item 9: the class, not an instance.
    with pytest.raises(TypeError, match="class SymmetryGroup. Pass an instance"):
        symmetry_degeneracy(network, X, y, symmetry=SymmetryGroup)
    with pytest.raises(ValueError, match="rtol"):
        symmetry_degeneracy(network, X, y, rtol=-1.0)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        symmetry_degeneracy(network, X, y[:-1])
    with pytest.raises(ValueError, match="acts on 5 features"):
        symmetry_degeneracy(network, X, y, symmetry=SymmetryGroup.inversion(5))
    assert symmetry_degeneracy(network, X, y, symmetry=invert).elements[1] == "invert"


def test_wrong_width_and_missing_labels_are_named():
    # Issue 18, item 10: numpy's matmul text, and an error from inside.
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 2, 30)
    network = _fit(BiaslessMLPClassifier((3,)), X, y)
    orbit = _fit(OrbitAugmentedClassifier(BiaslessMLPClassifier((3,))), X, y)
    for model in (network, orbit):
        name = type(model).__name__
        with pytest.raises(ValueError, match=f"X has 5 features, but {name} was "
                                             "fitted on 4"):
            symmetry_degeneracy(model, np.ones((30, 5)), y)
        with pytest.raises(ValueError, match="needs the labels y"):
            symmetry_degeneracy(model, X, None)


def test_default_symmetry_is_inversion():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 2, 30)
    model = _fit(OrbitAugmentedClassifier(BiaslessMLPClassifier((3,))), X, y)
    default = symmetry_degeneracy(model, X, y)
    by_invert = symmetry_degeneracy(model, X, y, symmetry=invert)
    assert default.elements == by_invert.elements == ("identity", "invert")
    np.testing.assert_array_equal(default.losses, by_invert.losses)
    assert default.degenerate
