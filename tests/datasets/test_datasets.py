"""load_shifted_digits against an independent construction of the paper's data."""

import numpy as np
import pytest
from scipy.ndimage import convolve
from sklearn.datasets import load_digits

from sk_symmetry import load_shifted_digits


def _nudge_dataset_reference(X, Y):
    """scikit-learn's RBM example ``nudge_dataset``, one image at a time."""
    direction_vectors = [
        [[0, 1, 0], [0, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 1], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 0], [0, 1, 0]],
    ]

    def shift(x, w):
        return convolve(x.reshape((8, 8)), mode="constant", weights=w).ravel()

    X = np.concatenate(
        [X] + [np.apply_along_axis(shift, 1, X, vector) for vector in direction_vectors]
    )
    Y = np.concatenate([Y for _ in range(5)], axis=0)
    return X, Y


def test_matches_rbm_example_nudge_and_paper_scaling():
    digits = load_digits()
    X_ref, y_ref = _nudge_dataset_reference(digits.data, digits.target)
    X_ref = (X_ref - X_ref.min(0)) / (X_ref.max(0) + 0.0001)
    X_ref = 2 * X_ref - 1
    X, y = load_shifted_digits(scaling="per_column", return_X_y=True)
    assert X.shape == (8985, 64)
    np.testing.assert_allclose(X, X_ref, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(y, y_ref)


def test_fixed_scaling_makes_inversion_exact_negation():
    digits = load_digits()
    bunch = load_shifted_digits()
    raw = (bunch.data + 1.0) * 8.0
    np.testing.assert_allclose(raw[:1797], digits.data, atol=1e-12)
    # The inverted image 16 - v maps to exactly -x under the fixed scaling.
    np.testing.assert_array_equal((16.0 - raw) / 8.0 - 1.0, -bunch.data)
    assert bunch.data.min() == -1.0 and bunch.data.max() == 1.0


def test_bunch_fields_and_groups():
    bunch = load_shifted_digits()
    assert bunch.image_shape == (8, 8)
    assert bunch.images.shape == (8985, 8, 8)
    np.testing.assert_array_equal(bunch.images.reshape(-1, 64), bunch.data)
    assert len(bunch.feature_names) == 64 and "Shifted digits" in bunch.DESCR
    np.testing.assert_array_equal(bunch.target_names, np.arange(10))
    # Every sample's label equals the label of its source image.
    np.testing.assert_array_equal(bunch.target, bunch.target[bunch.groups])
    np.testing.assert_array_equal(np.bincount(bunch.groups), np.full(1797, 5))
    # The four copies move the source image up, left, right and down by one
    # pixel; the vacated row or column is background (-1 under fixed scaling).
    images = bunch.images.reshape(5, 1797, 8, 8)
    src = images[0]
    np.testing.assert_array_equal(images[1][:, :-1, :], src[:, 1:, :])
    np.testing.assert_array_equal(images[2][:, :, :-1], src[:, :, 1:])
    np.testing.assert_array_equal(images[3][:, :, 1:], src[:, :, :-1])
    np.testing.assert_array_equal(images[4][:, 1:, :], src[:, :-1, :])
    for vacated in (
        images[1][:, -1, :],
        images[2][:, :, -1],
        images[3][:, :, 0],
        images[4][:, 0, :],
    ):
        assert np.all(vacated == -1.0)


def test_bad_scaling():
    with pytest.raises(ValueError, match="scaling"):
        load_shifted_digits(scaling="minmax")
