"""The accuracy bound R + R_bar <= 1 of odd networks (Bergman 2019, Eq. 6)."""

from dataclasses import dataclass, fields

import numpy as np
from sklearn.metrics import accuracy_score

from .._compat import HasMethods, validate_params
from .._docstrings import fill_doc
from .._utils import ODD_ACTIVATIONS as _ODD_ACTIVATIONS
from ..symmetry import invert
from ._chain import _model_chain
from ._result import InspectionResult

__all__ = ["InversionAccuracyBound", "inversion_accuracy_bound"]


@dataclass(frozen=True)
class InversionAccuracyBound(InspectionResult):
    """Result of `inversion_accuracy_bound`; see there for the fields.

    `to_frame` gives the fields as a one-row DataFrame; `plot` draws ``R``,
    ``R_bar`` and their sum against the bound 1.
    """

    accuracy: float
    inverted_accuracy: float
    total: float
    holds: bool
    provably_bound: bool
    reason: str

    def to_frame(self):
        """The fields as a pandas DataFrame of one row (needs pandas).

        Returns
        -------
        frame : pandas.DataFrame
            One column per field, ``accuracy`` to ``reason``.
        """
        return super().to_frame()

    @fill_doc
    def plot(self, ax=None):
        """Bars of ``R`` (on ``X``), ``R_bar`` (on ``-X``) and ``R + R_bar``,
        with the bound 1 as a dashed line (needs matplotlib).

        {plot_axes}
        """
        return super().plot(ax)

    def _frame(self, pd):
        return pd.DataFrame(
            {field.name: [getattr(self, field.name)] for field in fields(self)}
        )

    def _draw(self, ax):
        heights = (self.accuracy, self.inverted_accuracy, self.total)
        ax.bar(
            ["R: X", "R_bar: -X", "R + R_bar"],
            heights,
            color=["tab:blue", "tab:orange", "tab:grey"],
        )
        proved = "proved" if self.provably_bound else "not proved for this model"
        ax.axhline(1.0, color="black", linestyle="--", label=f"bound 1 ({proved})")
        ax.set_ylim(0.0, max(2.0, self.total) * 1.05)
        ax.set_ylabel("accuracy")
        ax.set_title(
            "R + R_bar <= 1 " + ("holds" if self.holds else "fails"), fontsize=9
        )
        ax.legend(fontsize=7)


def _network_of(estimator):
    """The network that makes the predictions, or a reason why there is none
    acting on the raw features.

    Looks through Pipelines (whose earlier steps must be no-ops), fitted
    `OrbitAugmentedClassifier`s and fitted searches (`GridSearchCV`,
    `RandomizedSearchCV`, ... refitted: their ``best_estimator_``), nested in
    any order.
    """
    chain = _model_chain(estimator)
    for model in chain[:-1]:
        steps = getattr(model, "steps", None)
        if steps is None:
            continue
        # A Pipeline: only no-op steps may precede the model.
        for name, step in steps[:-1]:
            if step is not None and not (
                isinstance(step, str) and step == "passthrough"
            ):
                return None, (
                    f"pipeline step {name!r} ({type(step).__name__}) acts on "
                    "the features before the model; the bound is proved only "
                    "for raw features."
                )
    model = chain[-1]
    if not all(hasattr(model, a) for a in ("coefs_", "intercepts_", "activation")):
        return None, (
            f"{type(model).__name__} is not a fitted network (no coefs_, "
            "intercepts_ and activation)."
        )
    return model, ""


def _provably_bound(estimator):
    network, reason = _network_of(estimator)
    if network is None:
        return False, reason
    if network.activation not in _ODD_ACTIVATIONS:
        return False, (
            f"activation {network.activation!r} is not odd (only "
            f"{' and '.join(map(repr, _ODD_ACTIVATIONS))} are)."
        )
    if any(np.any(np.asarray(b) != 0) for b in network.intercepts_):
        return False, "the network has nonzero biases (intercepts_)."
    return True, (
        f"a network without biases and with odd activation "
        f"{network.activation!r} on raw features: its output logits flip sign "
        "under X -> -X, so R + R_bar <= 1 on every data set (exact ties aside)."
    )


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
    },
    prefer_skip_nested_validation=True,
)
def inversion_accuracy_bound(estimator, X, y):
    """Check the bound ``accuracy(X) + accuracy(-X) <= 1`` for a classifier.

    A network without biases whose activations are odd (tanh) computes output
    logits that flip sign when the input does, so the class it ranks first
    for ``x`` it ranks last for ``-x``: every image it gets right, it gets
    wrong when inverted, hence ``R + R_bar <= 1`` (Bergman 2019, Eq. 6).
    This reports both accuracies, whether the bound holds on this data, and
    whether the model is one for which it is proved.

    Parameters
    ----------
    estimator : fitted classifier
        Any fitted classifier with ``predict``.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data; its inversion is `invert` ``(X)`` (``X`` is not modified).

    y : array-like of shape (n_samples,)
        True labels.

    Returns
    -------
    result : InversionAccuracyBound
        Frozen dataclass with fields

        - ``accuracy``: R, the accuracy on ``X``;
        - ``inverted_accuracy``: R_bar, the accuracy on ``-X``;
        - ``total``: ``R + R_bar``, computed from the counts of correct
          predictions (so 66 of 100 is 0.66, not 0.6599999999999999);
        - ``holds``: whether ``R + R_bar <= 1`` (decided on the counts of
          correct predictions, so free of rounding);
        - ``provably_bound``: whether the model is a network (attributes
          ``coefs_``, ``intercepts_``, ``activation``) with all intercepts
          exactly zero and activation ``"tanh"`` or ``"identity"``, used
          alone, as the last step of a `Pipeline` whose earlier steps are
          all ``"passthrough"`` or None, inside an
          `OrbitAugmentedClassifier`, or as the ``best_estimator_`` of a
          fitted `GridSearchCV` or `RandomizedSearchCV`;
        - ``reason``: why it is or is not provably bound.

    Notes
    -----
    For a provably bound model the bound can fail only on samples where all
    output logits tie exactly (e.g. an all-zero row of ``X``), where the
    prediction on ``x`` and ``-x`` is the same first class.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import MLPClassifier
    >>> from sk_symmetry import inversion_accuracy_bound
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> net = MLPClassifier((4,), activation="tanh", solver="lbfgs",
    ...                     random_state=0).fit(X, y)
    >>> net.intercepts_ = [np.zeros_like(b) for b in net.intercepts_]
    >>> result = inversion_accuracy_bound(net, X, y)
    >>> result.provably_bound, result.holds
    (True, True)
    >>> result.accuracy, result.inverted_accuracy, result.total
    (1.0, 0.0, 1.0)
    """
    n_correct = accuracy_score(y, estimator.predict(X), normalize=False)
    n_correct_inv = accuracy_score(y, estimator.predict(invert(X)), normalize=False)
    n_samples = len(y)
    provably_bound, reason = _provably_bound(estimator)
    return InversionAccuracyBound(
        accuracy=float(n_correct) / n_samples,
        inverted_accuracy=float(n_correct_inv) / n_samples,
        # From the counts, not as the sum of the two rounded fractions:
        # 6/100 + 60/100 is 0.6599999999999999, (6 + 60)/100 is 0.66.
        total=float(n_correct + n_correct_inv) / n_samples,
        holds=bool(n_correct + n_correct_inv <= n_samples),
        provably_bound=provably_bound,
        reason=reason,
    )
