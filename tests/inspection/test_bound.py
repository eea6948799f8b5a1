"""The bound R + R_bar <= 1: property tests on random biasless odd networks."""

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sk_symmetry import (
    InversionInvariantTransformer,
    OrbitAugmentedClassifier,
    inversion_accuracy_bound,
)


def random_network(n_features, n_classes, hidden, activation, seed, *,
                   scale=1.0, biases=False):
    """An MLPClassifier with random weights, and random or zero intercepts.

    It is fitted for one iteration only to set up its classes and shapes;
    then its weights are replaced by random ones.
    """
    rng = np.random.default_rng(seed)
    X_fit = rng.normal(size=(2 * n_classes, n_features))
    y_fit = np.repeat(np.arange(n_classes), 2)
    net = MLPClassifier(hidden, activation=activation, solver="lbfgs",
                        max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X_fit, y_fit)
    net.coefs_ = [rng.normal(scale=scale, size=w.shape) for w in net.coefs_]
    net.intercepts_ = [
        rng.normal(size=b.shape) if biases else np.zeros_like(b)
        for b in net.intercepts_
    ]
    return net


class TinyOddNet:
    """An independent numpy network with the attributes of an MLP (like the
    project's BiaslessMLPClassifier): tanh layers, argmax of linear logits."""

    activation = "tanh"

    def __init__(self, coefs, intercepts):
        self.coefs_ = coefs
        self.intercepts_ = intercepts

    def predict(self, X):
        z = np.asarray(X, dtype=float)
        for W, b in zip(self.coefs_[:-1], self.intercepts_[:-1], strict=True):
            z = np.tanh(z @ W + b)
        return np.argmax(z @ self.coefs_[-1] + self.intercepts_[-1], axis=1)


network_params = st.fixed_dictionaries({
    "n_features": st.integers(1, 6),
    "n_classes": st.integers(2, 4),
    "hidden": st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple),
    "activation": st.sampled_from(["tanh", "identity"]),
    "seed": st.integers(0, 2**32 - 1),
    "scale": st.sampled_from([0.1, 1.0, 10.0]),
})


def random_data(n_features, n_classes, seed, n_samples):
    # Gaussian rows: no all-zero row, where all logits would tie.
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(n_samples, n_features))
    return X, rng.integers(0, n_classes, size=n_samples)


@settings(max_examples=40, deadline=None)
@given(params=network_params, n_samples=st.integers(1, 40))
def test_biasless_odd_networks_obey_the_bound(params, n_samples):
    net = random_network(**params)
    X, y = random_data(params["n_features"], params["n_classes"], params["seed"],
                       n_samples)
    result = inversion_accuracy_bound(net, X, y)
    assert result.provably_bound, result.reason
    assert result.holds
    assert result.total <= 1 + 1e-12
    # The proof's step: a correct prediction on x is a wrong one on -x,
    # because the class ranked first for x is ranked last for -x.
    assert np.all(net.predict(X) != net.predict(-X))


@settings(max_examples=20, deadline=None)
@given(params=network_params)
def test_nonzero_biases_are_not_provably_bound(params):
    net = random_network(**params, biases=True)
    X, y = random_data(params["n_features"], params["n_classes"], params["seed"], 10)
    result = inversion_accuracy_bound(net, X, y)
    assert not result.provably_bound
    assert "bias" in result.reason


def test_accuracies_match_hand_computation():
    net = random_network(3, 3, (4,), "tanh", seed=0)
    X, y = random_data(3, 3, 0, 50)
    X_before = X.copy()
    result = inversion_accuracy_bound(net, X, y)
    assert result.accuracy == accuracy_score(y, net.predict(X))
    assert result.inverted_accuracy == accuracy_score(y, net.predict(-X))
    n_correct = (net.predict(X) == y).sum() + (net.predict(-X) == y).sum()
    assert result.total == n_correct / len(y)
    np.testing.assert_array_equal(X, X_before)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.holds = False


def test_non_odd_activation_is_not_provably_bound():
    net = random_network(3, 2, (4,), "relu", seed=0)
    result = inversion_accuracy_bound(net, *random_data(3, 2, 0, 10))
    assert not result.provably_bound
    assert "not odd" in result.reason


@pytest.mark.parametrize("before", ["passthrough", None])
def test_pipeline_of_no_op_steps_is_provably_bound(before):
    net = random_network(3, 3, (4,), "tanh", seed=0)
    pipe = Pipeline([("features", before), ("net", net)])
    assert inversion_accuracy_bound(pipe, *random_data(3, 3, 0, 10)).provably_bound


