"""`InvariantCNNClassifier`: exact invariance, the training API, misuse."""

import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sk_symmetry import InvariantCNNClassifier, InvariantCNNRegressor, SymmetryGroup

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TINY = dict(conv_channels=(3, 4), hidden_layer_sizes=(5,), max_iter=2,
            batch_size=8, random_state=0)


def _data(n=40, shape=(4, 4), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, shape[0] * shape[1]))
    y = (np.abs(X).sum(axis=1) > np.median(np.abs(X).sum(axis=1))).astype(int)
    return X, y


@st.composite
def _groups(draw):
    """A shape and a group of signed pixel permutations: a product of spatial
    groups, or a random group (products with it could close to thousands of
    elements), times inversion or not."""
    h, w = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    n = h * w
    if draw(st.booleans()):
        perm = np.array(draw(st.permutations(range(n))))
        sign = np.array(draw(st.lists(st.sampled_from([-1, 1]), min_size=n,
                                      max_size=n)))
        try:
            group = SymmetryGroup([(perm, sign)], max_size=32)
        except ValueError:  # more than 32 elements
            group = SymmetryGroup.mirror((h, w))
    else:
        group = SymmetryGroup.translations((h, w))
        if h == w and draw(st.booleans()):
            group = SymmetryGroup.dihedral((h, w)) * (
                group if draw(st.booleans()) else SymmetryGroup([]))
        elif draw(st.booleans()):
            group = group * SymmetryGroup.mirror((h, w))
    if draw(st.booleans()):
        group = group * SymmetryGroup.inversion()
    return (h, w), group


@st.composite
def _rows(draw, n_features):
    """Rows with ties, signed zeros and constant rows."""
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
    values = st.sampled_from([-1.0, -0.0, 0.0, 0.5, 2.0]) | st.floats(
        -3, 3, allow_nan=False, width=32)
    if dtype == np.int64:
        values = st.integers(-2, 2)
    X = draw(arrays(dtype, (draw(st.integers(1, 6)), n_features), elements=values))
    if draw(st.booleans()):
        X[0] = X[0, 0]  # a constant row
    return X


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_groups(), st.data(), st.sampled_from([
    {}, {"group_pooling": "mean"}, {"even_first_layer": False},
    {"group_pooling": "sort", "trunk": "orbit"},
    {"even_first_layer": True, "padding": "wrap", "global_pooling": "max"},
    {"activation": "tanh", "fit_bias": False, "spatial_pooling": "mean",
     "dtype": "float64"},
    {"batch_norm": True, "group_pooling": "sort"},
    {"batch_norm": True, "fit_bias": False, "even_first_layer": False},
]))
def test_predictions_are_bitwise_invariant_under_every_element(shape_group, data,
                                                              params):
    shape, group = shape_group
    n = shape[0] * shape[1]
    X_fit, y_fit = _data(30, shape)
    clf = InvariantCNNClassifier(group, image_shape=shape, **TINY, **params)
    clf.fit(X_fit, y_fit)
    X = data.draw(_rows(n))
    proba, labels = clf.predict_proba(X), clf.predict(X)
    for g in group:
        assert np.array_equal(clf.predict_proba(g(X)), proba), g.name
        assert np.array_equal(clf.predict(g(X)), labels), g.name


def test_even_first_layer_runs_half_the_orbit():
    X, y = _data()
    G = SymmetryGroup.dihedral((4, 4)) * SymmetryGroup.inversion()
    orbit = {**TINY, "trunk": "orbit"}  # not the equivariant route
    assert InvariantCNNClassifier(G, image_shape=(4, 4), **orbit).fit(
        X, y).n_orbit_images_ == 8
    plain = InvariantCNNClassifier(G, image_shape=(4, 4), even_first_layer=False,
                                   **orbit).fit(X, y)
    assert plain.n_orbit_images_ == 16
    without_inversion = InvariantCNNClassifier(
        SymmetryGroup.dihedral((4, 4)), image_shape=(4, 4), **orbit).fit(X, y)
    assert without_inversion.n_orbit_images_ == 8


def test_even_first_layer_makes_any_group_inversion_invariant():
    X, y = _data()
    clf = InvariantCNNClassifier(SymmetryGroup.translations((4, 4)),
                                 image_shape=(4, 4), even_first_layer=True,
                                 **TINY).fit(X, y)
    assert clf.n_orbit_images_ == 16
    assert np.array_equal(clf.predict_proba(-X), clf.predict_proba(X))


