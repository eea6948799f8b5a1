"""What the three averaging meta-estimators share: input checks that accept
what the inner estimator accepts, fitting on the orbit, and Dask arrays
processed block by block."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import get_tags
from sklearn.utils.validation import has_fit_parameter

from .._compat import _check_sample_weight, validate_data
from ..symmetry._internal import as_arrays, signed_permutations

__all__ = [
    "blockwise",
    "fit_inner",
    "group_of",
    "inner_has",
    "is_dask",
    "validate_X",
]


def inner_has(attr):
    """`available_if` check: the fitted (else the unfitted) inner estimator
    has ``attr``."""

    def check(self):
        getattr(self._inner(), attr)  # raises AttributeError, hiding the method
        return True

    return check


def validate_X(estimator, inner, X, y="no_validation", *, reset, **kwargs):
    """``validate_data`` as floats (the group negates values), accepting
    sparse input and NaN where ``inner`` does."""
    tags = get_tags(inner).input_tags
    return validate_data(
        estimator,
        X,
        y,
        reset=reset,
        dtype=(np.float64, np.float32),
        accept_sparse=["csr", "csc"] if tags.sparse else False,
        ensure_all_finite="allow-nan" if tags.allow_nan else True,
        **kwargs,
    )


def group_of(symmetry, X):
    """The group bound to ``X``'s width, and its ``(perms, signs)``."""
    group = signed_permutations(symmetry, X.shape[1])
    perms, signs = as_arrays(group, X.dtype)
    return group, perms, signs


def _stacked_orbit(X, group):
    """``[g(X) for g in group]`` stacked, the identity first, filled one
    image at a time."""
    if sp.issparse(X):
        return sp.vstack([g(X) for g in group], format=X.format)
    n = X.shape[0]
    out = np.empty((len(group) * n, X.shape[1]), dtype=X.dtype)
    for k, g in enumerate(group):
        out[k * n : (k + 1) * n] = g(X)
    return out


def fit_inner(inner, X, y, sample_weight, group, y_images=None):
    """Fit ``inner`` on ``X`` (``group=None``) or on the orbit of ``X``,
    ``y_images[k]`` the targets of the ``k``-th image (``y`` by default).

    ``sample_weight`` is passed on (repeated over the orbit) only if given;
    an inner ``fit`` that does not take it is refused with a TypeError.
    """
    params = {}
    n_copies = 1 if group is None else len(group)
    if sample_weight is not None:
        if not has_fit_parameter(inner, "sample_weight"):
            raise TypeError(
                f"sample_weight was given but {type(inner).__name__}.fit does not "
                "accept sample_weight."
            )
        sample_weight = _check_sample_weight(sample_weight, X)
        params["sample_weight"] = np.tile(sample_weight, n_copies)
    if group is None:
        return inner.fit(X, y, **params)
    if y is not None:
        y = np.concatenate(y_images if y_images is not None else [y] * n_copies)
    return inner.fit(_stacked_orbit(X, group), y, **params)


def is_dask(X):
    """Whether ``X`` is a Dask array (checked without importing Dask)."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "map_blocks")


def lazy_or_validated(estimator, inner, X, method, *, n_columns, dtype):
    """``(result, True)`` for a Dask ``X``: ``method`` called lazily block by
    block (see `blockwise`); else ``(X, False)``, ``X`` checked against what
    `fit` saw."""
    if is_dask(X):
        return blockwise(X, method, estimator.n_features_in_, n_columns=n_columns,
                         dtype=dtype), True
    return validate_X(estimator, inner, X, reset=False), False


def blockwise(X, method, n_features, *, n_columns, dtype):
    """``method`` on each block of rows of the Dask array ``X``, lazily.

    ``n_columns`` is the output width, or None for one value per row.
    """
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(
            f"X has shape {X.shape}, but the estimator was fitted on "
            f"{n_features} features."
        )
    X = X.rechunk({1: -1})  # a block holds whole rows
    if n_columns is None:
        return X.map_blocks(
            method, drop_axis=1, dtype=dtype, meta=np.empty((0,), dtype=dtype)
        )
    return X.map_blocks(
        method,
        chunks=(X.chunks[0], (n_columns,)),
        dtype=dtype,
        meta=np.empty((0, 0), dtype=dtype),
    )
