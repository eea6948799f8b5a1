"""`RandomAffine`: random small turns, shifts and zooms of images, drawn
afresh for every minibatch of a network's fit."""

from numbers import Real

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from .._compat import Interval, StrOptions
from ..features._internal import check_image_shape

__all__ = ["RandomAffine", "random_affine_coordinates"]

_SCIPY_MODES = {"nearest": "nearest", "constant": "constant", "wrap": "grid-wrap"}


def random_affine_coordinates(n_images, image_shape, rotation, shift, scale, rng):
    """Where each output pixel of each image is read from.

    Image ``k`` is turned by an angle drawn uniformly in ``[-rotation,
    rotation]`` degrees about its centre (counter-clockwise as displayed for
    a positive angle, as `rotate_images`), zoomed by a factor drawn uniformly
    in ``[1 - scale, 1 + scale]`` and moved by up to ``shift`` pixels along
    each axis (uniform, not rounded). Returns the ``(3, n_images, height,
    width)`` float64 coordinates `scipy.ndimage.map_coordinates` reads the
    stack of images at: the image's index, then the source row and column.
    """
    height, width = image_shape
    angle = np.deg2rad(rng.uniform(-rotation, rotation, size=n_images))
    zoom = rng.uniform(1.0 - scale, 1.0 + scale, size=n_images)
    move = rng.uniform(-shift, shift, size=(2, n_images))
    if height == 1:  # a signal: only moves along its length
        move[0] = 0.0
    centre_r, centre_c = (height - 1) / 2.0, (width - 1) / 2.0
    rows = np.arange(height, dtype=np.float64)[None, :, None]
    cols = np.arange(width, dtype=np.float64)[None, None, :]
    # Output pixel p comes from c + A^-1 (p - c - t), with A the zoomed turn.
    dr = rows - centre_r - move[0][:, None, None]
    dc = cols - centre_c - move[1][:, None, None]
    cos = (np.cos(angle) / zoom)[:, None, None]
    sin = (np.sin(angle) / zoom)[:, None, None]
    coords = np.empty((3, n_images, height, width))
    coords[0] = np.arange(n_images, dtype=np.float64)[:, None, None]
    coords[1] = centre_r + cos * dr + sin * dc
    coords[2] = centre_c - sin * dr + cos * dc
    return coords


class RandomAffine(BaseEstimator):
    """Random turns, shifts and zooms of images: an augmentation for training.

    Passed as ``augmentation`` to `InvariantCNNClassifier` or
    `InvariantCNNRegressor`, it changes every minibatch's images by a fresh
    random affine map before the step, and only during `fit` and
    `partial_fit`: prediction sees the images as they are. The network stays
    exactly invariant under its ``symmetry`` whatever the augmentation, since
    invariance is built into the network; the augmentation covers what no
    finite group does (turns by any angle, small moves and changes of size).

    Parameters
    ----------
    rotation : float, default=0.0
        Largest turn, in degrees (0 to 180); each image is turned by an angle
        drawn uniformly in ``[-rotation, rotation]``. Must be 0 for signals
        (images of one row).
    shift : float, default=0.0
        Largest move along each axis, in pixels (not rounded: the images are
        interpolated).
    scale : float, default=0.0
        Largest relative change of size, in ``[0, 1)``: zoom factors are drawn
        uniformly in ``[1 - scale, 1 + scale]``.
    mode : {"nearest", "constant", "wrap"}, default="nearest"
        What lies outside the image: its nearest edge pixel (the background of
        most images, whatever its value), ``cval``, or the image repeated (for
        tori and rings).
    cval : float, default=0.0
        The value outside the image with ``mode="constant"``.

    See Also
    --------
    rotate_images : Turn images by given angles (to score robustness).
    OrbitAugmentedClassifier : Training on a finite group's orbit.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import RandomAffine
    >>> X = np.zeros((2, 25)); X[:, 12] = 1.0   # a dot in the middle
    >>> jitter = RandomAffine(shift=1.0)
    >>> jitter(X, (5, 5), random_state=0).shape
    (2, 25)
    >>> bool(np.array_equal(RandomAffine()(X, (5, 5), random_state=0), X))
    True
    """

    _parameter_constraints: dict = {
        "rotation": [Interval(Real, 0, 180, closed="both")],
        "shift": [Interval(Real, 0, None, closed="left")],
        "scale": [Interval(Real, 0, 1, closed="left")],
        "mode": [StrOptions(set(_SCIPY_MODES))],
        "cval": [Real],
    }

    def __init__(self, rotation=0.0, shift=0.0, scale=0.0, mode="nearest", cval=0.0):
        self.rotation = rotation
        self.shift = shift
        self.scale = scale
        self.mode = mode
        self.cval = cval

    def __call__(self, X, image_shape, random_state=None):
        """The images of ``X``, each moved by its own random affine map.

        Parameters
        ----------
        X : ndarray of shape (n_samples, height * width)
            Images as rows, float. Not modified.
        image_shape : tuple of int
            ``(height, width)``; a signal is ``(1, length)``.
        random_state : int, RandomState instance or None, default=None
            Draws the maps.

        Returns
        -------
        X_new : ndarray of shape (n_samples, height * width)
            In ``X``'s dtype; ``X`` itself (not a copy) when every range is 0.
        """
        self._validate_params()
        X = np.asarray(X)
        if X.ndim != 2 or not np.issubdtype(X.dtype, np.floating):
            raise ValueError(
                f"RandomAffine takes a 2-D float array of images as rows; got "
                f"shape {X.shape} of dtype {X.dtype}."
            )
        if np.ndim(image_shape) != 1 or len(image_shape) != 2:
            raise ValueError(
                f"image_shape must be (height, width); got {image_shape!r}."
            )
        height, width = check_image_shape(image_shape, X.shape[1])
        if height == 1 and (self.rotation or self.scale):
            raise ValueError(
                "RandomAffine turns and zooms images, not signals (images of one "
                f"row); got rotation={self.rotation}, scale={self.scale} for "
                f"image_shape={image_shape!r}. Use shift alone."
            )
        if not (self.rotation or self.shift or self.scale) or len(X) == 0:
            return X
        rng = check_random_state(random_state)
        coords = random_affine_coordinates(
            len(X), (height, width), self.rotation, self.shift, self.scale, rng
        )
        moved = ndimage.map_coordinates(
            X.reshape(-1, height, width), coords, order=1,
            mode=_SCIPY_MODES[self.mode], cval=self.cval,
        )
        return moved.reshape(X.shape).astype(X.dtype, copy=False)
