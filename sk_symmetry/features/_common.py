"""What the invariant transformers share: their base class (the shape of
``transform`` and ``get_feature_names_out``, the dtypes kept), input checks,
the image shape, the pairs of the quadratic features, the overflow error,
product names.

`InversionInvariantTransformer` is the group machinery specialised to the
inversion ``x -> -x``: the orbit of a pair ``(i, j)`` under inversion is the
pair itself with sign ``+1``, so the group average of ``x_i x_j`` is the
product, and the pairs are made by `pair_partners` as for
`GroupInvariantTransformer`'s ``kind="averaged"``.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import assert_all_finite

from .._compat import (
    _check_feature_names_in,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from .._docstrings import fill_doc
from ..symmetry import check_symmetry
from ..symmetry._internal import as_image_shape
from ._feature_maps import draw_derangement, neighbor_partners

__all__ = [
    "InvariantTransformer",
    "check_distinct_neighbours",
    "check_image_shape",
    "pair_partners",
    "product_name",
    "raise_overflow",
    "validate_for_group_fit",
    "validate_for_transform",
]

_FLOATS = (np.float64, np.float32)


class InvariantTransformer(TransformerMixin, BaseEstimator):
    """Base of the invariant transformers: checks, then a feature map.

    A subclass defines ``_fit(X)``, which prepares the feature map from
    ``X`` checked by `validate_for_group_fit` (or overrides `fit`, as a
    transformer without a group does), ``_invariants(X) -> (out, finite)`` (``X``
    checked by `validate_for_transform`, floating-point warnings off;
    ``finite`` False when an output may not be finite) and
    ``_names_out(names) -> list of str``. ``_overflowing`` names what
    overflows in the error for a non-finite output. Every transformer keeps
    float32 as float32.
    """

    _overflowing = "products of the features"

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def fit(self, X, y=None):
        """Bind ``symmetry`` to ``X``'s width and prepare the feature map.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: what is drawn from it, if anything, is in the
            class's description.
        {transformer_fit_returns}
        """
        self._fit(validate_for_group_fit(self, X, self._symmetry()))
        return self

    def _symmetry(self):
        """The ``symmetry`` that `fit` binds."""
        return self.symmetry

    def transform(self, X):
        """Map ``X`` to its invariant features.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to transform; sparse only where the transformer accepts it.

        Returns
        -------
        X_out : {ndarray, sparse matrix} of shape (n_samples, n_features_out)
            Same dtype as ``X`` (float32 or float64); CSR for sparse input.
            ``n_features_out`` is ``len(get_feature_names_out())``.
        """
        check_is_fitted(self)
        sparse = self.__sklearn_tags__().input_tags.sparse
        X = validate_for_transform(self, X, accept_sparse=sparse)
        # Non-finite input gives non-finite output, which the feature maps
        # report; numpy's own warnings would only repeat `raise_overflow`.
        with np.errstate(over="ignore", invalid="ignore"):
            out, finite = self._invariants(X)
        if not finite:
            raise_overflow(X, self._overflowing)
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output features (see the class's Notes).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; defaults to ``feature_names_in_`` if defined,
            else ``["x0", "x1", ...]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.asarray(self._names_out(names), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def validate_for_group_fit(estimator, X, symmetry):
    """``X`` checked for `fit` (dense float32 or float64, names and width
    recorded), and ``estimator.group_`` set to ``symmetry`` bound to its
    width."""
    X = validate_data(estimator, X, dtype=_FLOATS)
    estimator.group_ = check_symmetry(symmetry, X.shape[1])
    return X


def validate_for_transform(estimator, X, *, accept_sparse=False):
    """``X`` checked against what `fit` saw, as float32 or float64, C-ordered
    when dense.

    Non-finite values are not looked for here: the kernels find them as they
    go (a non-finite value makes its products non-finite), which costs far
    less than a pass over ``X``; `raise_overflow` names them.
    """
    X = validate_data(
        estimator,
        X,
        reset=False,
        accept_sparse=("csr", "csc") if accept_sparse else False,
        dtype=_FLOATS,
        ensure_all_finite=False,
    )
    return X if sp.issparse(X) else np.ascontiguousarray(X)


def raise_overflow(X, overflowing="products of the features"):
    """Raise for a non-finite output: NaN or infinity in ``X`` if there is
    one, else ``overflowing`` (what was computed) overflows ``X``'s dtype."""
    assert_all_finite(X, input_name="X")
    raise ValueError(
        f"The {overflowing} of X overflow {X.dtype.name}: "
        "scale X down (e.g. into [-1, 1]) before this transformer."
    )


