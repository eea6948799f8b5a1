"""`symmetry_test`: which elements of a group leave the data, and its labels,
unchanged? Two exact tests per element, before any invariance is imposed.

The p-values are valid in finite samples, with no asymptotic approximation
(issue 20): each block's test is exact, and Fisher's combination of the
blocks' discrete p-values makes the whole conservative (it rejects at most as
often as ``alpha`` allows, usually less). Each element ``g`` gets

- an input test: a classifier learns to tell ``x`` from ``g(x)`` on earlier
  blocks of rows and is scored on the pair ``x, g(x)`` of each later row;
- a label test: a model of ``y`` fitted on earlier blocks predicts ``x`` and
  ``g(x)`` of each later row; it should be as often right on both.

Both are exact McNemar tests (one-sided binomial tests on the discordant
pairs). Two choices make them exact rather than approximately so:

1. McNemar's test needs only that a row's two outcomes have the same
   marginal probability, not that the pair ``(x, g(x))`` be exchangeable
   (which holds only when ``g`` is its own inverse): under the null ``x`` and
   ``g(x)`` have the same distribution, so any fixed model is as often right
   on one as on the other, whatever the order of ``g``.
2. The blocks are chained forward: the model for block ``k`` is fitted on
   blocks ``0 .. k-1`` only. Ordinary K-fold cross-fitting pools held-out
   counts whose number of discordant pairs depends on the other folds'
   outcomes, and the pooled count is then not binomial (two rows, one per
   fold, and a nearest-neighbour model already show it). Chained forward,
   each block's p-value is exact given every earlier block, and Fisher's
   combination of such p-values is valid.
"""

from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import binom, chi2
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.utils import check_array, check_consistent_length, check_random_state
from sklearn.utils.multiclass import type_of_target

from .._compat import HasMethods, Interval, validate_params
from .._utils import one_blas_thread
from ..symmetry import SymmetryGroup, check_symmetry
from ..symmetry._internal import group_or_none
from ._symmetry_test_result import SymmetryTestResult, _largest_subgroup

__all__ = ["SymmetryTestResult", "symmetry_test"]


# -- exact p-values -------------------------------------------------------------
def _upper_tail(k, n):
    """``P(Binomial(n, 1/2) >= k)``: the one-sided exact McNemar p-value."""
    return float(binom.sf(k - 1, n, 0.5))


def _fisher(pvalues):
    """Fisher's combination of p-values, each valid given the ones before it."""
    pvalues = np.asarray(pvalues, dtype=float)
    with np.errstate(divide="ignore"):  # a p-value of 0 gives 0
        statistic = -2.0 * np.log(pvalues).sum()
    return float(chi2.sf(statistic, 2 * pvalues.size))


def _holm(pvalues):
    """Holm's step-down adjustment (family-wise error at most ``alpha``)."""
    pvalues = np.asarray(pvalues, dtype=float)
    m = pvalues.size
    order = np.argsort(pvalues, kind="stable")
    steps = (m - np.arange(m)) * pvalues[order]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(steps))
    return adjusted


def _combined_mcnemar(counts):
    """Fisher's combination of the exact McNemar p-values of ``(b, d)``
    discordant counts, one pair per block."""
    return _fisher([_upper_tail(b, b + d) for b, d in counts])


def _holm_after_identity(pvalues):
    """`_holm` over every row but the first, the identity, which is not
    tested and keeps p-value 1; rows of several columns are one family."""
    adjusted = np.ones_like(pvalues)
    adjusted[1:] = _holm(pvalues[1:].ravel()).reshape(pvalues[1:].shape)
    return adjusted


