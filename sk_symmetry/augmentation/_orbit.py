"""`OrbitAugmentedClassifier`: the standard practice of training on X and -X
(or on the whole orbit of X under a `SymmetryGroup`)."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    clone,
    is_classifier,
)
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import has_fit_parameter

from .._compat import (
    HasMethods,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from .._docstrings import fill_doc
from ..symmetry import SymmetryGroup, check_symmetry

__all__ = ["OrbitAugmentedClassifier"]


def _inner_has(attr):
    """`available_if` check: the fitted (else the unfitted) inner estimator has
    ``attr``."""

    def check(self):
        inner = getattr(self, "estimator_", self.estimator)
        getattr(inner, attr)  # raises AttributeError, hiding the method
        return True

    return check


def _delegated(method, summary, returns):
    """`OrbitAugmentedClassifier`'s ``method(X)``: the fitted inner estimator's,
    on ``X`` validated as in `fit`; there when the inner estimator has it."""

    def delegate(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return getattr(self.estimator_, method)(X)

    delegate.__name__ = method
    delegate.__qualname__ = f"OrbitAugmentedClassifier.{method}"
    delegate.__doc__ = f"""{summary}

        Parameters
        ----------
        X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        {returns}
        """
    return available_if(_inner_has(method))(delegate)


@fill_doc
class OrbitAugmentedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Train a classifier on the orbit of the training set under a symmetry.

    The standard practice that Bergman (2019) compares invariant features
    against: fit a clone of ``estimator`` on the rows of ``X`` together with
    the rows of ``symmetry(X)`` (by default ``-X``), labels and sample
    weights repeated. With a `SymmetryGroup` ``G`` it trains on the whole
    orbit, ``g(X)`` for every element ``g`` (``len(G)`` copies, the identity
    first). Predictions are the inner estimator's, on the data as given; in a
    grid this makes "train on +-X" one more option.

    Parameters
    ----------
    estimator : classifier object
        The classifier to train on the orbit. It is cloned in `fit`, which
        refuses a non-classifier (a regressor, a clusterer) with a ValueError.

    symmetry : None, SymmetryGroup or callable, default=None
        As `check_symmetry` takes it. None means grayscale inversion: the
        model trains on ``X`` and ``-X``. A `SymmetryGroup`: the model trains
        on ``[g(X) for g in symmetry]``; a width-agnostic group
        (``SymmetryGroup.inversion()``) takes the width of ``X``, a group of
        another width than ``X`` raises a ValueError in `fit`. A function
        ``X -> X'`` returning new data of the same shape: the model trains
        on ``X`` and ``symmetry(X)``.

    Attributes
    ----------
    estimator_ : classifier object
        The clone of ``estimator`` fitted on ``2 * n_samples`` rows, or
        ``len(symmetry) * n_samples`` for a group: the orbit stacked element
        by element, ``[g_0(X); g_1(X); ...]``, with ``y`` (and
        ``sample_weight``) repeated in the same order.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    {input_feature_attributes}

    See Also
    --------
    InversionInvariantTransformer : Invariant features, the alternative to
        augmentation.

    Notes
    -----
    The inner estimator is fitted on validated arrays: a DataFrame's column
    names are kept in ``feature_names_in_`` but not passed on (so an inner
    `ColumnTransformer` must select columns by position), ``y`` must be one
    label per sample (no multilabel targets), and ``sample_weight`` reaches
    only an estimator whose ``fit`` takes it directly (not a `Pipeline`).

    For a network without biases whose activations are odd (tanh), training
    on the orbit of inversion cannot help: ``accuracy(X) + accuracy(-X) <= 1``
    for every such model (see `inversion_accuracy_bound`).

    {references}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sk_symmetry import OrbitAugmentedClassifier
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> y = np.array([0, 1, 1, 0])
    >>> clf = OrbitAugmentedClassifier(DecisionTreeClassifier(random_state=0))
    >>> clf.fit(X, y).predict(-X)
    array([0, 1, 1, 0])
    >>> int(clf.estimator_.tree_.n_node_samples[0])  # trained on 2 * 4 rows
    8

    On the orbit of a group: the 8 symmetries of a 2 x 2 image.

    >>> from sk_symmetry import SymmetryGroup
    >>> G = SymmetryGroup.dihedral((2, 2))
    >>> X = np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
    >>> clf = OrbitAugmentedClassifier(DecisionTreeClassifier(random_state=0),
    ...                                symmetry=G).fit(X, [0, 1])
    >>> int(clf.estimator_.tree_.n_node_samples[0])  # trained on 8 * 2 rows
    16
    >>> clf.predict([[0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    array([0, 1])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "symmetry": [None, callable, SymmetryGroup],
    }

    def __init__(self, estimator, *, symmetry=None):
        self.estimator = estimator
        self.symmetry = symmetry

    def _validate_X(self, X, y="no_validation", *, reset):
        # Accept what the inner estimator accepts (sparse input, NaN), so that
        # wrapping an estimator does not narrow its domain.
        input_tags = get_tags(self.estimator).input_tags
        kwargs = dict(
            accept_sparse=["csr", "csc"] if input_tags.sparse else False,
            ensure_all_finite="allow-nan" if input_tags.allow_nan else True,
            reset=reset,
        )
        return validate_data(self, X, y, **kwargs)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit a clone of ``estimator`` on the orbit of ``X``, stacked.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; the clone sees each row and its images.

        y : array-like of shape (n_samples,)
            Class labels, the same for a row's images.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights, repeated for the transformed rows. Passed on only if
            given; the inner estimator must then accept ``sample_weight``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        if not is_classifier(self.estimator):
            # Checked before anything else: a regressor would otherwise fail
            # late and obscurely (it has no ``classes_``, no classifier tags).
            kind = get_tags(self.estimator).estimator_type
            raise ValueError(
                f"estimator must be a classifier; got {self.estimator!r}, "
                + (f"a {kind}." if kind else "which is not tagged as one.")
            )
        X, y = self._validate_X(X, y, reset=True)
        n_copies, X_orbit = self._stacked_orbit(X)
        fit_params = {}
        if sample_weight is not None:
            if not has_fit_parameter(self.estimator, "sample_weight"):
                raise TypeError(
                    f"sample_weight was given but {type(self.estimator).__name__}"
                    ".fit does not accept sample_weight."
                )
            sample_weight = _check_sample_weight(sample_weight, X)
            fit_params["sample_weight"] = np.concatenate([sample_weight] * n_copies)
        self.estimator_ = clone(self.estimator).fit(
            X_orbit, np.concatenate([y] * n_copies), **fit_params
        )
        self.classes_ = self.estimator_.classes_
        return self

    def _stacked_orbit(self, X):
        """The number of copies and the images ``g(X)`` stacked in the order
        of the elements, the identity (``X``) first."""
        # A width-agnostic group adapts to X, another must match it; a
        # callable's images are checked to have the shape of X.
        identity, *others = check_symmetry(self.symmetry, X.shape[1])
        n_copies, n_samples = 1 + len(others), X.shape[0]
        if sp.issparse(X):
            return n_copies, sp.vstack([X] + [g(X) for g in others], format=X.format)
        # Filled one image at a time: the orbit is len(G) copies of X, so
        # holding every image besides the stacked result would double the
        # memory. Group elements keep the dtype (a gather and a negation); a
        # function's image may not, and the orbit then takes the common type.
        X_orbit = np.array(X)  # the trivial group: X alone
        for k, g in enumerate(others, start=1):
            image = np.asarray(g(X))
            if k == 1:
                X_orbit = np.empty(
                    (n_copies * n_samples, X.shape[1]),
                    dtype=np.result_type(X.dtype, image.dtype),
                )
                X_orbit[:n_samples] = X
            X_orbit[k * n_samples : (k + 1) * n_samples] = image
        return n_copies, X_orbit

    # The inner estimator's methods, on X validated as in fit.
    predict = _delegated(
        "predict",
        "Class labels predicted by the inner estimator.",
        "y_pred : ndarray of shape (n_samples,)",
    )
    predict_proba = _delegated(
        "predict_proba",
        "Class probabilities from the inner estimator.",
        "proba : ndarray of shape (n_samples, n_classes)",
    )
    predict_log_proba = _delegated(
        "predict_log_proba",
        "Log class probabilities from the inner estimator.",
        "log_proba : ndarray of shape (n_samples, n_classes)",
    )
    decision_function = _delegated(
        "decision_function",
        "Decision function of the inner estimator.",
        "scores : ndarray of shape (n_samples,) or (n_samples, n_classes)",
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        # Training on an orbit can make a task unlearnable for the inner model:
        # a linear model fitted on X and -X with centred classes sees every
        # point under both labels (the paper's Table I, "trained on +-X"). So
        # no training-accuracy floor is promised, whatever the inner model.
        tags.classifier_tags.poor_score = True
        if inner.classifier_tags is not None:  # None for a non-classifier
            tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        tags.non_deterministic = inner.non_deterministic
        return tags
