"""RandomAffine: the maps it draws, its errors, and its use in a network's fit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sk_symmetry import (
    InvariantCNNClassifier,
    InvariantCNNRegressor,
    RandomAffine,
    SymmetryGroup,
    rotate_images,
)


class Largest(np.random.RandomState):
    """A random state whose every uniform draw is the top of its range."""

    def uniform(self, low=0.0, high=1.0, size=None):
        return np.full(size, high, dtype=np.float64)


def _images(n=5, shape=(6, 7), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, shape[0] * shape[1]))


def test_no_range_returns_the_images_themselves():
    X = _images()
    assert RandomAffine()(X, (6, 7), random_state=0) is X


def test_a_shift_moves_every_pixel_exactly():
    X = _images()
    moved = RandomAffine(shift=2)(X, (6, 7), random_state=Largest())
    images, out = X.reshape(-1, 6, 7), moved.reshape(-1, 6, 7)
    np.testing.assert_array_equal(out[:, 2:, 2:], images[:, :-2, :-2])
    # outside the image, the nearest edge pixel
    np.testing.assert_array_equal(out[:, 0, 2:], images[:, 0, :-2])


def test_a_quarter_turn_is_rotate_images_turn():
    X = _images(shape=(7, 7))
    turned = RandomAffine(rotation=90)(X, (7, 7), random_state=Largest())
    np.testing.assert_allclose(turned, rotate_images(X, 90, (7, 7)), atol=1e-12)
    np.testing.assert_allclose(turned, SymmetryGroup.rotations((7, 7))[1](X),
                               atol=1e-12)


def test_a_zoom_about_the_centre_keeps_the_centre():
    X = np.zeros((1, 49))
    X[0, 24] = 1.0  # the centre pixel
    zoomed = RandomAffine(scale=0.5)(X, (7, 7), random_state=Largest())
    assert zoomed[0, 24] == 1.0 and zoomed.sum() > 1.0  # spread over neighbours


def test_wrap_mode_rolls_a_signal_on_its_ring():
    x = _images(n=3, shape=(1, 8))
    rolled = RandomAffine(shift=3, mode="wrap")(x, (1, 8), random_state=Largest())
    np.testing.assert_array_equal(rolled, np.roll(x, 3, axis=1))


def test_constant_mode_fills_with_cval():
    X = _images()
    moved = RandomAffine(shift=2, mode="constant", cval=-1.0)(
        X, (6, 7), random_state=Largest())
    assert (moved.reshape(-1, 6, 7)[:, :2] == -1.0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_seeded_draws_keep_dtype_and_leave_the_input(dtype):
    X = _images().astype(dtype)
    before = X.copy()
    jitter = RandomAffine(rotation=20, shift=1.5, scale=0.1)
    first = jitter(X, (6, 7), random_state=3)
    assert first.dtype == dtype and first.shape == X.shape
    np.testing.assert_array_equal(first, jitter(X, (6, 7), random_state=3))
    assert not np.array_equal(first, jitter(X, (6, 7), random_state=4))
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("params, X, shape, error, match", [
    ({"rotation": 200}, _images(), (6, 7), ValueError, "rotation"),
    ({"scale": 1.0}, _images(), (6, 7), ValueError, "scale"),
    ({"mode": "reflect"}, _images(), (6, 7), ValueError, "mode"),
    ({"shift": 1}, _images(), (6, 6), ValueError, "holds 36 pixels"),
    ({"shift": 1}, _images(), (42,), ValueError, "image_shape must be"),
    ({"shift": 1}, _images()[0], (6, 7), ValueError, "2-D float array"),
    ({"shift": 1}, np.ones((2, 42), int), (6, 7), ValueError, "2-D float array"),
    ({"rotation": 10}, _images(shape=(1, 8)), (1, 8), ValueError, "not signals"),
])
def test_clear_errors(params, X, shape, error, match):
    with pytest.raises(error, match=match):
        RandomAffine(**params)(X, shape, random_state=0)


TINY = dict(image_shape=(6, 6), conv_channels=(3, 4), hidden_layer_sizes=(5,),
            max_iter=2, batch_size=8, random_state=0)


def _digits_like(n=40):
    X = _images(n=n, shape=(6, 6), seed=1)
    return X, (np.abs(X[:, :18]).sum(axis=1) > 9).astype(int)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("trunk", ["orbit", "group"])
def test_networks_stay_exactly_invariant_and_augment_only_in_fit(trunk):
    X, y = _digits_like()
    G = SymmetryGroup.dihedral((6, 6)) * SymmetryGroup.inversion()
    seen = []

    class Spy(RandomAffine):
        def __call__(self, X, image_shape, random_state=None):
            seen.append((X.shape, image_shape))
            return super().__call__(X, image_shape, random_state)

    clf = InvariantCNNClassifier(G, trunk=trunk, augmentation=Spy(rotation=30, shift=1),
                                 **TINY).fit(X, y)
    assert seen == [((8, 36), (6, 6))] * 10  # 5 minibatches, 2 epochs
    reference = clf.predict_proba(X)
    assert all(np.array_equal(clf.predict_proba(g(X)), reference) for g in G)
    assert len(seen) == 10  # prediction does not augment
    plain = InvariantCNNClassifier(G, trunk=trunk, **TINY).fit(X, y)
    assert not np.array_equal(plain.predict_proba(X), reference)
    again = clone(clf).fit(X, y)  # the fit's random state draws the maps
    np.testing.assert_array_equal(again.predict_proba(X), reference)


def test_augmentation_is_a_nested_parameter():
    reg = InvariantCNNRegressor(augmentation=RandomAffine(shift=1))
    reg.set_params(augmentation__rotation=15.0)
    assert reg.get_params()["augmentation__rotation"] == 15.0
    assert clone(reg).augmentation.rotation == 15.0


@pytest.mark.parametrize("augmentation, error, match", [
    ("rotate", ValueError, "augmentation"),
    (lambda X, shape, rng: X[:, :5], ValueError, "the minibatch's shape"),
    (lambda X, shape, rng: X * np.inf, ValueError, "non-finite"),
])
def test_a_bad_augmentation_is_refused(augmentation, error, match):
    X, y = _digits_like()
    with pytest.raises(error, match=match):
        InvariantCNNClassifier(augmentation=augmentation, **TINY).fit(X, y)


def test_convergence_warning_still_raised_with_augmentation():
    X, y = _digits_like()
    with pytest.warns(ConvergenceWarning):
        InvariantCNNClassifier(augmentation=RandomAffine(shift=1), **TINY).fit(X, y)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(2, 9), st.integers(0, 2**31 - 1),
       st.floats(0, 180), st.floats(0, 4), st.floats(0, 0.5))
def test_bilinear_maps_stay_within_each_images_range(height, width, seed, rotation,
                                                    shift, scale):
    """Every output pixel is a convex combination of input pixels (bilinear
    weights, the nearest edge outside): no value leaves its image's range."""
    X = np.random.default_rng(seed).normal(size=(3, height * width))
    if height == 1:
        rotation = scale = 0.0
    moved = RandomAffine(rotation, shift, scale)(X, (height, width), seed)
    tol = 1e-12
    assert (moved >= X.min(axis=1, keepdims=True) - tol).all()
    assert (moved <= X.max(axis=1, keepdims=True) + tol).all()


@given(st.integers(2, 12), st.integers(-30, 30))
def test_whole_pixel_shifts_on_a_ring_are_rolls(length, k):
    x = np.random.default_rng(length).normal(size=(2, length))

    class Exactly(np.random.RandomState):
        """Moves of exactly k pixels; the middle of the other ranges (no
        turn, no zoom)."""

        def uniform(self, low=0.0, high=1.0, size=None):
            if isinstance(size, tuple):  # the moves, (2, n_images)
                return np.full(size, float(k))
            return np.full(size, (low + high) / 2.0)

    rolled = RandomAffine(shift=abs(k) or 1, mode="wrap")(x, (1, length), Exactly())
    np.testing.assert_array_equal(rolled, np.roll(x, k, axis=1))