def test_odd_network_gives_mirrored_probabilities():
    """No biases, tanh, mean poolings, plain first layer and no inversion in
    the group: the logits are odd, so the classes of -x are ranked in
    reverse (the paper's consequence, stated in the Notes)."""
    X, y = _data()
    clf = InvariantCNNClassifier(
        SymmetryGroup.mirror((4, 4)), image_shape=(4, 4), fit_bias=False,
        activation="tanh", spatial_pooling="mean", group_pooling="mean",
        **TINY).fit(X, y)
    p, p_neg = clf.predict_proba(X), clf.predict_proba(-X)
    np.testing.assert_allclose(p_neg, p[:, ::-1], rtol=1e-5)
    assert clf.score(X, y) + clf.score(-X, y) <= 1.0


def test_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 16)) * 0.3
    y = rng.integers(0, 3, 200)
    # a bright pixel in a corner, on an edge or inside: three orbits of the
    # dihedral group, so three classes it can tell apart
    X[np.arange(200), np.array([0, 1, 5])[y]] += 3.0
    clf = InvariantCNNClassifier(
        SymmetryGroup.dihedral((4, 4)), image_shape=(4, 4), max_iter=30,
        conv_channels=(8,), random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_training_attributes_early_stopping_partial_fit_and_warm_start(capsys):
    X, y = _data(60)
    params = dict(TINY, max_iter=3)
    clf = InvariantCNNClassifier(None, image_shape=(4, 4), early_stopping=True,
                                 verbose=True, **params).fit(X, y)
    assert len(clf.loss_curve_) == len(clf.validation_scores_) == clf.n_iter_ == 3
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    assert capsys.readouterr().out.count("Iteration") == 3

    clf = InvariantCNNClassifier(None, image_shape=(4, 4), **params)
    for _ in range(3):
        clf.partial_fit(X, y, classes=[0, 1])
    assert len(clf.loss_curve_) == 3 and clf.t_ == 3 * len(X)
    with pytest.raises(ValueError, match="classes must be passed"):
        InvariantCNNClassifier(image_shape=(4, 4)).partial_fit(X, y)

    warm = InvariantCNNClassifier(None, image_shape=(4, 4), warm_start=True,
                                  **params).fit(X, y)
    before = warm.coefs_[0].copy()
    warm.fit(X, y)
    assert len(warm.loss_curve_) == 6
    assert not np.array_equal(warm.coefs_[0], before)
    with pytest.raises(ValueError, match="architecture of the previous fit"):
        warm.set_params(conv_channels=(2,)).fit(X, y)


def test_same_seed_same_model_and_inputs_untouched():
    X, y = _data()
    X32 = X.astype(np.float32)
    copies = X.copy(), X32.copy(), y.copy()
    a = InvariantCNNClassifier(image_shape=(4, 4), **TINY).fit(X, y)
    b = InvariantCNNClassifier(image_shape=(4, 4), **TINY).fit(X32, y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X32))
    assert a.predict_proba(X).dtype == np.float32
    c = InvariantCNNClassifier(image_shape=(4, 4), dtype="float64", **TINY).fit(X, y)
    assert c.predict_proba(X).dtype == np.float64
    for before, after in zip(copies, (X, X32, y), strict=True):
        assert np.array_equal(before, after)


def test_sample_weight_scales_out_and_zero_weight_rows_are_ignored():
    X, y = _data()
    params = dict(TINY, alpha=0.0, shuffle=False)
    plain = InvariantCNNClassifier(image_shape=(4, 4), **params).fit(X, y)
    doubled = InvariantCNNClassifier(image_shape=(4, 4), **params).fit(
        X, y, sample_weight=np.full(len(y), 2.0))
    np.testing.assert_allclose(doubled.predict_proba(X), plain.predict_proba(X),
                               rtol=1e-4)
    weights = np.ones(len(y))
    weights[::2] = 0
    weighted = InvariantCNNClassifier(image_shape=(4, 4), **params).fit(
        X, y, sample_weight=weights)
    assert not np.allclose(weighted.predict_proba(X), plain.predict_proba(X))
    with pytest.raises(ValueError, match="at least one non-zero"):
        InvariantCNNClassifier(image_shape=(4, 4), **params).fit(
            X, y, sample_weight=np.zeros(len(y)))