# -- one element -----------------------------------------------------------------
def _test_element(element, X, y, n_classes, blocks, estimator, label_models):
    """Discordant counts of both tests for one element, per test block.

    Returns a dict of arrays over the ``len(blocks) - 1`` test blocks:
    ``input`` (block, 2): rows whose pair the discriminator gets right on both
    sides, and wrong on both; ``label`` (block, class, 2): rows right on ``x``
    only, and right on ``g(x)`` only; ``right_g`` (class,): rows right on
    ``g(x)``; ``moved`` (class, class): rows right on ``x`` only, by the label
    predicted on ``g(x)``.
    """
    X_g = np.asarray(element(X), dtype=X.dtype)  # shape checked by the element
    n_tests = len(blocks) - 1
    counts = {
        "input": np.zeros((n_tests, 2), dtype=np.int64),
        "label": np.zeros((n_tests, n_classes, 2), dtype=np.int64),
        "right_g": np.zeros(n_classes, dtype=np.int64),
        "moved": np.zeros((n_classes, n_classes), dtype=np.int64),
    }
    for k in range(1, len(blocks)):
        train, test = np.concatenate(blocks[:k]), blocks[k]
        side = np.repeat(np.array([0, 1]), train.size)
        discriminator = clone(estimator).fit(np.vstack([X[train], X_g[train]]), side)
        says_g_x = discriminator.predict(X[test]) == 1
        says_g_gx = discriminator.predict(X_g[test]) == 1
        counts["input"][k - 1] = (
            np.sum(~says_g_x & says_g_gx),
            np.sum(says_g_x & ~says_g_gx),
        )
        model = label_models[k - 1]
        if model is None:  # no labels, or one class in the earlier blocks
            continue
        y_test = y[test]
        right_x = model.predict(X[test]) == y_test
        predicted_g = model.predict(X_g[test])
        right_g = predicted_g == y_test
        only_x, only_g = right_x & ~right_g, ~right_x & right_g
        counts["label"][k - 1, :, 0] = np.bincount(y_test[only_x], minlength=n_classes)
        counts["label"][k - 1, :, 1] = np.bincount(y_test[only_g], minlength=n_classes)
        counts["right_g"] += np.bincount(y_test[right_g], minlength=n_classes)
        np.add.at(counts["moved"], (y_test[only_x], predicted_g[only_x]), 1)
    return counts


def _is_classifier(estimator):
    try:
        return is_classifier(estimator)
    except AttributeError:  # no scikit-learn tags at all
        return False


def _default_estimator():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def _describe(estimator):
    steps = getattr(estimator, "steps", None)
    name = type(estimator).__name__
    if steps is not None:
        name += "[" + ", ".join(type(step).__name__ for _, step in steps) + "]"
    return name


