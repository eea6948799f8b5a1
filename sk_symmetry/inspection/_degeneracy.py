"""Degenerate minima of the training loss under a symmetry (Bergman 2019, Sec. IV.A).

Training on the orbit of the data under a group G makes the training loss
``Omega(W)`` invariant under ``W -> W U(g)`` acting on the first layer: every
minimum comes with its images, one per element of G. On invariant features G
acts trivially on the network's input, so the move does nothing and no
degeneracy is forced.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array, check_consistent_length

from .._compat import HasMethods, Interval, check_is_fitted, validate_params
from .._docstrings import fill_doc
from ..augmentation import OrbitAugmentedClassifier
from ..neural_network._internal import loss_and_gradient, make_layout
from ..symmetry import check_symmetry
from ._chain import _model_chain
from ._result import InspectionResult

__all__ = ["SymmetryDegeneracy", "first_layer_action", "symmetry_degeneracy"]

# What a network must have for its objective to be evaluated here: the fitted
# attributes of BiaslessMLPClassifier and of scikit-learn's MLPClassifier.
_NETWORK_ATTRIBUTES = ("coefs_", "intercepts_", "activation", "out_activation_")


@dataclass(frozen=True)
class SymmetryDegeneracy(InspectionResult):
    """Result of `symmetry_degeneracy`; see there for the fields.

    `to_frame` gives one row per element; `plot` draws each element's loss
    minus the loss at the fitted weights.
    """

    elements: tuple
    losses: np.ndarray
    moved: np.ndarray
    max_difference: float
    degenerate: bool
    action: str

    def to_frame(self):
        """One row per element, as a pandas DataFrame (needs pandas).

        Returns
        -------
        frame : pandas.DataFrame
            Indexed by element name, with columns ``loss``, ``difference``
            (``loss`` minus the loss at the fitted weights) and ``moved``.
        """
        return super().to_frame()

    @fill_doc
    def plot(self, ax=None):
        """Each element's loss minus the loss at the fitted weights, as bars;
        bars of elements that do not move the weights are hatched (needs
        matplotlib).

        {plot_axes}
        """
        return super().plot(ax)

    def _frame(self, pd):
        return pd.DataFrame(
            {
                "loss": self.losses,
                "difference": self.losses - self.losses[0],
                "moved": self.moved,
            },
            index=pd.Index(self.elements, name="element"),
        )

    def _draw(self, ax):
        columns = np.arange(len(self.elements))
        bars = ax.bar(columns, self.losses - self.losses[0], color="tab:blue")
        for bar, moved in zip(bars, self.moved, strict=True):
            if not moved:
                bar.set_hatch("//")
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xticks(columns, labels=self.elements, rotation=45, ha="right")
        ax.set_ylabel("loss - loss at the fitted weights")
        verdict = "degenerate" if self.degenerate else "not degenerate"
        ax.set_title(f"{verdict} (inputs: {self.action})", fontsize=9)


@validate_params(
    {"element": [callable], "n_features": [Interval(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def first_layer_action(element, n_features):
    """The matrix ``P`` with ``element(X) == X @ P``, a signed permutation.

    The network's first layer computes ``X @ W``, so ``element(X) @ W ==
    X @ (P @ W)``: the weights moved by the element are ``P @ W`` (Sec. IV.A
    writes ``w -> w U(g)``, with ``w`` as rows).

    Parameters
    ----------
    element : callable
        A symmetry acting on rows of data: `invert`, an element of a
        `SymmetryGroup`, or any function that permutes features and flips
        signs.
    n_features : int
        The width of the data it acts on.

    Returns
    -------
    P : ndarray of shape (n_features, n_features)
        Entries 0 and +-1, one nonzero per row and per column.

    Examples
    --------
    >>> from sk_symmetry import invert
    >>> from sk_symmetry.inspection import first_layer_action
    >>> first_layer_action(invert, 2)
    array([[-1.,  0.],
           [ 0., -1.]])
    """
    # + 0.0 turns the -0.0 of negated zeros into 0.0.
    P = np.asarray(element(np.eye(n_features)), dtype=np.float64) + 0.0
    nonzero = P != 0
    if (
        P.shape != (n_features, n_features)
        or not np.all(np.isin(P, (-1.0, 0.0, 1.0)))
        or not np.all(nonzero.sum(axis=0) == 1)
        or not np.all(nonzero.sum(axis=1) == 1)
    ):
        raise ValueError(
            f"the symmetry {_name(element)!r} must permute features and flip "
            "signs (as invert and the elements of a SymmetryGroup do): only then "
            "does it act on a network's first layer as a signed permutation."
        )
    return P


def _name(element):
    return getattr(element, "name", None) or getattr(element, "__name__", "symmetry")


def _is_passthrough(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def _orbit_of(model, Z):
    """The rows a fitted `OrbitAugmentedClassifier` trained its model on, and
    how many copies of ``Z`` they are."""
    Z = check_array(Z, accept_sparse=["csr", "csc"], dtype="numeric")
    images = check_symmetry(model.symmetry, Z.shape[1]).orbit(Z)
    if sp.issparse(Z):
        return sp.vstack(images, format="csr"), len(images)
    return np.concatenate([np.asarray(image) for image in images]), len(images)


def _training_problem(estimator, X, y, elements):
    """Follow the model chain down to the network; return it, the rows and
    labels it was trained on, and whether the symmetry acts on its inputs
    (``"raw"``) or not at all (``"trivial"``: an earlier step is invariant).
    """
    Z, labels, action = X, np.asarray(y), "raw"
    *wrappers, network = _model_chain(estimator)
    for model in wrappers:
        if isinstance(model, OrbitAugmentedClassifier):
            Z, copies = _orbit_of(model, Z)
            labels = np.concatenate([labels] * copies)
            continue
        for name, step in getattr(model, "steps", [])[:-1]:
            if _is_passthrough(step):
                continue
            Z_new = step.transform(Z)
            if action == "raw":
                if not all(_same(step.transform(g(Z)), Z_new) for g in elements[1:]):
                    raise ValueError(
                        f"pipeline step {name!r} ({type(step).__name__}) is "
                        "neither 'passthrough' nor invariant under the symmetry "
                        "on this X: how the symmetry acts on the network's "
                        "inputs is unknown."
                    )
                action = "trivial"  # anything computed from invariants is one
            Z = Z_new
    if not all(hasattr(network, attr) for attr in _NETWORK_ATTRIBUTES):
        check_is_fitted(network)
        raise TypeError(
            f"{type(network).__name__} is not a fitted multilayer perceptron (no "
            f"{', '.join(_NETWORK_ATTRIBUTES)}); symmetry_degeneracy needs a "
            "BiaslessMLPClassifier, alone or last in a Pipeline or "
            "OrbitAugmentedClassifier."
        )
    return network, Z, labels, action


def _same(A, B):
    if sp.issparse(A) or sp.issparse(B):
        return sp.issparse(A) and sp.issparse(B) and (A != B).nnz == 0
    return np.array_equal(np.asarray(A), np.asarray(B))


def _targets(network, labels):
    """Targets as the network's objective sees them, in float64."""
    classes = network.classes_
    if network.out_activation_ == "softmax":
        return np.asfortranarray(labels[:, None] == classes, dtype=np.float64)
    if labels.ndim == 2:  # multilabel indicator
        return np.asfortranarray(labels, dtype=np.float64)
    # One logistic output for the second of two classes (for a single class
    # the target is 0 everywhere, as LabelBinarizer gives).
    return (np.searchsorted(classes, labels) == 1).astype(np.float64)[:, None]


