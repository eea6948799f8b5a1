"""`GroupAveragedTransformer`: any transformer pooled over a symmetry group."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.utils import get_tags

from .._compat import (
    HasMethods,
    StrOptions,
    _check_feature_names_in,
    _fit_context,
    check_is_fitted,
)
from .._docstrings import fill_doc
from ..symmetry._internal import as_arrays
from ._base import fit_inner, group_of, is_dask, lazy_or_validated, validate_X
from ._reynolds import reynolds

__all__ = ["GroupAveragedTransformer"]


@fill_doc
class GroupAveragedTransformer(TransformerMixin, MetaEstimatorMixin, BaseEstimator):
    """Pool any transformer over a symmetry group: exactly invariant features.

    The output for a row ``x`` is the mean (the Reynolds operator) or the
    maximum over the group elements ``g`` of ``transformer.transform(g x)``.
    It is the same, bit for bit, for ``x`` and every image ``g x``: the
    features of `~sklearn.kernel_approximation.Nystroem`,
    `~sklearn.kernel_approximation.RBFSampler`, `~sklearn.decomposition.PCA`
    or any other transformer become invariant, and a linear model on them is
    an invariant model. `InvariantRandomFeatures` is one instance of the
    idea, with a compiled fast path for random features.

    Parameters
    ----------
    transformer : transformer object
        The transformer to pool. A clone is fitted in `fit`.

    symmetry : SymmetryGroup, default=None
        The group of signed permutations to pool over. None means grayscale
        inversion ``x -> -x`` (``SymmetryGroup.inversion()``), which adapts to
        the width of ``X``; any other group must act on ``n_features``. A
        plain function is refused: pooling needs the group's elements listed.

    pooling : {"mean", "max"}, default="mean"
        How the outputs over the group are combined, column by column.

    fit_on : {"data", "orbit"}, default="data"
        What the clone is fitted on: ``X`` as given, or its whole orbit
        ``[g(X) for g in G]`` stacked (``len(G)`` times the rows; ``y`` and
        ``sample_weight`` repeated).

    Attributes
    ----------
    transformer_ : transformer object
        The fitted clone of ``transformer``.

    group_ : SymmetryGroup
        The group on ``n_features_in_`` features.

    {input_feature_attributes}

    See Also
    --------
    InvariantRandomFeatures : Random features pooled over a group, compiled.
    SymmetrizedClassifier : The same average, of a classifier's probabilities.

    Notes
    -----
    Exactness. Each row's images are sorted by their bytes (zeros made
    ``+0.0``), and the inner transformer is called once per position of that
    order, on the images of a block of rows at that position. ``X`` and
    ``g(X)`` (even with a different element for every row) give the inner
    transformer the same batches, and the outputs are added in the same
    order, so the result is the same bits. Sparse input is made dense a
    block at a time to sort the images, which are passed on sparse; a sparse
    output stays sparse.

    Cost. ``transform`` calls the inner ``transform`` ``len(G)`` times per
    block of rows; beyond the input and the output, memory stays at about
    16 MB of images and partial sums, whatever ``n_samples``. On a Dask array
    it runs block by block (``map_blocks``), lazily.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.kernel_approximation import RBFSampler
    >>> from sk_symmetry import GroupAveragedTransformer, SymmetryGroup
    >>> G = SymmetryGroup.dihedral((3, 3))
    >>> X = np.random.default_rng(0).standard_normal((4, 9))
    >>> features = GroupAveragedTransformer(
    ...     RBFSampler(n_components=5, random_state=0), G).fit(X)
    >>> features.transform(X).shape
    (4, 5)
    >>> all(np.array_equal(features.transform(g(X)), features.transform(X))
    ...     for g in G)
    True
    """

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit", "transform"])],
        "symmetry": "no_validation",  # signed_permutations says what is wrong
        "pooling": [StrOptions({"mean", "max"})],
        "fit_on": [StrOptions({"data", "orbit"})],
    }

    def __init__(self, transformer, symmetry=None, *, pooling="mean", fit_on="data"):
        self.transformer = transformer
        self.symmetry = symmetry
        self.pooling = pooling
        self.fit_on = fit_on

    def _inner(self):
        return getattr(self, "transformer_", self.transformer)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None):
        """Fit a clone of ``transformer`` on ``X`` or on its orbit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (sparse if the inner transformer takes it).

        y : array-like of shape (n_samples,) or None, default=None
            Passed on to the inner ``fit`` (repeated over the orbit).

        sample_weight : array-like of shape (n_samples,), default=None
            Passed on only if given; the inner ``fit`` must take it.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        X = validate_X(self, self.transformer, X, reset=True)
        self.group_, _, _ = group_of(self.symmetry, X)
        orbit = self.group_ if self.fit_on == "orbit" else None
        y = None if y is None else np.asarray(y)
        self.transformer_ = fit_inner(
            clone(self.transformer), X, y, sample_weight, orbit
        )
        # The output's width, type and kind, for Dask and feature names.
        probe = self._pool(X[:1])
        self._n_features_out = probe.shape[1]
        self._out_dtype = probe.dtype
        self._out_sparse = sp.issparse(probe)
        return self

    def _pool(self, X):
        perms, signs = as_arrays(self.group_, X.dtype)
        n_outputs = getattr(self, "_n_features_out", 1)
        return reynolds(
            self.transformer_.transform, X, perms, signs,
            pooling=self.pooling, n_outputs=n_outputs,
        )

    @fill_doc(done="transformed")
    def transform(self, X):
        """Pool the inner transformer's output over the group.

        {averaging_dask_input}
        X_new : {ndarray, sparse matrix, dask array} of shape (n_samples, \
n_features_out)
            The mean (or maximum) over ``g`` of ``transformer_.transform(g
            x)``; sparse if the inner transformer's output is.
        """
        check_is_fitted(self)
        if is_dask(X) and self._out_sparse:
            raise ValueError(
                "the inner transformer returns sparse matrices, which a Dask "
                "array cannot hold; pass the data in memory."
            )
        X, lazy = lazy_or_validated(self, self.transformer, X, self.transform,
                                    n_columns=self._n_features_out,
                                    dtype=self._out_dtype)
        return X if lazy else self._pool(X)

    def get_feature_names_out(self, input_features=None):
        """The inner transformer's output names (or ``<name>0``, ``<name>1``...).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names, checked against ``feature_names_in_``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(self, input_features)
        inner = getattr(self.transformer_, "get_feature_names_out", None)
        if inner is not None:
            names = np.asarray(inner(input_features), dtype=object)
            if names.shape == (self._n_features_out,):
                return names
        prefix = type(self).__name__.lower()
        return np.array(
            [f"{prefix}{k}" for k in range(self._n_features_out)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.transformer)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.target_tags.required = inner.target_tags.required
        tags.non_deterministic = inner.non_deterministic
        if inner.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = [
                d for d in inner.transformer_tags.preserves_dtype
                if d in ("float64", "float32")
            ]
        return tags