@pytest.mark.parametrize(
    "step", [StandardScaler(), InversionInvariantTransformer(kind="square")]
)
def test_pipeline_with_features_is_not_provably_bound(step):
    X, y = random_data(3, 3, 0, 30)
    step.fit(X)
    net = random_network(3, 3, (4,), "tanh", seed=0)
    pipe = Pipeline([("features", step), ("net", net)])
    result = inversion_accuracy_bound(pipe, X, y)
    assert not result.provably_bound
    assert "'features'" in result.reason


def test_independent_network_and_augmented_network():
    rng = np.random.default_rng(0)
    coefs = [rng.normal(size=(3, 5)), rng.normal(size=(5, 4))]
    duck = TinyOddNet(coefs, [np.zeros(5), np.zeros(4)])
    X, y = random_data(3, 4, 0, 30)
    result = inversion_accuracy_bound(duck, X, y)
    assert result.provably_bound and result.holds

    duck_with_bias = TinyOddNet(coefs, [np.zeros(5), np.ones(4)])
    assert not inversion_accuracy_bound(duck_with_bias, X, y).provably_bound

    augmented = OrbitAugmentedClassifier(random_network(3, 4, (4,), "tanh", seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        augmented.fit(X, y)
    # Training gives the inner network biases; zero them to make it odd.
    augmented.estimator_.intercepts_ = [
        np.zeros_like(b) for b in augmented.estimator_.intercepts_
    ]
    assert inversion_accuracy_bound(augmented, X, y).provably_bound


def test_bound_can_fail_for_other_models():
    # Labels that depend on |x| only: a tree learns them on X and on -X.
    X, _ = random_data(2, 2, 0, 60)
    y = (np.abs(X[:, 0]) > 0.7).astype(int)
    tree = DecisionTreeClassifier(random_state=0).fit(np.vstack([X, -X]),
                                                      np.r_[y, y])
    result = inversion_accuracy_bound(tree, X, y)
    assert result.total == 2.0
    assert not result.holds
    assert not result.provably_bound
    assert "not a fitted network" in result.reason


def _assert_fits_and_is_bound(model, X, y):
    """Fitted quietly, the model is found to be bound, and the bound holds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    result = inversion_accuracy_bound(model, X, y)
    assert result.provably_bound, result.reason
    assert result.holds


@pytest.mark.parametrize("orbit_outside", [True, False])
def test_pipeline_and_orbit_nested_either_way_are_seen_through(orbit_outside):
    from sk_symmetry import BiaslessMLPClassifier

    X, y = random_data(4, 3, 0, 40)
    net = BiaslessMLPClassifier((5,), max_iter=20, random_state=0)
    if orbit_outside:
        model = OrbitAugmentedClassifier(Pipeline([("f", "passthrough"), ("c", net)]))
    else:
        model = Pipeline([("f", "passthrough"), ("c", OrbitAugmentedClassifier(net))])
    _assert_fits_and_is_bound(model, X, y)


def test_total_is_the_fraction_of_correct_counts_and_prints_clean():
    # A sign classifier: x > 0 -> 1, x < 0 -> 0; label 2 is never predicted.
    sign = KNeighborsClassifier(n_neighbors=1).fit([[-1.0], [1.0]], [0, 1])
    X = np.array([[1.0]] * 6 + [[-1.0]] * 60 + [[1.0]] * 34)
    y = np.array([1] * 6 + [1] * 60 + [2] * 34)  # 6 right on X, 60 on -X
    result = inversion_accuracy_bound(sign, X, y)
    assert (result.accuracy, result.inverted_accuracy) == (0.06, 0.6)
    assert 0.06 + 0.6 != 0.66  # the sum of the two rounds the wrong way
    assert result.total == 0.66
    assert "total=0.66," in repr(result)


@pytest.mark.parametrize("search", [GridSearchCV, RandomizedSearchCV])
def test_a_fitted_search_is_seen_through_to_its_best_estimator(search):
    from sk_symmetry import BiaslessMLPClassifier

    X, y = random_data(4, 3, 0, 40)
    net = BiaslessMLPClassifier((5,), max_iter=20, random_state=0)
    grid = {"alpha": [1e-4, 1e-2]}
    kwargs = {"n_iter": 2} if search is RandomizedSearchCV else {}
    model = search(net, grid, cv=2, **kwargs)
    _assert_fits_and_is_bound(model, X, y)
