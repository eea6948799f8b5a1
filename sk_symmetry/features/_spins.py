"""The canonical configuration of spins under the global spin flip."""

import numpy as np
from sklearn.utils import check_array

__all__ = ["canonical_spins"]


def canonical_spins(X):
    """Spins times the sign of their magnetisation: ``x * sign(sum(x))``.

    An invariant of the spin flip (``canonical_spins(-X) == canonical_spins(X)``
    exactly) that keeps the order parameter: the canonical configuration has
    ``m >= 0``. A tie (``m = 0``, possible for an even number of spins) is
    broken by the sign of the first nonzero spin, so that the result is the
    same for ``x`` and ``-x`` there too. A plain function: use it in a
    `~sklearn.preprocessing.FunctionTransformer`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_spins)
        Configurations, one per row (spins of +-1, or any real values). One
        configuration is a row too, ``X.reshape(1, -1)``: a 1-d array is
        refused with a ValueError, as scikit-learn's estimators refuse it.

    Returns
    -------
    X_canonical : ndarray of shape (n_samples, n_spins)
        Each row of ``X`` or its negation, whichever has the nonnegative sum.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry.features import canonical_spins
    >>> X = np.array([[1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, 1.0, -1.0]])
    >>> canonical_spins(X)
    array([[ 1., -1., -1.,  1.],
           [ 1., -1., -1.,  1.]])
    """
    # Non-finite values pass through (a NaN spin makes its row NaN), and no
    # sample is fine (an empty result), as before this check was added.
    X = check_array(
        X, dtype=np.float64, ensure_all_finite=False, ensure_min_samples=0,
        input_name="X",
    )
    sign = np.sign(X.sum(axis=1))
    nonzero = X != 0
    first = np.where(
        nonzero.any(axis=1),
        X[np.arange(len(X)), nonzero.argmax(axis=1)],
        1.0,
    )
    sign = np.where(sign == 0, np.sign(first), sign)
    return X * sign[:, np.newaxis]
