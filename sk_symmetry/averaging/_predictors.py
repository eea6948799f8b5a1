"""`SymmetrizedClassifier` and `SymmetrizedRegressor`: the Reynolds operator
on a fitted model's predictions, invariant or equivariant exactly."""

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets

from .._compat import HasMethods, StrOptions, _fit_context, check_is_fitted
from .._docstrings import fill_doc
from ..metrics._internal import check_target, target_signs
from ..symmetry._internal import as_arrays
from ._base import (
    fit_inner,
    group_of,
    inner_has,
    lazy_or_validated,
    validate_X,
)
from ._label_action import (
    action_classes,
    check_action,
    closed_labels,
    label_permutations,
    sign_permutations,
)
from ._reynolds import reynolds

__all__ = ["SymmetrizedClassifier", "SymmetrizedRegressor"]


class _Symmetrized(MetaEstimatorMixin, BaseEstimator):
    """What the classifier and the regressor share.

    A subclass sets ``_kind`` (the inner estimator's type, "classifier" or
    "regressor") and defines ``_validate_training_data(X, y) -> (X, y)`` and
    ``_fit(X, y, sample_weight) -> self``, which `fit` calls with
    ``group_`` set.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "symmetry": "no_validation",  # signed_permutations says what is wrong
        "fit_on": [StrOptions({"data", "orbit"})],
    }

    def _inner(self):
        return getattr(self, "estimator_", self.estimator)

    @_fit_context(prefer_skip_nested_validation=False)
    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit a clone of ``estimator`` on the orbit of ``X`` (or on ``X``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (sparse if the inner estimator takes it).

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels for the classifier; targets for the regressor (one
            column per output if the inner regressor takes several).

        {averaging_fit_sample_weight}
            The fitted meta-estimator.
        """
        # The kind is checked before anything else: the wrong kind would fail
        # late and obscurely (no classes_, no predict_proba).
        found = get_tags(self.estimator).estimator_type
        if found != self._kind:
            raise ValueError(
                f"estimator must be a {self._kind}; got {self.estimator!r}, "
                + (f"a {found}." if found else "which is not tagged as one.")
            )
        X, y = self._validate_training_data(X, y)
        self.group_, _, _ = group_of(self.symmetry, X)
        return self._fit(X, y, sample_weight)

    def _average(self, X, function, transforms=None, n_outputs=1):
        """``mean over g of rho_g(function(g x))`` for each row; ``rho_g`` is
        ``transforms[element_action_[g]]``, the identity without transforms."""
        perms, signs = as_arrays(self.group_, X.dtype)
        action = None
        if transforms is not None and len(transforms) > 1:
            action = (self._element_action, transforms)
        return reynolds(function, X, perms, signs, action=action,
                        n_outputs=n_outputs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.non_deterministic = inner.non_deterministic
        return tags


@fill_doc
class SymmetrizedClassifier(ClassifierMixin, _Symmetrized):
    """Average a classifier over a symmetry group: exactly invariant, or
    equivariant with a permutation of the classes.

    ``predict_proba(x)`` is the mean over the group elements ``g`` of the
    inner classifier's ``predict_proba(g x)`` (the Reynolds operator), and
    ``predict`` its most probable class. For a classifier without
    ``predict_proba``, ``predict`` follows the averaged
    ``decision_function``, and without either (or with one-vs-one scores)
    the most frequent of the inner predictions on ``g x`` (ties go to the
    class first in ``classes_``).
    The predictions are the same, bit for bit, for ``x`` and every ``g x``.

    With ``label_action`` the classes move with the data ("left" and "right"
    swap under a mirror): the average is over ``P(g x)[pi_g(c)]`` and the
    model is equivariant, ``predict_proba(g x)[:, pi_g(c)] ==
    predict_proba(x)[:, c]`` exactly.

    Parameters
    ----------
    estimator : classifier object
        The classifier to average. A clone is fitted in `fit`; a non-
        classifier is refused with a ValueError.

    symmetry : SymmetryGroup, default=None
        The group of signed permutations. None means grayscale inversion
        ``x -> -x`` (``SymmetryGroup.inversion()``), which adapts to the width
        of ``X``; any other group must act on ``n_features``.

    fit_on : {"orbit", "data"}, default="orbit"
        What the clone is fitted on: the orbit ``[g(X) for g in G]``
        stacked, labels (moved by ``label_action``) and ``sample_weight``
        repeated; or ``X`` as given.

    label_action : dict, list or callable, default=None
        How the group permutes the classes. None: not at all (invariance).
        A dict ``{generator name: {label: label}}`` (generators left out, and
        labels left out of a mapping, stay put), a list of such mappings, one
        per generator in the order of ``symmetry.generators``, or a callable
        ``element -> {label: label}`` for every element. It must be an action
        of the group (``pi_{g h} = pi_g pi_h``), else `fit` raises a
        ValueError naming the element where it fails.

    Attributes
    ----------
    estimator_ : classifier object
        The fitted clone.

    classes_ : ndarray of shape (n_classes,)
        The class labels; with ``fit_on="orbit"``, those of ``y`` and their
        images under ``label_action``.

    group_ : SymmetryGroup
        The group on ``n_features_in_`` features.

    class_permutations_ : ndarray of int of shape (len(group_), n_classes)
        ``classes_[class_permutations_[k]]`` are the images of ``classes_``
        under the ``k``-th element (all ``arange(n_classes)`` without
        ``label_action``).

    {input_feature_attributes}

    See Also
    --------
    OrbitAugmentedClassifier : Training on the orbit alone, no guarantee.
    SymmetrizedRegressor : The same for regression, invariant or odd.
    GroupAveragedTransformer : The average of a transformer's features.

    Notes
    -----
    Exactness holds for ``predict_proba`` and ``decision_function`` always,
    and for ``predict`` wherever the largest probability is unique: a row
    fixed by an element that swaps two classes has them tied, and no rule
    can break that tie equivariantly. The orbit of a block of rows is
    visited in an order set by the images (see `GroupAveragedTransformer`),
    so ``x`` and ``g x`` give the inner classifier the same batches.

    Cost: predicting calls the inner model ``len(G)`` times (on blocks of
    rows); with ``fit_on="orbit"`` fitting sees ``len(G)`` times the rows.
    On a Dask array ``predict`` and ``predict_proba`` run block by block.

    {references}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sk_symmetry import SymmetrizedClassifier, SymmetryGroup
    >>> X = np.array([[2.0, 0.0], [1.0, 0.5], [0.0, 2.0], [0.5, 1.0]])
    >>> y = ["right", "right", "left", "left"]
    >>> G = SymmetryGroup([([1, 0], 1, "mirror")])
    >>> clf = SymmetrizedClassifier(
    ...     DecisionTreeClassifier(random_state=0), G,
    ...     label_action={"mirror": {"left": "right", "right": "left"}},
    ... ).fit(X, y)
    >>> clf.predict([[3.0, 0.2], [0.2, 3.0]])
    array(['right', 'left'], dtype='<U5')
    """

    _parameter_constraints: dict = {
        **_Symmetrized._parameter_constraints,
        "label_action": "no_validation",  # _label_action says what is wrong
    }
    _kind = "classifier"

    def __init__(self, estimator, symmetry=None, *, fit_on="orbit",
                 label_action=None):
        self.estimator = estimator
        self.symmetry = symmetry
        self.fit_on = fit_on
        self.label_action = label_action

    def _validate_training_data(self, X, y):
        X, y = validate_X(self, self.estimator, X, y, reset=True)
        check_classification_targets(y)
        return X, y

    def _fit(self, X, y, sample_weight):
        orbit = self.group_ if self.fit_on == "orbit" else None
        classes = np.unique(y)
        y_images = None
        if self.label_action is None:
            table = np.tile(np.arange(classes.size), (len(self.group_), 1))
        else:
            if orbit is not None:
                classes = closed_labels(y, self.group_, self.label_action)
            table = label_permutations(self.group_, self.label_action, classes)
            if orbit is not None:
                index = np.searchsorted(classes, y)
                y_images = [classes[perm[index]] for perm in table]
        self.estimator_ = fit_inner(
            clone(self.estimator), X, y, sample_weight, orbit, y_images
        )
        self.classes_ = self.estimator_.classes_
        if not np.array_equal(self.classes_, classes):
            raise ValueError(
                f"the inner classifier's classes_ {self.classes_.tolist()} differ "
                f"from the labels it was given, {classes.tolist()}."
            )
        self.class_permutations_ = table
        self._element_action, self._distinct = action_classes(table)
        return self

    def _columns(self):
        """``rho``: each distinct permutation, applied to columns of classes."""
        return [lambda S, p=p: S[:, p] for p in self._distinct]

    def _proba(self, X):
        return self._average(
            X, self.estimator_.predict_proba, self._columns(), len(self.classes_)
        )

    def _votes(self, X):
        classes = self.classes_

        def one_hot(Z):
            index = np.searchsorted(classes, self.estimator_.predict(Z))
            out = np.zeros((len(index), len(classes)))
            out[np.arange(len(index)), index] = 1.0
            return out

        return self._average(X, one_hot, self._columns(), len(classes))

    @fill_doc(done="predicted")
    def predict(self, X):
        """The most probable class of the averaged model.

        {averaging_dask_input}
        y_pred : ndarray of shape (n_samples,)
            The argmax of the averaged probabilities; without
            ``predict_proba``, of the averaged decision function (one score
            per class, or ``classes_[1]`` where a single score is positive);
            without either (or with one-vs-one scores), of the vote
            fractions.
        """
        check_is_fitted(self)
        X, lazy = lazy_or_validated(self, self.estimator, X, self.predict,
                                    n_columns=None, dtype=self.classes_.dtype)
        if lazy:
            return X
        if hasattr(self.estimator_, "predict_proba"):
            scores = self._proba(X)
        elif hasattr(self.estimator_, "decision_function") and not self._one_vs_one():
            scores = self._decision(X)
            if scores.ndim == 1:  # positive for classes_[1]
                return self.classes_[(scores > 0).astype(np.intp)]
        else:
            scores = self._votes(X)
        return self.classes_[np.argmax(scores, axis=1)]

    @available_if(inner_has("predict_proba"))
    @fill_doc(done="predicted")
    def predict_proba(self, X):
        """The inner classifier's probabilities averaged over the group.

        {averaging_dask_input}
        proba : ndarray of shape (n_samples, n_classes)
            Column ``c`` is the mean over ``g`` of the inner probability of
            class ``pi_g(c)`` on ``g x``.
        """
        check_is_fitted(self)
        X, lazy = lazy_or_validated(self, self.estimator, X, self.predict_proba,
                                    n_columns=len(self.classes_), dtype=np.float64)
        return X if lazy else self._proba(X)

    @available_if(inner_has("predict_proba"))
    @fill_doc
    def predict_log_proba(self, X):
        """The logarithm of `predict_proba`.

        {averaging_input}
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @available_if(inner_has("decision_function"))
    @fill_doc
    def decision_function(self, X):
        """The inner decision function averaged over the group.

        {averaging_input}
        scores : ndarray of shape (n_samples,) or (n_samples, n_columns)
            The shape of the inner classifier's. With ``label_action``, a
            binary score changes sign under an element that swaps the two
            classes, and columns of one score per class are permuted as
            `predict_proba`'s; other layouts (one-vs-one) are refused.
        """
        check_is_fitted(self)
        return self._decision(validate_X(self, self.estimator, X, reset=False))

    def _one_vs_one(self):
        return len(self.classes_) > 2 and getattr(
            self.estimator_, "decision_function_shape", "ovr"
        ) == "ovo"

    def _decision(self, X):
        n_classes = len(self.classes_)
        binary = n_classes == 2
        inner = self.estimator_.decision_function

        def scores(Z):
            out = np.asarray(inner(Z))
            per_class = out.ndim == 2 and out.shape[1] == n_classes and (
                getattr(self.estimator_, "decision_function_shape", "ovr") != "ovo"
            )
            if len(self._distinct) > 1 and not (
                (binary and out.ndim == 1) or per_class
            ):
                raise ValueError(
                    "with label_action, decision_function needs one score per "
                    "class (or one for two classes); the inner classifier "
                    f"gives shape {out.shape}."
                )
            return out

        if binary:  # one score, positive for classes_[1]: a swap negates it
            transforms = [
                (lambda S: S) if p[0] == 0 else np.negative for p in self._distinct
            ]
        else:
            transforms = self._columns()
        out = self._average(X, scores, transforms, n_classes)
        return out[:, 0] if binary and out.shape[1] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        # An invariant model cannot fit a task that is not invariant (a
        # linear model averaged over x and -x keeps only its intercept).
        tags.classifier_tags.poor_score = True
        if inner.classifier_tags is not None:
            tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        return tags


@fill_doc
class SymmetrizedRegressor(RegressorMixin, _Symmetrized):
    """Average a regressor over a symmetry group: exactly invariant, odd, or
    any sign per element.

    ``predict(x)`` is the mean over the group elements ``g`` of
    ``s_g * estimator.predict(g x)``, where ``s_g`` is the sign ``target``
    gives ``g``; then ``predict(g x) == s_g * predict(x)``, bit for bit.

    Parameters
    ----------
    estimator : regressor object
        The regressor to average. A clone is fitted in `fit`; a non-regressor
        is refused with a ValueError.

    symmetry : SymmetryGroup, default=None
        The group of signed permutations. None means grayscale inversion
        ``x -> -x``, which adapts to the width of ``X``.

    fit_on : {"orbit", "data"}, default="orbit"
        What the clone is fitted on: the orbit ``[g(X) for g in G]`` with
        targets ``s_g * y``, ``sample_weight`` repeated; or ``X`` as given.

    target : {"invariant", "odd"} or callable, default="invariant"
        How ``y`` transforms, as for the symmetric scorers: ``"invariant"``
        (``s_g = 1``), ``"odd"`` (``-1`` for the elements that negate every
        feature, such as the inversion), or a callable element -> +1 or -1.
        The signs must be a character of the group (``s_{g h} = s_g s_h``),
        else `fit` raises a ValueError.

    Attributes
    ----------
    estimator_ : regressor object
        The fitted clone.

    group_ : SymmetryGroup
        The group on ``n_features_in_`` features.

    target_signs_ : ndarray of int of shape (len(group_),)
        ``s_g`` for each element, the identity first.

    {input_feature_attributes}

    See Also
    --------
    SymmetrizedClassifier : The same for classification.
    BiaslessMLPRegressor : A network that is odd by construction.

    Notes
    -----
    The values ``estimator.predict(g x)`` are summed per sign in an order set
    by the images (see `GroupAveragedTransformer`), and the negative sum is
    subtracted from the positive one: under an element of sign ``-1`` the two
    sums trade places, and ``a - b == -(b - a)`` exactly. Predicting calls
    the inner model ``len(G)`` times; on a Dask array ``predict`` runs block
    by block.

    {references}

    Examples
    --------
    A random forest is not odd; averaged with ``target="odd"``, it is, bit
    for bit:

    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sk_symmetry import SymmetrizedRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 3))
    >>> y = X.sum(axis=1) ** 3
    >>> reg = SymmetrizedRegressor(RandomForestRegressor(10, random_state=0),
    ...                            target="odd").fit(X, y)
    >>> bool(np.array_equal(reg.predict(-X), -reg.predict(X)))
    True
    """

    _parameter_constraints: dict = {
        **_Symmetrized._parameter_constraints,
        "target": [StrOptions({"invariant", "odd"}), callable],
    }
    _kind = "regressor"

    def __init__(self, estimator, symmetry=None, *, fit_on="orbit",
                 target="invariant"):
        self.estimator = estimator
        self.symmetry = symmetry
        self.fit_on = fit_on
        self.target = target

    def _validate_training_data(self, X, y):
        return validate_X(
            self, self.estimator, X, y, reset=True, multi_output=True,
            y_numeric=True,
        )

    def _fit(self, X, y, sample_weight):
        signs = np.array(target_signs(self.group_, check_target(self.target)))
        check_action(
            self.group_, sign_permutations(signs), "target (a sign per element)",
            ["+1", "-1"],
        )
        self.target_signs_ = signs
        orbit = self.group_ if self.fit_on == "orbit" else None
        y_images = [y if s > 0 else -y for s in signs]
        self.estimator_ = fit_inner(
            clone(self.estimator), X, y, sample_weight, orbit, y_images
        )
        self._element_action = (signs < 0).astype(np.intp)
        self._n_outputs = None if y.ndim == 1 else y.shape[1]
        return self

    @fill_doc(done="predicted")
    def predict(self, X):
        """The averaged prediction, ``mean over g of s_g * predict(g x)``.

        {averaging_dask_input}
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        X, lazy = lazy_or_validated(self, self.estimator, X, self.predict,
                                    n_columns=self._n_outputs, dtype=np.float64)
        if lazy:
            return X
        transforms = [lambda S: S, np.negative] if (
            self.target_signs_ < 0).any() else None
        out = self._average(X, self.estimator_.predict, transforms,
                            self._n_outputs or 1)
        return out[:, 0] if self._n_outputs is None else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # An invariant (or odd) model cannot fit a task that is not.
        tags.regressor_tags.poor_score = True
        inner = get_tags(self.estimator)
        tags.target_tags.multi_output = inner.target_tags.multi_output
        return tags
