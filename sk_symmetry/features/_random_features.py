"""`InvariantRandomFeatures`: random features averaged over a symmetry group."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import assert_all_finite, check_random_state

from .._compat import Interval, StrOptions
from .._docstrings import fill_doc
from .._utils import n_threads
from ..symmetry import SymmetryGroup
from ..symmetry._internal import as_arrays, as_image_shape, image
from ._common import (
    InvariantTransformer,
    check_image_shape,
)
from ._random_maps import invariant_random_features
from ._random_plan import negates_every_patch, patch_indices

__all__ = ["InvariantRandomFeatures"]


@fill_doc
class InvariantRandomFeatures(InvariantTransformer):
    """Random features pooled over a symmetry group: exactly invariant, continuous.

    Feature ``k`` is the group average (the Reynolds operator) of a random
    feature, or its maximum over the group::

        phi_k(x) = pool over g in G, positions p of sigma(w_k . patch_p(g x) + b_k)

    with random weights ``w_k``, offsets ``b_k`` and an activation ``sigma``.
    Each feature is the same for ``x`` and every image ``g x``, bitwise; it is
    continuous in ``x`` (unlike a canonical form), and with more components
    the family tells orbits apart (the averaged kernel of random features,
    `invariant_kernel`, is the limit of the mean pooling with ``"cos"``).
    Sliding patches over the input adds translations, as a convolution.

    Parameters
    ----------
    symmetry : SymmetryGroup, default=None
        The group of signed permutations to pool over. None means grayscale
        inversion ``x -> -x`` (``SymmetryGroup.inversion()``), which adapts
        to the width of ``X``; any other group must act on ``n_features``.

    n_components : int, default=1000
        Number of random features (output columns).

    patch_shape : int, tuple of int (height, width), list of those or None, \
            default=None
        None: each weight vector spans the whole input. Otherwise weights act
        on patches slid over every position (see ``borders``) of the image
        ``image_shape`` (a line of ``n_features`` values without one): an int
        ``m`` is ``m`` consecutive values on a line, an ``m x m`` square on
        an image; a tuple is one ``(height, width)`` (a 1-tuple ``(m,)`` is
        ``(1, m)``); a list holds several
        shapes, among which the components are shared in turn.

    image_shape : tuple of int (height, width) or (length,), default=None
        The image the features form; defaults to the group's ``image_shape``.
        A 1-tuple ``(length,)`` is the one-row image ``(1, length)``.

    dilations : int or list of int, default=1
        Steps between the pixels of a patch (ROCKET's dilations); with a
        list, components are shared in turn among every pair of a patch shape
        and a dilation. Ignored with ``patch_shape=None``.

    borders : {"valid", "wrap"}, default="valid"
        ``"valid"``: patches lie inside the image. ``"wrap"``: a patch at
        every pixel, wrapping around the edges (rings, tori).

    activation : {"relu", "tanh", "cos"}, default="relu"
        ``sigma``. ``"cos"`` with ``offsets="phase"`` and mean pooling gives
        random Fourier features of `invariant_kernel`'s ``"rbf"`` kernel.

    pooling : {"mean", "max", "ppv"}, default="mean"
        How the values over the group and positions are combined: their mean,
        their maximum, or the proportion of positive values (ROCKET's "ppv").

    offsets : {"auto", "data", "phase", "zero"}, default="auto"
        ``b_k``. ``"data"``: ``-w_k . u_k`` for a patch ``u_k`` of a random
        image of a random training row, redrawn while it is all zero (the
        hyperplane of feature ``k`` passes through a training patch that
        carries signal; ROCKET takes its offsets from the training data
        too). ``"phase"``: uniform on ``[0, 2 pi)``, for ``"cos"``.
        ``"zero"``: no offsets. ``"auto"``: ``"phase"`` for ``"cos"``, else
        ``"data"``.

    gamma : float, default=None
        Weights are drawn from ``N(0, 2 gamma)`` per coordinate, as
        `~sklearn.kernel_approximation.RBFSampler` does; None means
        ``1 / patch_size``. With ``"relu"`` and data offsets the scale only
        scales the features.

    random_state : int, RandomState instance or None, default=None
        Draws the weights and offsets in `fit`.

    Attributes
    ----------
    group_ : SymmetryGroup
        The group on ``n_features_in_`` features.

    patches_ : list of (tuple or None, int)
        Every (patch shape, dilation) in use; ``(None, 1)`` is the whole input.

    component_patches_ : ndarray of int of shape (n_components,)
        For each component, its index in ``patches_``.

    random_weights_ : list of ndarray of shape (patch_size, n_components_i)
        The weights of the components of each entry of ``patches_``, as
        columns in the order of the output columns.

    random_offset_ : ndarray of shape (n_components,)
        ``b_k``.

    {input_feature_attributes}

    See Also
    --------
    invariant_kernel : The exact kernel of the mean-pooled ``"cos"`` features.
    GroupInvariantTransformer : Canonical form and averaged products.
    sklearn.kernel_approximation.RBFSampler : The same without a group.

    Notes
    -----
    Exactness. The features of ``X`` and of ``g(X)`` are equal bitwise, for
    every ``g`` in the group and float32 or float64 ``X`` (integers become
    float64). A row's images are visited in an order set by the images
    themselves (sorted by their bytes), each through the same computation at
    the same place of an equally shaped block, so the mean adds the same
    numbers in the same order; the maximum and the counts of positive values
    do not depend on the order.

    Translations. With ``borders="wrap"`` the features are exactly invariant
    under every cyclic translation of the image too (the patches of a shifted
    image are the same patches, visited from another start, and positions are
    summed in the same order only up to that shift: so the maximum and ppv
    are bitwise invariant, the mean up to rounding). With ``"valid"`` a
    translation changes only patches at the edges: features do not change
    when the image content moves on a constant background and stays at least
    a patch away from every edge, up to rounding for the mean. For
    translations alone, pool over the one-element group
    ``SymmetryGroup([(None, 1, "identity")])`` with patches.

    The inversion trap. Under a group containing ``x -> -x`` each value
    ``sigma(w . u)`` meets ``sigma(-w . u)``: without offsets an odd
    activation (``"tanh"``) averages to exactly zero and every proportion of
    positive values is one half. So it does under any group that pairs every
    patch of an image with its negative at another element and position,
    such as the ring ``{(-1)^k shift^k}`` with patches. `fit` refuses those
    combinations; the default (``"relu"``, data offsets) works for every
    group, since ``relu(z) + relu(-z) = |z|``.

    Cost. ``transform`` is ``|G| * n_positions`` products of patches and
    weights per row, half as many when the group holds ``-g`` with each
    ``g`` (any group times `SymmetryGroup.inversion`): ``w . (-v) = -(w .
    v)``, so one product serves both images of a pair. It works in blocks of
    rows, with one group element in flight at a time: beyond the input and
    the output, memory stays at a few MB per thread whatever ``n_samples``.

    References
    ----------
    A. Rahimi and B. Recht, "Random features for large-scale kernel machines",
    NeurIPS 2007. B. Haasdonk and H. Burkhardt, "Invariant kernel functions
    for pattern analysis and machine learning", Machine Learning 68, 2007.
    A. Dempster, F. Petitjean and G. I. Webb, "ROCKET", Data Mining and
    Knowledge Discovery 34, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import InvariantRandomFeatures, SymmetryGroup
    >>> G = SymmetryGroup.dihedral((4, 4)) * SymmetryGroup.inversion()
    >>> X = np.random.default_rng(0).standard_normal((3, 16))
    >>> irf = InvariantRandomFeatures(G, n_components=5, random_state=0).fit(X)
    >>> irf.transform(X).shape
    (3, 5)
    >>> all(np.array_equal(irf.transform(g(X)), irf.transform(X)) for g in G)
    True
    """

    _parameter_constraints: dict = {
        "symmetry": [None, SymmetryGroup],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "patch_shape": [None, Interval(Integral, 1, None, closed="left"), tuple, list],
        "image_shape": [None, tuple, list],
        "dilations": [Interval(Integral, 1, None, closed="left"), list],
        "borders": [StrOptions({"valid", "wrap"})],
        "activation": [StrOptions({"relu", "tanh", "cos"})],
        "pooling": [StrOptions({"mean", "max", "ppv"})],
        "offsets": [StrOptions({"auto", "data", "phase", "zero"})],
        "gamma": [None, Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    _overflowing = "random features"

    def __init__(
        self,
        symmetry=None,
        n_components=1000,
        *,
        patch_shape=None,
        image_shape=None,
        dilations=1,
        borders="valid",
        activation="relu",
        pooling="mean",
        offsets="auto",
        gamma=None,
        random_state=None,
    ):
        self.symmetry = symmetry
        self.n_components = n_components
        self.patch_shape = patch_shape
        self.image_shape = image_shape
        self.dilations = dilations
        self.borders = borders
        self.activation = activation
        self.pooling = pooling
        self.offsets = offsets
        self.gamma = gamma
        self.random_state = random_state

    def _fit(self, X):
        """Draw the weights and offsets (data offsets from ``X``)."""
        n_samples, n_features = X.shape
        shape = self._image_shape(n_features)
        self.patches_ = _patch_configs(
            self.patch_shape, self.dilations, shape, self.borders
        )
        offsets = self.offsets
        if offsets == "auto":
            offsets = "phase" if self.activation == "cos" else "data"
        self._check_trap(offsets, shape)
        rng = check_random_state(self.random_state)
        perms, signs = self._perms_signs(X.dtype)
        n_configs = len(self.patches_)
        self.component_patches_ = np.arange(self.n_components) % n_configs
        self.random_weights_ = []
        self.random_offset_ = np.zeros(self.n_components)
        for c, (patch, dilation) in enumerate(self.patches_):
            columns = np.flatnonzero(self.component_patches_ == c)
            idx = self._indices(shape, patch, dilation)
            size = n_features if idx is None else idx.shape[1]
            gamma = 1.0 / size if self.gamma is None else self.gamma
            W = np.sqrt(2 * gamma) * rng.standard_normal((size, columns.size))
            if offsets == "phase":
                b = rng.uniform(0, 2 * np.pi, size=columns.size)
            elif offsets == "data":
                u = _signal_patches(X, perms, signs, idx, columns.size, rng)
                b = -np.einsum("ks,sk->k", u, W)
            else:
                b = np.zeros(columns.size)
            self.random_weights_.append(W)
            self.random_offset_[columns] = b

    def _image_shape(self, n_features):
        """The (height, width) that patches slide over."""
        shape = check_image_shape(
            self.image_shape, n_features, self.group_.image_shape
        )
        return shape or (1, n_features)

    def _indices(self, shape, patch, dilation):
        if patch is None:
            return None
        return patch_indices(shape, patch, dilation, self.borders)

    def _perms_signs(self, dtype):
        return as_arrays(self.group_, dtype)

    def _check_trap(self, offsets, shape):
        """Refuse features that vanish by symmetry: without offsets, a group
        that pairs every patch of an image with its negative (the inversion
        x -> -x, or e.g. the ring {(-1)^k shift^k}) meets each value with its
        negative, so ppv is 1/2 and the mean of the odd tanh is zero."""
        ppv = self.pooling == "ppv" and self.activation != "cos"
        odd_mean = self.pooling == "mean" and self.activation == "tanh"
        if offsets != "zero" or not (ppv or odd_mean):
            return
        perms, signs = self._perms_signs(np.int8)
        for patch, dilation in self.patches_:
            indices = self._indices(shape, patch, dilation)
            if not negates_every_patch(perms, signs, indices):
                continue
            where = (
                "every image meets its negative (as under the inversion x -> -x)"
                if patch is None
                else f"every {patch[0]} x {patch[1]} patch (dilation "
                f"{dilation}) of an image meets its negative at another "
                "element and position"
            )
            if ppv:
                raise ValueError(
                    f"offsets='zero' with pooling='ppv' under this symmetry "
                    f"makes every feature 1/2: {where}, so half the values "
                    "are positive; use offsets='data'."
                )
            raise ValueError(
                "offsets='zero' with the odd activation 'tanh' and mean pooling "
                f"under this symmetry averages every feature to zero: {where}; "
                "use offsets='data' or activation='relu'."
            )

    def _invariants(self, X):
        # Max and ppv pooling can hide a NaN (a count, a maximum of others):
        # one pass over X costs little beside |G| products per position.
        assert_all_finite(X, input_name="X")
        shape = self._image_shape(X.shape[1])
        perms, signs = self._perms_signs(X.dtype)
        maps = []
        for c, ((patch, dilation), W) in enumerate(
            zip(self.patches_, self.random_weights_, strict=True)
        ):
            columns = np.flatnonzero(self.component_patches_ == c)
            maps.append(
                (
                    self._indices(shape, patch, dilation),
                    W.astype(X.dtype, copy=False),
                    self.random_offset_[columns].astype(X.dtype),
                    columns,
                )
            )
        out = np.empty((X.shape[0], self.n_components), dtype=X.dtype)
        finite = invariant_random_features(
            X, perms, signs, maps, self.pooling, self.activation, out, n_threads()
        )
        if self.activation == "cos" and self.pooling == "mean":
            out *= np.sqrt(2.0 / self.n_components)
        return out, finite

    def _names_out(self, names):
        prefix = type(self).__name__.lower()
        return [f"{prefix}{k}" for k in range(self.n_components)]


# How many times a component's patch is redrawn while it is zero.
_MAX_REDRAWS = 1000


def _signal_patches(X, perms, signs, indices, n_patches, rng):
    """``n_patches`` patches of random images of random rows of ``X``, as
    float64 rows: each of a random element, at a random position (`indices`;
    None for the whole input), redrawn while it is all zero.

    A zero patch would give offset 0, and without an offset a group that
    negates the patches (any group with the inversion) averages tanh to zero
    and makes ppv 1/2: a feature dead by construction (issue 26, item 1: 28 of
    100 on digits with a black background). A patch is zero only where ``X``
    is, so the redraws stop after ``_MAX_REDRAWS`` rounds (an ``X`` almost
    everywhere zero), leaving those offsets at zero.
    """
    u = np.zeros((n_patches, X.shape[1] if indices is None else indices.shape[1]))
    todo = np.arange(n_patches)
    for redraw in range(_MAX_REDRAWS):
        if redraw == 1 and not X.any():  # nothing but zero patches
            break
        rows = rng.randint(X.shape[0], size=todo.size)
        elements = rng.randint(len(perms), size=todo.size)
        drawn = image(X[rows], perms, signs, elements).astype(np.float64)
        if indices is not None:
            positions = rng.randint(indices.shape[0], size=todo.size)
            drawn = drawn[np.arange(todo.size)[:, None], indices[positions]]
        u[todo] = drawn
        todo = todo[~drawn.any(axis=1)]
        if todo.size == 0:
            break
    return u


def _patch_configs(patch_shape, dilations, image_shape, borders):
    """Every (patch shape, dilation) pair, checked against the image."""
    if patch_shape is None:
        return [(None, 1)]
    shapes = patch_shape if isinstance(patch_shape, list) else [patch_shape]
    steps = dilations if isinstance(dilations, list) else [dilations]
    if not shapes or not steps:
        raise ValueError("patch_shape and dilations must not be empty lists.")
    h, w = image_shape
    configs = []
    for shape in shapes:
        if isinstance(shape, Integral) and not isinstance(shape, bool) and shape > 0:
            shape = (1, int(shape)) if h == 1 else (int(shape), int(shape))
        else:
            shape = as_image_shape(shape, "patch_shape")
        for step in steps:
            if not isinstance(step, Integral) or isinstance(step, bool) or step < 1:
                raise ValueError(
                    f"dilations must be positive integers, got {step!r}."
                )
            extent = ((shape[0] - 1) * step + 1, (shape[1] - 1) * step + 1)
            if extent[0] > h or extent[1] > w:
                raise ValueError(
                    f"patch_shape {shape} with dilation {step} spans {extent}, "
                    f"larger than the image {image_shape}."
                )
            if (shape, int(step)) not in configs:
                configs.append((shape, int(step)))
    return configs
