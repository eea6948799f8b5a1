"""`load_shifted_digits`: scikit-learn's digits enlarged 5x by one-pixel shifts."""

import numpy as np
from scipy.ndimage import convolve
from sklearn.datasets import load_digits
from sklearn.utils import Bunch

__all__ = ["load_shifted_digits", "shift_images"]

# The 3x3 kernels of scikit-learn's RBM example ("nudge_dataset"), in its order:
# each moves the image by one pixel (up, left, right, down) with zero fill.
_SHIFT_KERNELS = np.array(
    [
        [[0, 1, 0], [0, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 1], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 0], [0, 1, 0]],
    ]
)

_N_COPIES = 1 + len(_SHIFT_KERNELS)

_DESCR = """\
Shifted digits (Bergman 2019)
-----------------------------

scikit-learn's 8x8 digits (1797 images, values 0..16, 10 classes) enlarged 5x:
the original images followed by four copies shifted by one pixel (the kernels
of scikit-learn's RBM example, zero fill), 8985 samples in all. ``groups[i]``
is the index of the source image of sample ``i``: split with ``GroupKFold`` or
``GroupShuffleSplit`` on it to keep shifted copies of a test image out of the
training set (the paper splits after shifting, which leaks).

Scaling ``"fixed"`` maps 0..16 to [-1, 1] (``v / 8 - 1``), so the inverted
image ``16 - v`` is exactly ``-x``. Scaling ``"per_column"`` is the paper's:
``(X - X.min(0)) / (X.max(0) + 1e-4)`` then ``2 X - 1``, computed over all
8985 samples; values lie in [-1, 1).
"""


def shift_images(images):
    """The four one-pixel shifts of a stack of images, zero filled.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width)

    Returns
    -------
    shifted : ndarray of shape (4, n_images, height, width)
        Shifted up, left, right and down, in the RBM example's order.
    """
    images = np.asarray(images, dtype=np.float64)
    return np.stack(
        [
            convolve(images, kernel[np.newaxis], mode="constant")
            for kernel in _SHIFT_KERNELS
        ]
    )


def load_shifted_digits(*, scaling="fixed", return_X_y=False):
    """Load the paper's data: digits and their one-pixel shifts, in [-1, 1].

    Nothing is downloaded: the digits ship with scikit-learn.

    Parameters
    ----------
    scaling : {"fixed", "per_column"}, default="fixed"
        ``"fixed"`` maps the pixel range 0..16 to [-1, 1], under which
        grayscale inversion of an image is exactly ``-X``; it is the default
        because it makes the symmetry exact and does not depend on the data.
        ``"per_column"`` is the paper's min-max scaling of each pixel over the
        whole (shifted) data set.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - data : ndarray of shape (8985, 64), float64 in [-1, 1].
        - target : ndarray of shape (8985,), the digit.
        - groups : ndarray of shape (8985,), index of the source image.
        - images : ndarray of shape (8985, 8, 8), ``data`` as images.
        - image_shape : tuple ``(8, 8)``.
        - feature_names : list of 64 pixel names.
        - target_names : ndarray of the 10 digits.
        - DESCR : str, a description of the data.

    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from sk_symmetry import load_shifted_digits
    >>> digits = load_shifted_digits()
    >>> digits.data.shape, digits.image_shape
    ((8985, 64), (8, 8))
    >>> float(digits.data.min()), float(digits.data.max())
    (-1.0, 1.0)
    """
    if scaling not in ("fixed", "per_column"):
        raise ValueError(f"scaling must be 'fixed' or 'per_column', got {scaling!r}.")
    digits = load_digits()
    images = digits.images
    stacked = np.concatenate([images[np.newaxis], shift_images(images)])
    X = stacked.reshape(-1, images.shape[1] * images.shape[2])
    if scaling == "fixed":
        X = X / 8.0 - 1.0
    else:
        X = (X - X.min(axis=0)) / (X.max(axis=0) + 1e-4)
        X = 2.0 * X - 1.0
    y = np.tile(digits.target, _N_COPIES)
    if return_X_y:
        return X, y
    n_images, height, width = images.shape
    return Bunch(
        data=X,
        target=y,
        groups=np.tile(np.arange(n_images), _N_COPIES),
        images=X.reshape(-1, height, width),
        image_shape=(height, width),
        feature_names=[f"pixel_{r}_{c}" for r in range(height) for c in range(width)],
        target_names=digits.target_names,
        DESCR=_DESCR,
    )