# -- the test -------------------------------------------------------------------
@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like", None],
        "symmetry": [SymmetryGroup, callable, None],
        "estimator": [HasMethods(["fit", "predict"]), None],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def symmetry_test(
    X,
    y=None,
    symmetry=None,
    *,
    estimator=None,
    cv=5,
    alpha=0.05,
    random_state=None,
    n_jobs=None,
):
    """Test, for each element of a symmetry group, whether the data are invariant.

    Two questions per element ``g``, each answered by an exact test:

    - **inputs**: do ``X`` and ``g(X)`` have the same distribution? A
      classifier learns to tell ``x`` (label 0) from ``g(x)`` (label 1); on
      held-out rows it should be no better than chance.
    - **labels** (when ``y`` is given): are ``(x, y)`` and ``(g(x), y)``
      equally likely? A model of ``y`` fitted on ``X`` predicts held-out
      ``x`` and ``g(x)`` of the same rows; it should be as often right on
      either. Tested overall and per class, so that a half turn that turns
      6s into 9s shows up as such.

    Use it before imposing an invariance: imposing an element under which
    the labels change costs accuracy (``result.subgroup_`` is the part of
    the group that passes both tests).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite numbers; rows are independent draws (a Markov chain's
        consecutive states are not: keep one per chain or thin it). Not
        modified.

    y : array-like of shape (n_samples,), default=None
        Class labels, at least two classes. None runs the input test alone.

    symmetry : SymmetryGroup or callable, default=None
        The elements to test, as `check_symmetry` reads them. None (or
        `invert`) means grayscale inversion ``x -> -x``
        (``SymmetryGroup.inversion()``), which adapts to the width of ``X``;
        any other group must act on ``n_features``. Another callable
        ``X -> X'`` is tested as the single element, named by its
        ``__name__``.

    estimator : classifier, default=None
        Cloned and fitted for both tests (with labels 0/1 for the input
        test). None is a logistic regression on standardised inputs: fast,
        and able to see any asymmetry of the mean. A more flexible model sees
        more asymmetries (and costs more).

    cv : int, default=5
        The rows are shuffled into ``cv`` blocks; block ``k`` is tested with
        models fitted on blocks ``0 .. k-1`` (block 0 only trains), so
        ``(cv - 1) / cv`` of the rows are tested. At most ``n_samples``.

    alpha : float, default=0.05
        Level of the verdicts, after Holm's correction over the elements
        (the identity excluded: it is invariant by definition).

    random_state : int, RandomState instance or None, default=None
        The shuffle into blocks: the rows ``permutation(n_samples)`` of the
        random state, split by `numpy.array_split` into ``cv`` blocks.

    n_jobs : int, default=None
        Elements tested in parallel with joblib (``-1``: all cores).

    Returns
    -------
    result : SymmetryTestResult
        Per element: the held-out accuracy of telling ``x`` from ``g(x)``,
        the accuracy on ``g(X)`` of the model of the labels, the p-values
        (raw and Holm-adjusted), per-class results and the verdict;
        ``result.subgroup_`` is the largest subgroup of elements that pass.
        ``print(result)`` shows a table, ``result.to_frame()`` a DataFrame,
        ``result.plot()`` (or `SymmetryTestDisplay`) a heat map.

    Raises
    ------
    TypeError
        If ``estimator`` is not a scikit-learn classifier.
    ValueError
        If ``n_jobs`` is 0, the group acts on another number of features
        than ``X`` has,
        ``cv`` exceeds the number of samples, ``y`` has one class or another
        length than ``X``, or ``X`` is not finite.

    See Also
    --------
    symmetry_report : How a fitted model scores on each image of the test set.
    SymmetryTestDisplay : The per-class results as a heat map.

    Notes
    -----
    Both tests are one-sided exact McNemar tests on the held-out rows whose
    two outcomes differ: for the input test, rows the discriminator gets
    right on both ``x`` and ``g(x)`` against rows it gets wrong on both; for
    the label test, rows the model gets right on ``x`` only against rows it
    gets right on ``g(x)`` only. Under the null hypothesis ``x`` and ``g(x)``
    (with their label) have the same distribution, so a model fitted on
    other rows is as often right on either, and each discordant row is a
    fair coin, for an element of any order (a quarter turn as well as a
    mirror). A block's p-value is therefore exact given the blocks before
    it, and the blocks' p-values are combined by Fisher's method, valid for
    p-values each valid given the earlier ones. Per-class p-values are
    Holm-adjusted over every element and class.

    The label test's null includes the inputs: when ``X`` and ``g(X)``
    differ, a model of ``y`` can also fail on ``g(X)`` because it never saw
    such inputs. The per-class ``moved_to`` column tells a relabelling
    (most 6s become 9s) from a model lost off its data (the 2s scatter).

    Passing a test is absence of evidence, not a proof of invariance: a
    linear discriminator does not see an asymmetry of higher moments.

    References
    ----------
    D. Lopez-Paz and M. Oquab, "Revisiting classifier two-sample tests",
    ICLR 2017. K. Chiu and B. Bloem-Reddy, "Non-parametric hypothesis tests
    for distributional group symmetry", 2023. Q. McNemar, "Note on the
    sampling error of the difference between correlated proportions or
    percentages", Psychometrika 12 (1947).

    Examples
    --------
    The sign of the first feature as the label: the inputs are invariant
    under ``x -> -x``, the labels are not.

    >>> import numpy as np
    >>> from sk_symmetry import symmetry_test
    >>> X = np.random.RandomState(0).normal(size=(300, 4))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> result = symmetry_test(X, y, random_state=0)
    >>> result.elements
    ('identity', 'invert')
    >>> result.rejected
    ('none', 'labels')
    >>> symmetry_test(X + 0.5, random_state=0).rejected  # a mean off zero
    ('none', 'inputs')
    """
    if estimator is not None and not _is_classifier(estimator):
        raise TypeError(
            "estimator must be a classifier (both tests fit it on class "
            f"labels and compare its predicted classes); got {_describe(estimator)}."
        )
    if n_jobs == 0:
        raise ValueError(
            "n_jobs must be None or a nonzero integer (-1: all cores); got 0."
        )
    X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
    n_samples, n_features = X.shape
    if cv > n_samples:
        raise ValueError(
            f"cv={cv} blocks need at least as many samples; X has {n_samples}."
        )
    classes = None
    if y is not None:
        check_consistent_length(X, y)
        y = np.asarray(y)
        if type_of_target(y, input_name="y") not in ("binary", "multiclass"):
            raise ValueError(
                "y must be class labels (binary or multiclass); got a target of "
                f"type {type_of_target(y)!r}."
            )
        encoder = LabelEncoder().fit(y)
        classes = encoder.classes_
        if classes.size < 2:
            raise ValueError(f"y has a single class ({classes[0]!r}); need two.")
        y = encoder.transform(y)
    group = check_symmetry(symmetry, n_features)
    elements = list(group)
    names = [g.name for g in elements]
    group = group_or_none(group)
    estimator = _default_estimator() if estimator is None else estimator
    rng = check_random_state(random_state)
    blocks = np.array_split(rng.permutation(n_samples), cv)
    n_classes = 0 if classes is None else classes.size

    # Many small fits: BLAS threads only contend with each other (a
    # multinomial logistic regression on 7,000 digits took 30 s with them on
    # a busy machine, under 1 s without); n_jobs is the parallelism, and
    # joblib's worker processes limit their own threads in the same way.
    with one_blas_thread():
        # The model of the labels does not depend on the element: fit it
        # once per block. With one class in the earlier blocks the block is
        # skipped (p-value 1: a choice made from the past keeps it exact).
        label_models = []
        for k in range(1, cv):
            train = np.concatenate(blocks[:k])
            if classes is None or np.unique(y[train]).size < 2:
                label_models.append(None)
            else:
                label_models.append(clone(estimator).fit(X[train], y[train]))
        others = Parallel(n_jobs=n_jobs)(
            delayed(_test_element)(g, X, y, n_classes, blocks, estimator, label_models)
            for g in elements[1:]
        )
    return _build_result(
        names=names, elements=elements, group=group, counts=others, alpha=alpha,
        X=X, y=y, classes=classes, blocks=blocks, label_models=label_models,
        model=_describe(estimator),
    )


