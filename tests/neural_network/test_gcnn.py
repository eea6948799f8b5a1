"""The group route of the invariant networks (``trunk="group"``): exact
invariance, gradients, the choice of route and its errors."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cnn import _rows  # rows of any dtype with ties, signed zeros, constants

from sk_symmetry import InvariantCNNClassifier, InvariantCNNRegressor, SymmetryGroup
from sk_symmetry.neural_network import _gcnn_math

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TINY = dict(conv_channels=(2, 3), hidden_layer_sizes=(4,), max_iter=2,
            batch_size=8, random_state=0)
# "auto": the group route wherever it applies (the default trunk is "orbit")
AUTO = dict(TINY, trunk="auto")


def _square_maps(side):
    """Generators of D4 on a ``side x side`` grid, as pixel permutations."""
    grid = np.arange(side * side).reshape(side, side)
    return {
        "rot90": np.rot90(grid).ravel(), "rot180": np.rot90(grid, 2).ravel(),
        "flipud": grid[::-1].ravel(), "fliplr": grid[:, ::-1].ravel(),
        "transpose": grid.T.ravel(), "antitranspose": np.rot90(grid, 2).T.ravel(),
    }


def _data(n, side, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, side * side))
    score = np.abs(X).sum(axis=1)
    return X, (score > np.median(score)).astype(int)


@st.composite
def _subgroups(draw):
    """A square side and a random subgroup of D4 x inversion: random
    generators, each with a random sign (a sign tied to a spatial map makes
    a group that is not ``H x signs``, which must take the orbit route)."""
    side = draw(st.integers(2, 7))
    maps = _square_maps(side)
    names = draw(st.lists(st.sampled_from(sorted(maps)), min_size=1, max_size=3,
                          unique=True))
    gens = [(maps[name], draw(st.sampled_from([1, -1])), name) for name in names]
    if draw(st.booleans()):
        gens.append((np.arange(side * side), -1, "invert"))
    return side, SymmetryGroup(gens)


PARAMS = [
    {}, {"global_pooling": "max"}, {"global_pooling": "mean", "group_pooling": "mean"},
    {"even_first_layer": False, "spatial_pooling": "mean", "group_pooling": "mean"},
    {"activation": "tanh", "fit_bias": False, "dtype": "float64", "padding": "wrap"},
    {"padding": "valid", "kernel_size": 1, "spatial_pooling": "none"},
    {"batch_norm": True},
    {"batch_norm": True, "fit_bias": False, "global_pooling": "max"},
]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_subgroups(), st.data(), st.sampled_from(PARAMS))
def test_predictions_are_bitwise_invariant_for_random_subgroups(side_group, data,
                                                               params):
    side, group = side_group
    X_fit, y_fit = _data(24, side)
    clf = InvariantCNNClassifier(group, image_shape=(side, side), **AUTO, **params)
    clf.fit(X_fit, y_fit)
    X = data.draw(_rows(side * side))
    proba, labels = clf.predict_proba(X), clf.predict(X)
    for g in group:
        assert np.array_equal(clf.predict_proba(g(X)), proba), g.name
        assert np.array_equal(clf.predict(g(X)), labels), g.name


def test_the_route_follows_the_group():
    X, y = _data(24, 6)
    D4 = SymmetryGroup.dihedral((6, 6))
    for group in (D4, D4 * SymmetryGroup.inversion(), SymmetryGroup.rotations((6, 6))):
        clf = InvariantCNNClassifier(group, image_shape=(6, 6), **AUTO).fit(X, y)
        assert clf.trunk_ == "group" and clf.n_orbit_images_ == 1
        default = InvariantCNNClassifier(group, image_shape=(6, 6), **TINY).fit(X, y)
        assert default.trunk_ == "orbit"  # the default trunk
        orbit = InvariantCNNClassifier(group, image_shape=(6, 6), trunk="orbit",
                                       **TINY).fit(X, y)
        assert orbit.trunk_ == "orbit" and orbit.n_orbit_images_ > 1
    # inversion alone, translations, a sign tied to a turn: the orbit route
    maps = _square_maps(6)
    for group in (SymmetryGroup.inversion(), SymmetryGroup.translations((6, 6)),
                  SymmetryGroup([(maps["rot180"], -1)])):
        clf = InvariantCNNClassifier(group, image_shape=(6, 6), **AUTO).fit(X, y)
        assert clf.trunk_ == "orbit", group


@pytest.mark.parametrize("params, match", [
    ({"symmetry": SymmetryGroup.translations((6, 6))}, "square grid"),
    ({"kernel_size": 2}, "kernel_size=2 is even"),
    ({"symmetry": SymmetryGroup([(_square_maps(6)["rot180"], -1)])},
     "times a group of signs"),
])
def test_group_trunk_refuses_what_it_cannot_do(params, match):
    X, y = _data(24, 6)
    params = {"symmetry": SymmetryGroup.dihedral((6, 6)), **params}
    with pytest.raises(ValueError, match=match):
        InvariantCNNClassifier(image_shape=(6, 6), trunk="group", **params,
                               **TINY).fit(X, y)
    G = SymmetryGroup.mirror((4, 6))
    with pytest.raises(ValueError, match="is not a square"):
        InvariantCNNClassifier(G, image_shape=(4, 6), trunk="group",
                               **TINY).fit(_data(24, 5)[0][:, :24], y)
    with pytest.raises(ValueError, match="changes sign under the group"):
        InvariantCNNRegressor(SymmetryGroup.dihedral((6, 6)) *
                              SymmetryGroup.inversion(), target="odd",
                              image_shape=(6, 6), trunk="group", **TINY).fit(X, y)


def test_exact_arithmetic_is_what_makes_it_invariant(monkeypatch):
    """Without the fixed-point products, BLAS sums a turned image's products in
    another order and the probabilities differ in the last bits."""
    G = SymmetryGroup.dihedral((12, 12)) * SymmetryGroup.inversion()
    X, y = _data(60, 12)
    clf = InvariantCNNClassifier(G, image_shape=(12, 12), conv_channels=(6, 8, 8),
                                 max_iter=1, random_state=0, trunk="group").fit(X, y)
    exact = [clf.predict_proba(g(X)) for g in G]
    assert all(np.array_equal(p, exact[0]) for p in exact)
    monkeypatch.setattr(_gcnn_math, "_EXACT", False)
    rounded = [clf.predict_proba(g(X)) for g in G]
    assert not all(np.array_equal(p, rounded[0]) for p in rounded)
    # and the fixed point costs nothing: the same numbers to float32 rounding
    np.testing.assert_allclose(rounded[0], exact[0], atol=1e-5)


def test_feature_maps_move_with_the_image():
    """The trunk is equivariant: turning the image turns every feature map
    and permutes its copies (checked on the readout's input, in float64)."""
    G = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()
    X, y = _data(20, 8)
    clf = InvariantCNNClassifier(G, image_shape=(8, 8), even_first_layer=False,
                                 dtype="float64", **AUTO).fit(X, y)
    arch = clf._arch
    maps = [_gcnn_math._trunk(clf._params, arch, g(X), False, True)[0] for g in G]
    assert all(np.array_equal(m, maps[0]) for m in maps)
    assert len(arch.elements) == 16


def _numeric_gradient(params, arch, X, Y, eps=1e-6, sample_weight=None):
    out = np.empty_like(params)
    scratch = np.empty_like(params)
    for i in range(params.size):
        values = []
        for step in (eps, -eps):
            p = params.copy()
            p[i] += step
            values.append(_gcnn_math.loss_and_gradient(
                p, arch, X, Y, "log_loss", 0.01, sample_weight, scratch)[0])
        out[i] = (values[0] - values[1]) / (2 * eps)
    return out


@pytest.mark.parametrize("even", [True, False])
@pytest.mark.parametrize("readout, group_pooling, spatial, norm", [
    ("flatten", "max", "max", False), ("flatten", "mean", "mean", False),
    ("max", "max", "mean", False), ("mean", "mean", "max", False),
    ("flatten", "max", "max", True), ("mean", "mean", "max", True),
])
def test_gradient_matches_finite_differences(even, readout, group_pooling, spatial,
                                             norm):
    from sk_symmetry.neural_network._cnn_math import init_params

    rng = np.random.default_rng(0)
    G = SymmetryGroup.dihedral((6, 6)) * SymmetryGroup.inversion()
    perms = np.stack([g.perm for g in G])
    signs = np.stack([g.sign for g in G]).astype(float)
    elements = _gcnn_math.d4_structure(perms, signs, (6, 6))[0]
    arch = _gcnn_math.make_group_architecture(
        (6, 6), elements, [2, 2], 3, 1, "same", spatial, readout, [3], 3,
        group_pooling, "tanh", even, True, batch_norm=norm,
    )
    params = init_params(arch, np.float64, rng) + rng.normal(0, 0.1, arch.n_params)
    X = rng.normal(size=(4, 36))
    Y = np.eye(3)[rng.integers(0, 3, 4)]
    # with the normalisation, weighted rows: they count in its statistics too
    sw = rng.uniform(0.5, 2.0, 4) if norm else None
    grad = np.empty_like(params)
    _gcnn_math.loss_and_gradient(params, arch, X, Y, "log_loss", 0.01, sw, grad)
    np.testing.assert_allclose(grad, _numeric_gradient(params, arch, X, Y,
                                                       sample_weight=sw),
                               rtol=1e-5, atol=1e-8)


def test_regressor_and_inputs_untouched():
    G = SymmetryGroup.dihedral((6, 6)) * SymmetryGroup.inversion()
    X, _ = _data(30, 6)
    y = np.abs(X).sum(axis=1)
    X_copy = X.copy()
    reg = InvariantCNNRegressor(G, image_shape=(6, 6), **AUTO).fit(X, y)
    assert reg.trunk_ == "group"
    assert np.array_equal(X, X_copy)
    pred = reg.predict(X)
    for g in G:
        assert np.array_equal(reg.predict(g(X)), pred), g.name