def test_pickle_pipeline_and_grid_search_over_symmetry():
    X, y = _data()
    clf = InvariantCNNClassifier(image_shape=(4, 4), **TINY).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict_proba(X), clf.predict_proba(X))
    before = restored.coefs_[0].copy()
    restored.partial_fit(X, y)  # the attributes are views of the trained vector
    assert not np.array_equal(restored.coefs_[0], before)

    pipe = make_pipeline(FunctionTransformer(np.tanh),
                         InvariantCNNClassifier(image_shape=(4, 4), **TINY))
    assert pipe.fit(X, y).predict(X).shape == y.shape
    grid = GridSearchCV(
        InvariantCNNClassifier(image_shape=(4, 4), **TINY),
        {"symmetry": [None, SymmetryGroup.dihedral((4, 4))],
         "conv_channels": [(2,), (2, 3)]}, cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert clone(clf).get_params()["image_shape"] == (4, 4)


@pytest.mark.parametrize("params, X_shape, error, match", [
    ({"image_shape": (3, 4)}, (10, 16), ValueError, r"image_shape=\(3, 4\) holds 12"),
    ({"image_shape": (4, 4, 1)}, (10, 16), ValueError, "image_shape must be"),
    ({"image_shape": (4, 4), "symmetry": SymmetryGroup.dihedral((3, 3))},
     (10, 16), ValueError, "9"),
    ({"image_shape": (4, 4), "symmetry": np.negative}, (10, 16), TypeError,
     "SymmetryGroup"),
    ({"image_shape": (4, 4), "padding": "valid", "kernel_size": 5}, (10, 16),
     ValueError, "kernel_size=5"),
    ({"image_shape": (4, 4), "conv_channels": ()}, (10, 16), ValueError,
     "at least one convolution"),
    ({"image_shape": (4, 4), "conv_channels": (2, 0)}, (10, 16), ValueError,
     "conv_channels must be positive"),
    ({"image_shape": (4, 4), "padding": "circular"}, (10, 16), ValueError,
     "padding"),
    ({"image_shape": (4, 4), "symmetry": SymmetryGroup.rotations((4, 4)),
      "trunk": "group", "group_pooling": "sort"}, (10, 16), ValueError,
     "group_pooling='sort' sorts"),
])
def test_clear_errors(params, X_shape, error, match):
    X = np.random.default_rng(0).normal(size=X_shape)
    y = np.arange(X_shape[0]) % 2
    with pytest.raises(error, match=match):
        InvariantCNNClassifier(**{**TINY, **params}).fit(X, y)


def test_non_finite_input_and_wrong_width_are_refused():
    X, y = _data()
    clf = InvariantCNNClassifier(image_shape=(4, 4), **TINY)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, y)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="infinity"):
        clf.predict(np.where(bad == bad, bad, np.inf))
    with pytest.raises(ValueError, match="16 features"):
        clf.predict(X[:, :9])
    with pytest.raises(ValueError, match="1d array"):
        InvariantCNNClassifier(image_shape=(4, 4), **TINY).fit(
            X, np.column_stack([y, y]))


def test_max_iter_reached_warns():
    X, y = _data()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        InvariantCNNClassifier(image_shape=(4, 4), **TINY).fit(X, y)


@pytest.mark.parametrize("cls", [InvariantCNNClassifier, InvariantCNNRegressor])
def test_partial_fit_refuses_early_stopping_as_scikit_learns_mlp(cls):
    """One epoch on a batch has nothing to hold out: partial_fit with
    early_stopping=True raises, in MLPClassifier's words, and leaves the
    estimator as it was (it used to run, tracking the training loss)."""
    X, y = _data()
    classes = {"classes": [0, 1]} if cls is InvariantCNNClassifier else {}
    with pytest.raises(ValueError) as sklearn_error:
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1])
    est = cls(image_shape=(4, 4), early_stopping=True, **TINY)
    with pytest.raises(ValueError, match="^partial_fit does not support") as error:
        est.partial_fit(X, y, **classes)
    assert str(error.value) == str(sklearn_error.value)
    assert not hasattr(est, "loss_curve_") and not hasattr(est, "classes_")
    # a fitted estimator keeps its model
    est.set_params(early_stopping=False).partial_fit(X, y, **classes)
    weights = [w.copy() for w in est.coefs_]
    with pytest.raises(ValueError, match="early_stopping=True"):
        est.set_params(early_stopping=True).partial_fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(weights, est.coefs_, strict=True))
    assert len(est.loss_curve_) == 1


