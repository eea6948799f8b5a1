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
        categories, objects), where negation would fail or silently wrap.
    ValueError
        For signed integers holding their type's minimum, whose negation does
        not fit in the type.

    Examples
    --------
    >>> from sk_symmetry import invert
    >>> invert([[0.5, -1.0]])
    array([[-0.5,  1. ]])
    """
    if sp.issparse(X):
        _check_negatable(X.dtype, X.data)
        return -X
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # a pandas DataFrame
        # By position: column names may repeat, and X[name] is then a frame.
        for _, column in X.items():
            # A column's own dtype: a categorical of ints is no signed number.
            # Its values without the missing ones, in its own integer type: a
            # nullable Int8 with a missing value is float64 to numpy, which
            # would hide its minimum from the check below.
            numpy_dtype = getattr(column.dtype, "numpy_dtype", None)
            values = column.dropna().to_numpy(dtype=numpy_dtype)
            _check_negatable(column.dtype, values)
        return -X
    X = np.asarray(X)
    _check_negatable(X.dtype, X)
    return np.negative(X)


def _check_negatable(dtype, values):
    if getattr(dtype, "kind", "O") not in "ifc":
        raise TypeError(
            "invert needs signed numeric data (signed int, float or complex); "
            f"got dtype {dtype}, which has no sign to flip."
        )
    # -(-128) does not fit in int8: numpy would silently give -128 back.
    if (
        values.dtype.kind == "i"
        and values.size
        and values.min() == np.iinfo(values.dtype).min
    ):
        raise ValueError(
            f"invert cannot negate {values.min()}, the smallest {dtype}: "
            "convert the data to a wider integer or a float type first."
        )