def check_image_shape(image_shape, n_features, group_shape=None):
    """The ``(height, width)`` of ``n_features`` pixels, or None.

    ``image_shape`` is a transformer's parameter (None, a pair, or
    ``(length,)`` for the one-row image ``(1, length)``); ``group_shape`` the
    image shape of its symmetry group, which it must match. None when neither
    is given.
    """
    own = None if image_shape is None else as_image_shape(image_shape)
    if own is not None and group_shape is not None and own != group_shape:
        raise ValueError(
            f"image_shape={own} does not match the symmetry's image_shape "
            f"{group_shape}."
        )
    shape = own or group_shape
    if shape is not None and shape[0] * shape[1] != n_features:
        raise ValueError(
            f"image_shape={shape} holds {shape[0] * shape[1]} pixels but X "
            f"has n_features = {n_features}."
        )
    return shape


def pair_partners(
    pairs, n_features, image_shape, rng, direction="horizontal", parameter="kind"
):
    """The partner of every feature in the quadratic features ``x_i x_p(i)``.

    Parameters
    ----------
    pairs : {"neighbor", "square", "permutation"}
    n_features : int
    image_shape : tuple of int (height, width) or None
        None: a row is a ring of ``n_features`` values (a one-row image whose
        last value wraps to the first).
    rng : numpy.random.RandomState
        Draws the derangement of ``"permutation"``.
    direction : {"horizontal", "vertical", "both"}
        The neighbour of ``"neighbor"`` (see `neighbor_partners`).
    parameter : str
        The caller's name for ``pairs``, used in error messages.

    Returns
    -------
    partners : ndarray of int of shape (n_features,), or (2 * n_features,)
        for ``direction="both"``.
    """
    if pairs == "square":
        return np.arange(n_features)
    if pairs == "permutation":
        return draw_derangement(n_features, rng)
    shape = image_shape if image_shape is not None else (1, n_features)
    check_distinct_neighbours(
        shape, direction, ring=image_shape is None, parameter=parameter
    )
    return neighbor_partners(n_features, shape, direction)


def check_distinct_neighbours(image_shape, direction, *, ring, parameter="kind"):
    """Refuse an image too thin for ``direction``: with a single column (or
    row) a pixel is its own right (or lower) neighbour, and its "product"
    would silently be ``x_i ** 2``, i.e. ``kind="square"``. ``parameter`` is
    the name of the caller's option that chose neighbours (``pairs`` for
    `GroupInvariantTransformer`)."""
    height, width = image_shape
    chosen, square = f"{parameter}='neighbor'", f"{parameter}='square'"
    # Only InversionInvariantTransformer has a direction to change.
    where = f" with direction={direction!r}" if parameter == "kind" else ""
    other = ", or another direction" if parameter == "kind" else ""
    if ring and width == 1:
        raise ValueError(
            f"{chosen} needs at least 2 features: with n_features = 1 the "
            "feature is its own neighbour and its product would be x0 ** 2. "
            f"Use {square} for squares."
        )
    for along, size, name in (
        ("horizontal", width, "column"), ("vertical", height, "row"),
    ):
        if size == 1 and direction in (along, "both"):
            raise ValueError(
                f"{chosen}{where} needs 2 or more {name}s: "
                f"image_shape={image_shape} has 1 {name}, so each pixel is its "
                f"own {along} neighbour and its product would be x_i ** 2. "
                f"Use {square} for squares{other}."
            )


def product_name(names, i, j):
    """``"x3*x4"`` for the product of features 3 and 4, ``"x5^2"`` for 5 with
    itself."""
    return f"{names[i]}^2" if i == j else f"{names[i]}*{names[j]}"
