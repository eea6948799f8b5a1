"""`GroupInvariantTransformer`: features exactly invariant under a symmetry group."""

import numpy as np
from sklearn.utils import assert_all_finite, check_random_state

from .._compat import StrOptions
from .._docstrings import fill_doc
from .._utils import n_threads, warn_at_user_call
from ..symmetry import SymmetryGroup
from ._common import (
    InvariantTransformer,
    pair_partners,
    product_name,
)
from ._group_maps import (
    canonical_form,
    canonical_projection,
    check_canonical_range,
    compiled_canonical_form,
    compiled_orbit_averages,
    orbit_averages,
    pair_orbits,
    projection_images,
)

__all__ = ["GroupInvariantTransformer"]


@fill_doc
class GroupInvariantTransformer(InvariantTransformer):
    """Features exactly the same for ``X`` and ``g(X)``, for every ``g`` in a group.

    Parameters
    ----------
    symmetry : SymmetryGroup, default=None
        The symmetry. None means ``SymmetryGroup.inversion()``, which adapts
        to the width of ``X``; any other group must act on ``n_features``.

    kind : {"canonical", "averaged"}, default="canonical"
        - ``"canonical"``: the complete invariant. Each row is replaced by one
          representative of its orbit: the image ``g(x)`` with the largest
          score ``w . g(x)`` for a fixed functional ``w`` (``projection``).
          Two rows give the same output exactly when one is an image of the
          other. Same width as the input.
        - ``"averaged"``: the group averages (Reynolds operator) of the
          products ``x_i x_j`` over the chosen ``pairs``, one column per
          orbit of pairs (Bergman 2019, Sec. IV.B). For the inversion group
          these are `InversionInvariantTransformer`'s products.

    pairs : {"neighbor", "square", "permutation", "all"}, default="neighbor"
        The products that ``kind="averaged"`` averages: each pixel with the
        one to its right (wrapping; a ring without an image shape), with
        itself, with a random partner (a derangement from ``random_state``),
        or every pair ``i <= j`` (``n (n + 1) / 2`` of them).

    projection : {"moments", "random"} or array of shape (n_features,), \
            default="moments"
        The functional of ``kind="canonical"``. ``"moments"`` weighs the total
        intensity first (it fixes the sign under inversion), then the first
        and second moments of the image about its centre (they fix the
        orientation), plus a small random part from ``random_state`` that
        separates any elements the moments do not. ``"random"`` is a standard
        normal vector from ``random_state``.

    random_state : int, RandomState instance or None, default=None
        Seeds the random part of ``projection`` and the ``"permutation"`` pairs.

    group : SymmetryGroup or None, default="deprecated"
        The former name of ``symmetry``.

        .. deprecated:: 0.2
            ``group`` was renamed ``symmetry``; ``group`` still works, with a
            FutureWarning, and will be removed in 0.3. Setting
            both is an error.

    Attributes
    ----------
    group_ : SymmetryGroup
        The group on ``n_features_in_`` features.

    projection_ : ndarray of shape (n_features_in_,)
        The functional ``w`` (``kind="canonical"``).

    orbits_ : list of (left, right, sign)
        For ``kind="averaged"``: output column ``k`` is the mean of
        ``sign * x[left] * x[right]`` over ``orbits_[k]``.

    {input_feature_attributes}

    See Also
    --------
    InversionInvariantTransformer : The paper's products for ``x -> -x``.
    SymmetryGroup : The groups.

    Notes
    -----
    Exactness. Both kinds are bitwise invariant: the canonical form settles
    near-ties between images by an exact lexicographic comparison, and the
    averaged sums add their terms in sorted order. The one exception is a row
    whose two best scores differ by almost exactly the rounding margin of the
    canonical form's matrix product, a set of tiny measure.

    Overflow. Values so large that a product or a score would overflow are
    refused with a ValueError, for ``X`` and each of its images alike: for
    ``kind="canonical"`` any value above ``finfo.max / (4 n_features)`` in
    magnitude (about 5.7e304 in float64 and 1.1e35 in float32 on 784
    features), for ``kind="averaged"`` any product that overflows.

    The output has the input's dtype (float32 stays float32); integers are
    converted to float64. Sparse input is not supported. Canonical features
    are named ``"canonical(x0)"`` after the position they fill, averaged ones
    ``"avg(x0*x1)"`` after the first pair of their orbit.

    {references}

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import GroupInvariantTransformer, SymmetryGroup
    >>> G = SymmetryGroup.dihedral((2, 2)) * SymmetryGroup.inversion()
    >>> X = np.array([[0.5, -1.0, 2.0, 0.25]])
    >>> t = GroupInvariantTransformer(G, random_state=0).fit(X)
    >>> all(np.array_equal(t.transform(g(X)), t.transform(X)) for g in G)
    True
    """

    _parameter_constraints: dict = {
        "symmetry": [None, SymmetryGroup],
        "kind": [StrOptions({"canonical", "averaged"})],
        "pairs": [StrOptions({"neighbor", "square", "permutation", "all"})],
        "projection": [StrOptions({"moments", "random"}), "array-like"],
        "random_state": ["random_state"],
        "group": [None, SymmetryGroup, StrOptions({"deprecated"})],
    }

    def __init__(
        self,
        symmetry=None,
        *,
        kind="canonical",
        pairs="neighbor",
        projection="moments",
        random_state=None,
        group="deprecated",
    ):
        self.symmetry = symmetry
        self.kind = kind
        self.pairs = pairs
        self.projection = projection
        self.random_state = random_state
        self.group = group

    def _symmetry(self):
        """``symmetry``, or the value of the deprecated ``group`` (the
        pattern of scikit-learn's ``base_estimator`` -> ``estimator``
        rename: a "deprecated" sentinel default, the warning in fit)."""
        if isinstance(self.group, str):  # the "deprecated" sentinel: not set
            return self.symmetry
        if self.symmetry is not None:
            raise ValueError(
                "Both `symmetry` and `group` were set; `group` is the former "
                "name of `symmetry`: set only `symmetry`."
            )
        warn_at_user_call(
            "`group` was renamed `symmetry` in version 0.2 and will be removed "
            "in 0.3: use GroupInvariantTransformer(symmetry=...).",
            FutureWarning,
        )
        return self.group

    def _fit(self, X):
        """Draw the pairs or the projection, and group them by orbit."""
        n_features = X.shape[1]
        rng = check_random_state(self.random_state)
        if self.kind == "canonical":
            seed = rng.randint(np.iinfo(np.int32).max)
            self.projection_ = canonical_projection(
                self.group_, self.projection, self.group_.image_shape, seed
            )
            self._perms = np.stack([g.perm for g in self.group_])
            self._signs = np.stack([g.sign for g in self.group_])
            self._V = projection_images(self.group_, self.projection_)
        else:
            self.orbits_ = pair_orbits(self.group_, self._pairs(n_features, rng))
            if not self.orbits_:
                raise ValueError(
                    f"every average of pairs={self.pairs!r} vanishes under this "
                    "group (each product meets its own negative); choose "
                    "other pairs."
                )
            paired = np.zeros(n_features, dtype=bool)
            for left, right, _ in self.orbits_:
                paired[left] = paired[right] = True
            self._unpaired = np.flatnonzero(~paired)

    def _pairs(self, n_features, rng):
        if self.pairs == "all":
            return np.column_stack(np.triu_indices(n_features))
        partners = pair_partners(
            self.pairs, n_features, self.group_.image_shape, rng, parameter="pairs"
        )
        return np.column_stack([np.arange(n_features), partners])

    def _invariants(self, X):
        # The compiled kernels (_group_kernels.c) give the numpy functions'
        # results to the bit; numpy runs when they were not built.
        if self.kind == "canonical":
            # Issue 18: scores that overflow picked g-dependent images, so X
            # is range-checked; the kernel finds max |X|, if above the limit,
            # in its own pass.
            out = np.empty_like(X)
            signs = self._signs.astype(X.dtype)
            args = (X, self._perms, signs, self._V, out)
            peak = np.zeros(1, dtype=X.dtype)
            n_unsettled = compiled_canonical_form(*args, n_threads(), peak=peak)
            if n_unsettled is None:
                check_canonical_range(X)
                assert_all_finite(X, input_name="X")
                canonical_form(*args)
            else:
                if n_unsettled:  # non-finite values, or scores that overflow
                    assert_all_finite(X, input_name="X")
                check_canonical_range(X, peak[0])
            return out, True
        out = np.empty((X.shape[0], len(self.orbits_)), dtype=X.dtype)
        finite = compiled_orbit_averages(X, self.orbits_, out, n_threads())
        if finite is None:
            assert_all_finite(X, input_name="X")
            orbit_averages(X, self.orbits_, out)
        # A feature in no orbit leaves no trace in the output: check it here.
        assert_all_finite(X[:, self._unpaired], input_name="X")
        return out, finite or np.isfinite(out).all()

    def _names_out(self, names):
        if self.kind == "canonical":
            return [f"canonical({name})" for name in names]
        return [
            f"avg({product_name(names, left[0], right[0])})"
            for left, right, _ in self.orbits_
        ]