def test_fit_builds_orbits_a_minibatch_or_a_block_at_a_time(monkeypatch):
    """Issue 29: a fit's memory is that of a minibatch (training rows) or of a
    block (validation rows), never the orbit of all rows at once."""
    from sk_symmetry.neural_network import _cnn_base

    asked = []
    build = _cnn_base.orbit_stack

    def recording(X, perms, signs, order):
        asked.append(X.shape[0])
        return build(X, perms, signs, order)

    monkeypatch.setattr(_cnn_base, "orbit_stack", recording)
    monkeypatch.setattr(_cnn_base, "_BLOCK_BYTES", 1)  # blocks of one row
    X, y = _data(n=300)
    clf = InvariantCNNClassifier(
        SymmetryGroup.dihedral((4, 4)), image_shape=(4, 4), trunk="orbit",
        early_stopping=True, validation_fraction=0.1, **{**TINY, "batch_size": 16},
    )
    clf.fit(X, y)
    n_steps = clf.n_iter_ * -(-270 // 16)
    assert max(asked) <= 16
    assert len(asked) == n_steps + clf.n_iter_ * 30  # and 30 validation rows


def test_sort_pooling_hands_the_head_every_image_of_the_orbit():
    X, y = _data()
    G = SymmetryGroup.dihedral((4, 4)) * SymmetryGroup.inversion()
    params = {**TINY, "trunk": "orbit", "global_pooling": "flatten"}
    by_max = InvariantCNNClassifier(G, image_shape=(4, 4), **params).fit(X, y)
    by_sort = InvariantCNNClassifier(G, image_shape=(4, 4), group_pooling="sort",
                                     **params).fit(X, y)
    assert by_sort.n_orbit_images_ == 8
    assert by_sort.coefs_[0].shape[0] == 8 * by_max.coefs_[0].shape[0]


def test_warm_start_takes_the_new_learning_rate_as_scikit_learns_mlp():
    """A warm-started fit makes a new optimiser, as MLPClassifier does: a
    step size lowered to almost nothing leaves the weights where they were
    (the previous optimiser, kept, went on at 1e-2)."""
    X, y = _data()
    clf = InvariantCNNClassifier(image_shape=(4, 4), learning_rate_init=1e-2,
                                 **TINY).fit(X, y)
    before = clf._params.copy()
    clf.set_params(warm_start=True, learning_rate_init=1e-12).fit(X, y)
    np.testing.assert_allclose(clf._params, before, atol=1e-9)
    assert clf._optimizer.t == 2 * 5  # fresh moments: 2 epochs of 5 steps
    clf.partial_fit(X, y)  # partial_fit keeps the optimiser
    assert clf._optimizer.t == 3 * 5


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_cosine_schedule_steps_down_epoch_by_epoch(solver, monkeypatch):
    """Epoch e of fit steps with learning_rate_init * (1 + cos(pi e / E)) / 2,
    for either solver; partial_fit, with no last epoch, refuses it."""
    from sk_symmetry.neural_network import _cnn_base

    seen = []
    step = _cnn_base.loss_and_gradient

    def spy(*args, **kwargs):
        optimizer = clf._optimizer
        seen.append(optimizer.learning_rate_init if solver == "adam"
                     else optimizer.learning_rate)
        return step(*args, **kwargs)

    monkeypatch.setattr(_cnn_base, "loss_and_gradient", spy)
    X, y = _data()
    clf = InvariantCNNClassifier(image_shape=(4, 4), solver=solver,
                                 learning_rate="cosine", learning_rate_init=0.1,
                                 **{**TINY, "max_iter": 4})
    clf.fit(X, y)
    per_epoch = np.array(seen).reshape(4, 5)  # 4 epochs of 5 minibatches
    assert (per_epoch == per_epoch[:, :1]).all()
    np.testing.assert_allclose(per_epoch[:, 0],
                               0.05 * (1 + np.cos(np.pi * np.arange(4) / 4)))
    assert clf.learning_rate_init == 0.1  # the parameter is left as it was
    with pytest.raises(ValueError, match="partial_fit has no last epoch"):
        clf.partial_fit(X, y)
