"""Kernels averaged over a symmetry group, as `sklearn.metrics.pairwise` has them."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.metrics.pairwise import (
    check_pairwise_arrays,
    kernel_metrics,
    pairwise_kernels,
)

from ..symmetry._internal import (
    as_arrays,
    image,
    orbit_order,
    signed_permutations,
)

__all__ = ["invariant_kernel"]


def invariant_kernel(X, Y=None, symmetry=None, kernel="rbf", **params):
    """The group average of a kernel: ``K[i, j] = mean over g of k(x_i, g y_j)``.

    For a kernel that depends only on distances and inner products (every
    kernel of `sklearn.metrics.pairwise` but ``"chi2"``), each ``g`` is
    orthogonal, so the average is again a positive semi-definite kernel, the
    same for ``x`` or ``y`` replaced by any of their images (Haasdonk and
    Burkhardt 2007). It is the exact kernel that `InvariantRandomFeatures`
    with ``activation="cos"``, ``offsets="phase"`` and mean pooling (on the
    whole input) approximate for ``kernel="rbf"``: their inner products
    approach it as ``n_components`` grows.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
        Sparse input is made dense (the kernel matrix is dense anyway).
    Y : {array-like, sparse matrix} of shape (n_samples_Y, n_features), \
            default=None
        None means ``Y = X``.
    symmetry : SymmetryGroup, default=None
        None means grayscale inversion ``x -> -x``, which adapts to the width.
    kernel : str or callable, default="rbf"
        A kernel name of `sklearn.metrics.pairwise.pairwise_kernels`
        (``"rbf"``, ``"linear"``, ``"poly"``, ``"laplacian"``, ...) but
        ``"chi2"`` and ``"additive_chi2"``, which need non-negative features
        (that the group's sign flips make negative). Or a callable
        ``k(X, Y, **params)`` taking whole matrices of shape
        ``(n_samples_X, n_features)`` and ``(n_samples_Y, n_features)`` and
        returning the ``(n_samples_X, n_samples_Y)`` kernel matrix, such as
        `sklearn.metrics.pairwise.rbf_kernel`: unlike a callable ``metric``
        of `pairwise_kernels`, it is not called per pair of rows (a function
        of two rows is refused for the shape it returns).
    **params
        Passed to the kernel (``gamma``, ``degree``, ``coef0``...). For a
        named kernel, ``gamma`` must be a number >= 0 or None and ``degree``
        and ``coef0`` finite numbers.

    Returns
    -------
    K : ndarray of shape (n_samples_X, n_samples_Y)

    Raises
    ------
    ValueError
        If ``kernel`` is ``"chi2"``, ``"additive_chi2"`` or an unknown name,
        a callable ``kernel`` does not return the kernel matrix, or ``gamma``
        is negative or a parameter not finite.
    TypeError
        If ``symmetry`` is not None or a `SymmetryGroup` instance, or
        ``gamma``, ``degree`` or ``coef0`` is not a number.

    Notes
    -----
    Exact invariance in ``Y``: each row of ``Y`` has its images added in an
    order set by the images themselves (sorted by their bytes), so replacing
    ``Y`` by ``g(Y)`` gives the same bits: the ``j``-th images form the same
    matrix for ``Y`` and ``g(Y)``, so this holds for a callable ``kernel``
    too, as long as it is deterministic. In ``X`` the kernel is invariant up
    to rounding. The work is ``|G|`` kernel matrices; memory two of them.

    Use it for small data sets (the limit of infinitely many features) as a
    precomputed kernel, or as a callable, e.g. with
    ``functools.partial(invariant_kernel, symmetry=G, gamma=0.1)``.

    References
    ----------
    B. Haasdonk and H. Burkhardt, "Invariant kernel functions for pattern
    analysis and machine learning", Machine Learning 68, 2007.

    Examples
    --------
    The kernel as a precomputed one for `~sklearn.svm.SVC`, which then
    predicts the same classes for the images of ``X`` (here ``-X``):

    >>> import numpy as np
    >>> from sklearn.svm import SVC
    >>> from sk_symmetry import SymmetryGroup, invariant_kernel
    >>> G = SymmetryGroup.mirror((2, 2)) * SymmetryGroup.inversion()
    >>> X = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    >>> K = invariant_kernel(X, symmetry=G, gamma=0.5)
    >>> K.round(3)
    array([[0.468, 0.223],
           [0.223, 0.509]])
    >>> svc = SVC(kernel="precomputed").fit(K, [0, 1])
    >>> svc.predict(invariant_kernel(-X, X, symmetry=G, gamma=0.5))
    array([0, 1])
    """
    _check_kernel(kernel, params)
    X, Y = check_pairwise_arrays(
        X, Y, dtype=(np.float64, np.float32), accept_sparse=("csr", "csc", "coo")
    )
    # Sparse input is made dense, C-ordered as dense input is used (issue 26,
    # item 8): the images of Y are dense rows whatever Y is, and K holds a
    # value per pair of rows anyway.
    X, Y = (
        np.ascontiguousarray(A.toarray()) if sp.issparse(A) else A for A in (X, Y)
    )
    Y = np.ascontiguousarray(Y)
    group = signed_permutations(symmetry, X.shape[1])
    perms, signs = as_arrays(group, Y.dtype)
    order = orbit_order(Y, perms, signs)
    K = None
    for j in range(len(perms)):
        Yj = image(Y, perms, signs, order[:, j])
        if callable(kernel):
            term = _call_kernel(kernel, X, Yj, params)
        else:
            term = pairwise_kernels(X, Yj, metric=kernel, **params)
        if K is None:
            K = np.array(term, dtype=np.result_type(term, np.float32))
        else:
            K += term
    K /= len(perms)
    return K


def _check_kernel(kernel, params):
    if callable(kernel):
        return
    if not isinstance(kernel, str):
        raise TypeError(
            f"kernel must be a kernel name or a callable, got {kernel!r}."
        )
    if kernel in ("chi2", "additive_chi2"):
        raise ValueError(
            f"kernel={kernel!r} is not supported: the chi-squared kernels need "
            "non-negative features, and the group's sign flips (such as "
            "inversion x -> -x) make them negative."
        )
    names = sorted(set(kernel_metrics()) - {"chi2", "additive_chi2"})
    if kernel not in names:
        raise ValueError(
            f"kernel must be one of {names} or a callable, got {kernel!r}."
        )
    for name in ("gamma", "degree", "coef0"):
        if name not in params or (name == "gamma" and params[name] is None):
            continue
        value = params[name]
        if not isinstance(value, Real) or isinstance(value, bool):
            raise TypeError(f"{name} must be a real number, got {value!r}.")
        if not np.isfinite(value) or (name == "gamma" and value < 0):
            raise ValueError(
                f"{name} must be finite{' and >= 0' if name == 'gamma' else ''}, "
                f"got {value!r}."
            )


def _call_kernel(kernel, X, Y, params):
    """``kernel(X, Y, **params)`` on whole matrices, checked for its shape."""
    name = getattr(kernel, "__name__", repr(kernel))
    try:
        term = np.asarray(kernel(X, Y, **params))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"kernel {name} failed on whole matrices X {X.shape} and Y "
            f"{Y.shape} ({error}); invariant_kernel calls a callable kernel "
            "on matrices, not per pair of rows."
        ) from error
    if term.shape != (len(X), len(Y)):
        raise ValueError(
            f"kernel {name} returned shape {term.shape} for X {X.shape} and Y "
            f"{Y.shape}; it must return the ({len(X)}, {len(Y)}) kernel matrix "
            "(it is called on whole matrices, not per pair of rows)."
        )
    return term
