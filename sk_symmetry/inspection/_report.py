"""`symmetry_report`: how a fitted model fares on each image of the test set."""

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils.multiclass import type_of_target

from .._compat import HasMethods, validate_params
from .._docstrings import fill_doc
from ..metrics._internal import base_scorer as _base_scorer
from ..metrics._internal import check_target, target_signs, transform_target
from ..metrics._internal import estimator_type as _estimator_type
from ..metrics._internal import n_features as _n_features
from ..metrics._internal import name_of as _name_of
from ..symmetry import check_symmetry
from ._chain import _describe_chain, _model_chain
from ._result import InspectionResult

__all__ = ["SymmetryReport", "symmetry_report"]


@dataclass(frozen=True)
class SymmetryReport(InspectionResult):
    """Result of `symmetry_report`; see there for the fields.

    ``str(report)`` is a text table; `to_frame` gives a pandas DataFrame and
    `plot` a bar chart of the score per element.
    """

    elements: tuple
    scores: tuple
    changed: tuple
    worst_case: float
    mean: float
    scoring: str
    model: str
    n_samples: int

    def to_frame(self):
        """The scores and changed fractions as a DataFrame, one row per element.

        Returns
        -------
        frame : pandas.DataFrame
            Indexed by element name, with columns ``scoring`` and
            ``"changed"``. Needs pandas.
        """
        return super().to_frame()

    @fill_doc
    def plot(self, ax=None):
        """The score on each image as a bar, the worst case as a dashed line,
        and the fraction of changed predictions at each bar (needs
        matplotlib).

        {plot_axes}
        """
        return super().plot(ax)

    def _frame(self, pd):
        return pd.DataFrame(
            {self.scoring: self.scores, "changed": self.changed},
            index=pd.Index(self.elements, name="element"),
        )

    @property
    def _figsize(self):
        return (5.0, 1.0 + 0.3 * len(self.elements))

    def _draw(self, ax):
        rows = np.arange(len(self.elements))
        scores = np.asarray(self.scores, dtype=float)
        ax.barh(rows, scores, color="tab:blue")
        # Each bar's changed fraction just right of it (of 0 for a negative
        # score), with room kept for the text.
        ends = np.maximum(np.nan_to_num(scores), 0.0)
        for row, end, changed in zip(rows, ends, self.changed, strict=True):
            ax.text(end, row, f" changed {changed:.2f}", va="center", fontsize=7)
        low = min(0.0, np.nanmin(scores, initial=0.0))
        high = max(0.0, np.nanmax(scores, initial=0.0))
        ax.set_xlim(low, high + 0.4 * ((high - low) or 1.0))
        ax.axvline(self.worst_case, color="grey", linestyle="--")
        ax.set_yticks(rows, labels=self.elements)
        ax.invert_yaxis()  # the identity on top, as in the table
        ax.set_xlabel(f"{self.scoring} (dashed: worst case {self.worst_case:.3f})")
        ax.set_title(f"{self.model} on {self.n_samples} samples", fontsize=8)

    def __str__(self):
        width = max(len(name) for name in (*self.elements, "worst case"))
        column = max(len(self.scoring), 8)
        lines = [
            f"{self.model} on {self.n_samples} samples",
            f"{'element':<{width}}  {self.scoring:>{column}}  {'changed':>8}",
        ]
        for name, score, changed in zip(
            self.elements, self.scores, self.changed, strict=True
        ):
            lines.append(f"{name:<{width}}  {score:>{column}.4f}  {changed:>8.4f}")
        lines.append(f"{'worst case':<{width}}  {self.worst_case:>{column}.4f}")
        lines.append(f"{'mean':<{width}}  {self.mean:>{column}.4f}")
        return "\n".join(lines)


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        # check_symmetry checks every symmetry argument, with one message.
        "symmetry": "no_validation",
        "scoring": [str, callable],
        "target": [str, callable],
    },
    prefer_skip_nested_validation=True,
)
def symmetry_report(
    estimator, X, y, symmetry=None, *, scoring="accuracy", target="invariant"
):
    """Score a fitted model on every image of ``X`` under a symmetry group.

    For each element ``g`` of the group: the score on ``g(X)`` (against
    ``g``'s image of ``y``, see ``target``), and the fraction of samples
    whose prediction on ``g(X)`` differs from the one on ``X`` carried over
    by ``g`` (the same label for an invariant target, ``-prediction`` for an
    odd one). A model that respects the symmetry changes none (every
    fraction is exactly 0) and scores the same on every image; a model with
    a bias on raw pixels typically changes many.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted model with ``predict``: a classifier, a `Pipeline`, a
        refitted `GridSearchCV` or `RandomizedSearchCV`, an
        `OrbitAugmentedClassifier`, nested in any way. Its predictions are
        taken as they are; the wrappers are looked through only to name the
        model that makes them (the ``model`` field).

    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        Test data; it is not modified.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True labels or target values.

    symmetry : None, SymmetryGroup or callable, default=None
        The group whose images of ``X`` to score on, as `check_symmetry`
        takes it: None means grayscale inversion ``x -> -x``; a
        width-agnostic group (``SymmetryGroup.inversion()``) takes the width
        of ``X``. A callable ``X -> X'`` (such as `invert`) stands for the
        pair ``{X, X'}``; it must return data of the shape of ``X``.

    scoring : str or callable, default="accuracy"
        The score per element, as in `make_symmetric_scorer`.

    target : {"invariant", "odd"} or callable, default="invariant"
        How ``y`` (and so a correct prediction) transforms with ``X``, as in
        `make_symmetric_scorer`: ``"odd"`` scores ``g(X)`` against ``-y``
        where ``g`` negates the features and counts a prediction as
        unchanged when it is exactly ``-1`` times the one on ``X``.

    Returns
    -------
    report : SymmetryReport
        Frozen dataclass with fields

        - ``elements``: the element names, the identity first;
        - ``scores``: the score on each image, in the same order;
        - ``changed``: for each element, the fraction of samples whose
          prediction on ``g(X)`` differs from that on ``X`` times the sign
          of ``y`` under ``g`` (0 for the identity);
        - ``worst_case`` and ``mean``: the minimum and the mean of
          ``scores``, the identity included (NaN if any score is NaN), as
          `make_symmetric_scorer` with ``aggregate="min"`` and ``"mean"``
          computes them;
        - ``scoring``: the name of the score;
        - ``model``: the chain of estimators that makes the predictions,
          e.g. ``"GridSearchCV > Pipeline[scale, clf] > LogisticRegression"``;
        - ``n_samples``: the number of samples scored.

        ``str(report)`` is a text table; ``report.to_frame()`` a DataFrame.

    Raises
    ------
    ValueError
        If the group acts on another number of features than ``X`` has, a
        callable ``symmetry`` returns data of another shape (or None),
        ``scoring`` is an unknown name or ``"accuracy"`` for a regressor or a
        continuous ``y``, or ``target`` is not valid (see
        `make_symmetric_scorer`).
    TypeError
        If ``symmetry`` is not None, a `SymmetryGroup` instance or callable,
        or ``target`` is neither a string nor callable, returns no real
        number (a callable ``target``), or negates a ``y`` that is not
        numeric.

    See Also
    --------
    make_symmetric_scorer : The worst case or mean as a scorer, for searches.
    inversion_accuracy_bound : The bound ``R + R_bar <= 1`` of odd networks.

    Notes
    -----
    The estimator predicts once per element (and, for a ``scoring`` other
    than ``"accuracy"``, is scored once more per element by that scorer).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_symmetry import SymmetryGroup, symmetry_report
    >>> G = SymmetryGroup.mirror((1, 2)) * SymmetryGroup.inversion()
    >>> X = np.array([[2.0, 1.0], [1.0, 2.0], [-2.0, -1.0], [-1.0, -2.0]])
    >>> y = np.array([1, 1, 0, 0])
    >>> clf = LogisticRegression().fit(X, y)
    >>> report = symmetry_report(clf, X, y, G)
    >>> report.worst_case, report.mean
    (0.0, 0.5)
    >>> print(report)
    LogisticRegression on 4 samples
    element        accuracy   changed
    identity         1.0000    0.0000
    mirror           1.0000    0.0000
    invert           0.0000    1.0000
    mirror*invert    0.0000    1.0000
    worst case       0.0000
    mean             0.5000

    An odd target: a linear model without intercept predicts ``-y`` on
    ``-X``, which ``target="odd"`` counts as unchanged.

    >>> from sklearn.linear_model import LinearRegression
    >>> y = np.array([3.0, 2.5, -3.5, -3.0])
    >>> reg = LinearRegression(fit_intercept=False).fit(X, y)
    >>> symmetry_report(reg, X, y, scoring="r2", target="odd").changed
    (0.0, 0.0)
    >>> symmetry_report(reg, X, y, scoring="r2").changed
    (0.0, 1.0)
    """
    n_features = _n_features(X)
    if n_features is None:
        raise ValueError(
            "symmetry_report needs 2-d data X (n_samples, n_features); X has "
            f"shape {np.shape(X)}."
        )
    check_target(target)
    if isinstance(scoring, str) and scoring == "accuracy" and (
        _estimator_type(estimator) == "regressor"
        or type_of_target(y, input_name="y").startswith("continuous")
    ):
        raise ValueError(
            "scoring='accuracy' (the default) needs class labels, but the "
            "estimator is a regressor or y is continuous; pass a regression "
            "score such as scoring='r2'."
        )
    group = check_symmetry(symmetry, n_features)
    signs = target_signs(group, target)[1:]
    identity, *others = group
    names = [identity.name] + [g.name for g in others]
    scorer = _base_scorer(scoring)

    def score(X_g, y_g, y_pred):
        # Accuracy from the predictions already made: one predict per element.
        if isinstance(scoring, str) and scoring == "accuracy":
            return float(accuracy_score(y_g, y_pred))
        return float(scorer(estimator, X_g, y_g))

    reference = np.asarray(estimator.predict(X))
    scores, changed = [score(X, y, reference)], [0.0]
    for g, sign in zip(others, signs, strict=True):
        X_g = g(X)
        y_pred = np.asarray(estimator.predict(X_g))
        scores.append(score(X_g, transform_target(y, sign, estimator), y_pred))
        differs = y_pred != transform_target(reference, sign, estimator)
        if differs.ndim > 1:  # multi-output: a sample changes if any output does
            differs = differs.reshape(len(differs), -1).any(axis=1)
        changed.append(float(np.mean(differs)))
    return SymmetryReport(
        elements=tuple(names),
        scores=tuple(scores),
        changed=tuple(changed),
        worst_case=float(np.min(scores)),
        mean=float(np.mean(scores)),
        scoring=scoring if isinstance(scoring, str) else _name_of(scoring),
        model=_describe_chain(_model_chain(estimator)),
        n_samples=len(reference),
    )
