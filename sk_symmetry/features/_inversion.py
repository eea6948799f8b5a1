"""`InversionInvariantTransformer`: features that are the same for X and -X."""


import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite, check_random_state

from .._compat import (
    StrOptions,
    _fit_context,
    validate_data,
)
from .._docstrings import fill_doc
from .._utils import n_threads
from ._common import (
    InvariantTransformer,
    check_image_shape,
    pair_partners,
    product_name,
)
from ._feature_maps import (
    compiled_products,
    neighbor_products,
    permutation_products,
    products_blockwise,
    square_products,
)

__all__ = ["InversionInvariantTransformer"]


@fill_doc
class InversionInvariantTransformer(InvariantTransformer):
    """Quadratic features invariant under the inversion ``x -> -x``.

    Each output feature is a product ``x_i * x_j`` of two input features, so
    ``transform(X)`` and ``transform(-X)`` are exactly equal (Bergman 2019,
    Sec. II.C). Feeding these to any model makes its predictions invariant
    under grayscale inversion of the images.

    Parameters
    ----------
    kind : {"neighbor", "permutation", "square"}, default="neighbor"
        - ``"square"``: ``x_i ** 2``. Loses the sign of every pixel.
        - ``"neighbor"``: ``x_i * x_j`` with ``j`` the next feature (see
          ``image_shape`` and ``direction``). Keeps all relative signs.
        - ``"permutation"``: ``x_i * x_{P(i)}`` for a random permutation ``P``
          without fixed points, drawn in `fit` from ``random_state``.

    image_shape : tuple of int (height, width) or (length,), default=None
        If given, each row is a ``height x width`` image in row-major order
        (``(length,)`` is the one-row image ``(1, length)``) and
        the neighbour of a pixel is the pixel to its right, the last column
        wrapping to the first column of the same row (the paper's cylinder).
        If None, a row is a ring of ``n_features`` values and the neighbour of
        feature ``i`` is ``i + 1`` (the last wraps to the first).
        ``height * width`` must equal ``n_features``.

    direction : {"horizontal", "vertical", "both"}, default="horizontal"
        Which neighbour ``kind="neighbor"`` uses on images: the one to the
        right (the paper's choice), the one below (last row wrapping to the
        first), or both, which doubles the number of output features.
        ``"vertical"`` and ``"both"`` need ``image_shape`` and apply to
        ``kind="neighbor"`` only; every direction used needs 2 or more pixels
        along it, so that no pixel is its own neighbour.

    random_state : int, RandomState instance or None, default=None
        Seeds the permutation of ``kind="permutation"``.

    Attributes
    ----------
    {input_feature_attributes}

    partners_ : ndarray of int of shape (n_features_out,)
        Output feature ``k`` is ``x_{k mod n_features_in_} * x_{partners_[k]}``.

    permutation_ : ndarray of int of shape (n_features_in_,)
        The permutation ``P`` of ``kind="permutation"``; only set for that kind.

    See Also
    --------
    sklearn.preprocessing.PolynomialFeatures : All products of degree 2, of
        which these are a subset of size ``n_features`` rather than
        ``n_features * (n_features + 1) / 2``.

    Notes
    -----
    The paper's code draws ``P`` with ``numpy.random.permutation``, so a few
    pixels may be paired with themselves and then only keep ``x_i ** 2``. Here
    ``P`` is a derangement (no fixed points), so every feature keeps relative
    sign information, as the paper intends.

    The output has the input's dtype (float32 stays float32); integers are
    converted to float64. Sparse input (CSR or CSC) gives CSR output. Output
    features are named after their products, such as ``"x3*x4"`` or
    ``"x5^2"``; ``n_features_out`` is ``n_features``, or ``2 * n_features``
    for ``kind="neighbor", direction="both"``.

    Dense input is transformed by a small compiled kernel in one pass. Inputs
    of more than a few MB are split by rows over as many threads as
    scikit-learn's own OpenMP code would use, so ``OMP_NUM_THREADS`` and
    ``threadpoolctl.threadpool_limits`` limit them in the same way.

    {references}

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import InversionInvariantTransformer
    >>> X = np.array([[1.0, -2.0, 3.0], [0.5, 0.5, -1.0]])
    >>> t = InversionInvariantTransformer(kind="neighbor").fit(X)
    >>> t.transform(X)
    array([[-2. , -6. ,  3. ],
           [ 0.25, -0.5 , -0.5 ]])
    >>> bool(np.array_equal(t.transform(X), t.transform(-X)))
    True
    >>> t.get_feature_names_out().tolist()
    ['x0*x1', 'x1*x2', 'x2*x0']
    """

    _parameter_constraints: dict = {
        "kind": [StrOptions({"neighbor", "permutation", "square"})],
        "image_shape": [None, tuple, list],
        "direction": [StrOptions({"horizontal", "vertical", "both"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        kind="neighbor",
        *,
        image_shape=None,
        direction="horizontal",
        random_state=None,
    ):
        self.kind = kind
        self.image_shape = image_shape
        self.direction = direction
        self.random_state = random_state

    def _checked_image_shape(self, n_features):
        if self.kind != "neighbor" and self.direction != "horizontal":
            raise ValueError(
                f"direction={self.direction!r} applies only to kind='neighbor'; "
                f"kind={self.kind!r} pairs features without a direction. Leave "
                "direction at its default 'horizontal'."
            )
        if self.image_shape is None:
            if self.kind == "neighbor" and self.direction != "horizontal":
                raise ValueError(
                    f"direction={self.direction!r} needs image_shape=(height, "
                    "width); without it a row is a ring and only "
                    "direction='horizontal' is defined."
                )
            return None
        return check_image_shape(self.image_shape, n_features)

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def fit(self, X, y=None):
        """Check the input and, for ``kind="permutation"``, draw ``P``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        {transformer_fit_returns}
        """
        X = validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32)
        )
        n_features = X.shape[1]
        image_shape = self._checked_image_shape(n_features)
        # The pairs of GroupInvariantTransformer(kind="averaged"), each its
        # own orbit under inversion: the average of a pair is its product.
        rng = check_random_state(self.random_state)
        self.partners_ = pair_partners(
            self.kind, n_features, image_shape, rng, self.direction
        )
        if self.kind == "permutation":
            self.permutation_ = self.partners_.copy()
        self._image_shape = image_shape or (1, n_features)  # a ring: one row
        return self

    def _invariants(self, X):
        if sp.issparse(X):
            # Sparse products skip implicit zeros, which would hide a NaN
            # paired with one: check the stored input values first.
            assert_all_finite(X.data, input_name="X")
            out = self._transform_sparse(X)
            return out, np.isfinite(out.data).all()
        # The finite check runs on the output as it is formed (see
        # `compiled_products` and `products_blockwise`), not as a pass over X.
        out = np.empty((X.shape[0], self.partners_.size), dtype=X.dtype)
        finite = compiled_products(X, self.partners_, out, n_threads())
        if finite is None:  # the compiled kernel is not built
            finite = products_blockwise(self._kernel, X, out)
        return out, finite or np.isfinite(out).all()

    def _kernel(self, X, out):
        if self.kind == "square":
            return square_products(X, out)
        if self.kind == "neighbor":
            return neighbor_products(X, out, self._image_shape, self.direction)
        return permutation_products(X, self.permutation_, out)

    def _transform_sparse(self, X):
        X = X.tocsc()
        n_features = X.shape[1]
        repeats = self.partners_.size // n_features
        left = sp.hstack([X] * repeats, format="csc") if repeats > 1 else X
        return left.multiply(X[:, self.partners_]).tocsr()

    def _names_out(self, names):
        n_features = len(names)
        return [
            product_name(names, k % n_features, j)
            for k, j in enumerate(self.partners_)
        ]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

