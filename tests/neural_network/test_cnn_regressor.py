"""`InvariantCNNRegressor`: exact invariance and exact sign changes."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sk_symmetry import InvariantCNNRegressor, SymmetryGroup

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TINY = dict(conv_channels=(3, 2), hidden_layer_sizes=(4,), max_iter=2,
            batch_size=8, random_state=0)


def _data(n=30, n_features=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    return X, X.sum(axis=1) ** 3 / 10


def _reverses(element):
    """-1 for the reflections of a ring (translations times mirror): a
    character of that group, whatever an element's name."""
    perm = element.perm
    return -1 if (perm[1] - perm[0]) % len(perm) == len(perm) - 1 else 1


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(3, 6), st.sampled_from(["translations", "mirror", "both"]),
    st.sampled_from(["odd", "mirror"]), st.booleans(), st.data(),
)
def test_predictions_change_sign_exactly_as_the_target(length, spatial, target,
                                                       batch_norm, data):
    shape = (1, length)
    group = {
        "translations": SymmetryGroup.translations(shape),
        "mirror": SymmetryGroup.mirror(shape),
        "both": SymmetryGroup.translations(shape) * SymmetryGroup.mirror(shape),
    }[spatial] * SymmetryGroup.inversion()
    sign_of = {"odd": lambda g: int(g.sign[0]), "mirror": _reverses}[target]
    if target == "mirror" and spatial == "translations":
        target = "odd"
        sign_of = lambda g: int(g.sign[0])  # noqa: E731
    X_fit, y_fit = _data(20, length)
    reg = InvariantCNNRegressor(
        group, target=target if target == "odd" else _reverses,
        image_shape=shape, batch_norm=batch_norm, **TINY).fit(X_fit, y_fit)
    values = st.sampled_from([-1.0, -0.0, 0.0, 1.0, 2.5]) | st.floats(
        -3, 3, allow_nan=False, width=32)
    X = data.draw(arrays(np.float64, (data.draw(st.integers(1, 5)), length),
                         elements=values))
    pred = reg.predict(X)
    for g in group:
        assert np.array_equal(reg.predict(g(X)), sign_of(g) * pred), g.name


def test_invariant_target_and_multi_output():
    X, y = _data()
    G = SymmetryGroup.translations((8,)) * SymmetryGroup.inversion()
    Y = np.column_stack([np.abs(y), y ** 2])
    reg = InvariantCNNRegressor(G, image_shape=(8,), **TINY).fit(X, Y)
    assert reg.n_orbit_images_ == 8 and reg.n_outputs_ == 2
    pred = reg.predict(X)
    assert pred.shape == (30, 2)
    for g in G:
        assert np.array_equal(reg.predict(g(X)), pred)
    assert reg.fit(X, y).predict(X).shape == (30,)


def test_odd_target_runs_the_whole_orbit_and_learns():
    X, _ = _data(120)
    y = X.sum(axis=1)  # odd and invariant under the translations
    G = SymmetryGroup.translations((8,)) * SymmetryGroup.inversion()
    reg = InvariantCNNRegressor(G, target="odd", max_iter=40, random_state=0,
                                conv_channels=(8,)).fit(X, y)
    assert reg.n_orbit_images_ == 16
    assert reg.score(X, y) > 0.8
    assert np.array_equal(reg.predict(-X), -reg.predict(X))


@pytest.mark.parametrize("params, match", [
    ({"target": "odd", "even_first_layer": True}, "even_first_layer=True"),
    ({"target": lambda g: -1}, "identity element to -1"),
    ({"target": lambda g: 2}, "must be"),
    # -1 on the quarter turn only: rot90 twice would then be +1 and -1 at once
    ({"target": lambda g: -1 if g.name == "rot90" else 1,
      "symmetry": SymmetryGroup.rotations((2, 4 // 2))}, "not a character"),
    ({"target": "odd", "symmetry": SymmetryGroup(
        [(np.arange(4), np.array([1, -1, 1, 1]))])}, "ambiguous"),
    ({"target": "sideways"}, "target"),
])
def test_targets_that_cannot_be_met_are_refused(params, match):
    X, y = _data(10, 4)
    params = {"symmetry": SymmetryGroup.inversion(), "image_shape": (2, 2),
              **TINY, **params}
    with pytest.raises(ValueError, match=match):
        InvariantCNNRegressor(**params).fit(X, y)


def test_partial_fit_keeps_the_number_of_outputs():
    X, y = _data()
    reg = InvariantCNNRegressor(image_shape=(8,), **TINY)
    reg.partial_fit(X, y).partial_fit(X, y)
    assert len(reg.loss_curve_) == 2
    with pytest.raises(ValueError, match="outputs"):
        reg.partial_fit(X, np.column_stack([y, y]))