def _build_result(
    *, names, elements, group, counts, X, y, classes, blocks, label_models, alpha, model
):
    tested = np.concatenate(blocks[1:])
    n_tested = tested.size
    n_elements = len(names)
    input_accuracy = np.full(n_elements, 0.5)
    input_p = np.ones(n_elements)
    for e, c in enumerate(counts, start=1):
        right, wrong = c["input"].sum(axis=0)
        input_accuracy[e] = 0.5 + (right - wrong) / (2.0 * n_tested)
        input_p[e] = _combined_mcnemar(c["input"])
    input_adjusted = _holm_after_identity(input_p)
    rejected_input = input_adjusted <= alpha

    labels = dict.fromkeys(_LABEL_FIELDS)
    rejected_labels = np.zeros(n_elements, dtype=bool)
    if classes is not None:
        labels = _label_results(counts, X, y, classes, blocks, label_models)
        rejected_labels = labels["label_pvalue_adjusted"] <= alpha
    invariant = ~(rejected_input | rejected_labels)
    subgroup = None
    if group is not None:
        passing = [g for g, ok in zip(elements, invariant, strict=True) if ok]
        subgroup = _largest_subgroup(group, passing)
    return SymmetryTestResult(
        elements=tuple(names),
        input_accuracy=input_accuracy,
        input_pvalue=input_p,
        input_pvalue_adjusted=input_adjusted,
        classes=classes,
        **labels,
        invariant=invariant,
        alpha=alpha,
        n_samples=X.shape[0],
        n_tested=n_tested,
        cv=len(blocks),
        model=model,
        subgroup_=subgroup,
    )


_LABEL_FIELDS = (
    "accuracy",
    "transformed_accuracy",
    "label_pvalue",
    "label_pvalue_adjusted",
    "class_support",
    "class_accuracy",
    "class_pvalue",
    "class_pvalue_adjusted",
    "moved",
)


def _label_results(counts, X, y, classes, blocks, label_models):
    """Accuracies, p-values and relabellings of the label test."""
    n_classes = classes.size
    n_elements = len(counts) + 1
    right_x = np.zeros(n_classes, dtype=np.int64)
    support = np.zeros(n_classes, dtype=np.int64)
    for k, model in enumerate(label_models, start=1):
        if model is None:
            continue
        y_test = y[blocks[k]]
        support += np.bincount(y_test, minlength=n_classes)
        hits = model.predict(X[blocks[k]]) == y_test
        right_x += np.bincount(y_test[hits], minlength=n_classes)
    right_g = np.vstack([right_x] + [c["right_g"] for c in counts])
    pvalue = np.ones(n_elements)
    class_p = np.ones((n_elements, n_classes))
    moved = np.zeros((n_elements, n_classes, n_classes), dtype=np.int64)
    for e, c in enumerate(counts, start=1):
        pvalue[e] = _combined_mcnemar(c["label"].sum(axis=1))
        for j in range(n_classes):
            class_p[e, j] = _combined_mcnemar(c["label"][:, j])
        moved[e] = c["moved"]
    adjusted = _holm_after_identity(pvalue)
    class_adjusted = _holm_after_identity(class_p)
    with np.errstate(invalid="ignore", divide="ignore"):
        class_accuracy = right_g / support  # row 0: on X itself
    n_scored = max(int(support.sum()), 1)
    return {
        "accuracy": float(right_x.sum() / n_scored),
        "transformed_accuracy": right_g.sum(axis=1) / n_scored,
        "label_pvalue": pvalue,
        "label_pvalue_adjusted": adjusted,
        "class_support": support,
        "class_accuracy": class_accuracy,
        "class_pvalue": class_p,
        "class_pvalue_adjusted": class_adjusted,
        "moved": moved,
    }