def _objective(network, coefs, Z, Y):
    intercepts = list(network.intercepts_)
    units = [coefs[0].shape[0], *(W.shape[1] for W in coefs)]
    # Always with biases: zero ones change neither the logits nor the penalty.
    layout = make_layout(units, fit_bias=True)
    params = np.concatenate(
        [np.ravel(W) for W in coefs] + [np.ravel(b) for b in intercepts]
    ).astype(np.float64)
    loss, _ = loss_and_gradient(
        params, Z, Y, layout, network.activation, network.out_activation_,
        float(network.alpha),
    )
    return loss


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", None],
        # check_symmetry checks every symmetry argument, with one message.
        "symmetry": "no_validation",
        "rtol": [Interval(Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def symmetry_degeneracy(estimator, X, y, *, symmetry=None, rtol=1e-9):
    """The training loss at the weights moved by each element of a symmetry.

    Sec. IV.A of Bergman (2019): a network's first layer computes ``X @ W``.
    Moving ``W`` by a group element ``g`` (``W -> P_g @ W`` with
    ``g(X) == X @ P_g``, see `first_layer_action`) gives a network that
    computes on ``X`` what the original computes on ``g(X)``. When the model
    was trained on the orbit of its data under the group, the training loss
    sums over the whole orbit, so every moved network has the same loss
    (penalty included, since ``P_g`` is orthogonal): each minimum is
    degenerate with its images. On invariant features the group acts on the
    network's inputs as the identity and the move does nothing.

    Parameters
    ----------
    estimator : fitted classifier
        A fitted `BiaslessMLPClassifier` (or scikit-learn's `MLPClassifier`),
        alone, last in a `Pipeline` whose earlier steps are ``"passthrough"``
        or invariant under the symmetry on ``X``, inside a fitted
        `OrbitAugmentedClassifier`, or the ``best_estimator_`` of a search;
        nested in any order.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training data, as the estimator was given it (before any orbit
        of an `OrbitAugmentedClassifier`, which is formed here again).
        Not modified.

    y : array-like of shape (n_samples,)
        Its labels.

    symmetry : None, SymmetryGroup or callable, default=None
        A group, or one symmetry taken with the identity as ``{e, s}``, as
        `check_symmetry` takes it; None means grayscale inversion
        ``x -> -x``. Each element must permute features and flip signs.

    rtol : float, default=1e-9
        Losses within ``rtol`` of the identity's (relatively) count as equal;
        the identity holds to rounding, about 1e-15.

    Returns
    -------
    result : SymmetryDegeneracy
        Frozen dataclass with fields

        - ``elements``: names of the group elements, the identity first;
        - ``losses``: ndarray, the objective (mean log-loss plus the L2
          penalty, as the network minimised it) at the weights moved by each
          element; ``losses[0]`` is at the fitted weights;
        - ``moved``: ndarray of bool, whether the element changed the weights
          (always False on invariant features);
        - ``max_difference``: ``max |losses - losses[0]|``;
        - ``degenerate``: whether the loss is the same at distinct weights:
          all losses equal (to ``rtol``) and some element moves the weights.
          True for a model trained on the orbit; False for one trained on
          ``X`` alone, and on invariant features, where nothing moves;
        - ``action``: ``"raw"`` if the group acts on the network's inputs,
          ``"trivial"`` if they are invariant features.

    See Also
    --------
    first_layer_action : The matrix that moves the first layer.
    OrbitAugmentedClassifier : Training on the orbit, the practice that makes
        the loss degenerate.
    GroupInvariantTransformer : Invariant features, on which nothing moves.

    References
    ----------
    D. L. Bergman, "Symmetry constrained machine learning", IntelliSys 2019,
    arXiv:1811.07051, Sec. IV.A.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import (BiaslessMLPClassifier, OrbitAugmentedClassifier,
    ...                          symmetry_degeneracy)
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    >>> net = BiaslessMLPClassifier((5,), solver="lbfgs", max_iter=50,
    ...                             random_state=0)
    >>> orbit = OrbitAugmentedClassifier(net).fit(X, y)
    >>> result = symmetry_degeneracy(orbit, X, y)
    >>> result.elements, result.degenerate
    (('identity', 'invert'), True)
    >>> bool(result.max_difference < 1e-12)
    True
    >>> symmetry_degeneracy(net.fit(X, y), X, y).degenerate  # trained on X alone
    False
    """
    if isinstance(rtol, bool | np.bool_):  # an Interval of reals takes True as 1
        raise ValueError(f"rtol must be a non-negative number, got {rtol!r}.")
    if y is None:
        raise ValueError(
            "symmetry_degeneracy needs the labels y the model was trained on "
            "(its training loss is evaluated); got y=None."
        )
    check_consistent_length(X, y)
    is_frame = hasattr(X, "iloc") and hasattr(X, "columns")
    if not (is_frame or sp.issparse(X)):
        X = check_array(X, accept_sparse=False, dtype=None)
    n_features = X.shape[1]
    fitted_width = getattr(estimator, "n_features_in_", n_features)
    if n_features != fitted_width:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} was "
            f"fitted on {fitted_width}: pass the data it was trained on."
        )
    elements = list(check_symmetry(symmetry, n_features))
    names = tuple(g.name for g in elements)
    network, Z, labels, action = _training_problem(estimator, X, y, elements)
    Z = check_array(Z, accept_sparse="csr", dtype=np.float64)
    Y = _targets(network, labels)
    coefs = [np.asarray(W, dtype=np.float64) for W in network.coefs_]
    losses, moved = [], []
    for g in elements:
        moved_coefs = list(coefs)
        if action == "raw":
            moved_coefs[0] = first_layer_action(g, n_features) @ coefs[0]
        moved.append(not np.array_equal(moved_coefs[0], coefs[0]))
        losses.append(_objective(network, moved_coefs, Z, Y))
    losses = np.array(losses)
    difference = np.abs(losses - losses[0])
    equal = bool(np.all(difference <= rtol * abs(losses[0])))
    return SymmetryDegeneracy(
        elements=names,
        losses=losses,
        moved=np.array(moved),
        max_difference=float(difference.max()),
        degenerate=equal and any(moved),
        action=action,
    )
