"""The inversion symmetry ``x -> -x`` as a plain function."""

import numpy as np
import scipy.sparse as sp

__all__ = ["invert"]


def invert(X):
    """Grayscale inversion: return ``-X`` as a new object, ``X`` unchanged.

    On images scaled to ``[-1, 1]`` (see `load_shifted_digits`) negation turns
    dark digits on a light background into light digits on a dark one. Being a
    plain function it fits anywhere a transform is expected, e.g.
    ``FunctionTransformer(invert)`` or a scorer's ``symmetry``.

    Parameters
    ----------
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        Signed integer, float or complex data.

    Returns
    -------
    X_inverted : same kind as ``X`` (ndarray for other array-likes)
        ``-X``.

    Raises
    ------
    TypeError
        For data with no sign to flip (booleans, unsigned integers, strings,
        objects), where negation would fail or silently wrap around.

    Examples
    --------
    >>> from sk_symmetry import invert
    >>> invert([[0.5, -1.0]])
    array([[-0.5,  1. ]])
    """
    if sp.issparse(X):
        _check_signed(X.dtype)
        return -X
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a pandas DataFrame
        for dtype in np.atleast_1d(X.dtypes):
            _check_signed(
                np.dtype(dtype)
                if not hasattr(dtype, "numpy_dtype")
                else dtype.numpy_dtype
            )
        return -X
    X = np.asarray(X)
    _check_signed(X.dtype)
    return np.negative(X)


def _check_signed(dtype):
    if dtype.kind not in "ifc":
        raise TypeError(
            "invert needs signed numeric data (signed int, float or complex); "
            f"got dtype {dtype}, which has no sign to flip."
        )
