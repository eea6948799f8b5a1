"""Scorers that score a model on the symmetric image of the test set."""

import re
from difflib import get_close_matches
from inspect import signature
from numbers import Real

import numpy as np
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.multiclass import type_of_target

from ..symmetry import GroupElement, check_symmetry, invert

__all__ = ["make_symmetric_scorer", "symmetric_scoring"]

_AGGREGATES = (None, "min", "mean")
_TARGETS = ("invariant", "odd")


class _SymmetricScorer:
    """Score ``estimator`` on the images of ``X`` under a symmetry: the score
    on the one image other than ``X`` (``aggregate=None``, pairs only), or
    the worst case or mean over all of them, ``X`` itself included.

    A module-level class rather than a closure so that it pickles and can be
    sent to joblib workers by `GridSearchCV(n_jobs=...)`. It deliberately does
    not subclass scikit-learn's ``_BaseScorer``: `_MultimetricScorer` caches
    predictions per response method without looking at ``X``, and would hand
    this scorer the predictions on ``X`` where it needs those on ``g(X)``.

    Each element costs one call of the base scorer (one ``predict``); the
    identity is scored on ``X`` itself, not on a copy.
    """

    def __init__(self, scoring, scorer, symmetry, aggregate, target="invariant"):
        self._scoring = scoring
        self._scorer = scorer
        self._symmetry = symmetry
        self._aggregate = aggregate
        self._target = target

    def __call__(self, estimator, X, y_true=None, sample_weight=None, **kwargs):
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        # A width-agnostic group (inversion()) takes the width of X; a group
        # of fixed width refuses X of another width, naming both.
        n_features = _n_features(X)
        group = check_symmetry(self._symmetry, n_features)
        if n_features is None and group.n_features is not None:
            raise ValueError(
                f"the symmetry acts on 2-d data with {group.n_features} "
                f"features; X has shape {np.shape(X)}."
            )
        identity, *others = group
        signs = target_signs(group, self._target)[1:]
        if self._aggregate is None:
            (element,) = others  # make_symmetric_scorer checked there is one
            y_g = transform_target(y_true, signs[0], estimator)
            return self._scorer(estimator, element(X), y_g, **kwargs)
        scores = [self._scorer(estimator, X, y_true, **kwargs)]
        scores += [
            self._scorer(estimator, g(X), transform_target(y_true, sign, estimator),
                         **kwargs)
            for g, sign in zip(others, signs, strict=True)
        ]
        # np.min and np.mean, not min(): min(0.9, nan) is 0.9, which would
        # hide a failed score; a NaN anywhere gives NaN.
        if self._aggregate == "min":
            return float(np.min(scores))
        return float(np.mean(scores))

    def __repr__(self):
        scoring = (
            repr(self._scoring) if isinstance(self._scoring, str)
            else _name_of(self._scoring)
        )
        symmetry = (
            repr(self._symmetry) if self._symmetry is None
            else _name_of(self._symmetry)
        )
        target = "" if isinstance(self._target, str) and (
            self._target == "invariant") else f", target={_name_of(self._target)}"
        return (
            f"make_symmetric_scorer({scoring}, symmetry={symmetry}, "
            f"aggregate={self._aggregate!r}{target})"
        )

    # scikit-learn's multi-metric scorer asks each scorer whether to pass it
    # ``sample_weight`` when metadata routing is off (scikit-learn >= 1.6).
    def _accept_sample_weight(self):
        accept = getattr(self._scorer, "_accept_sample_weight", None)
        if accept is not None:
            return accept()
        try:
            return "sample_weight" in signature(self._scorer).parameters
        except (TypeError, ValueError):
            return False

    # With metadata routing on, requests made on the base scorer apply here.
    def set_score_request(self, **kwargs):
        """Request metadata for the base scorer; see scikit-learn's scorers."""
        self._scorer.set_score_request(**kwargs)
        return self

    def get_metadata_routing(self):
        """The base scorer's metadata routing."""
        return get_routing_for_object(self._scorer)


def check_target(target):
    """``target`` if it is "invariant", "odd" or a callable, else an error
    that names it."""
    if isinstance(target, str):
        if target not in _TARGETS:
            raise ValueError(
                "target must be 'invariant', 'odd' or a callable element -> +1 "
                f"or -1; got {target!r}."
            )
    elif not callable(target):
        raise TypeError(
            "target must be 'invariant', 'odd' or a callable element -> +1 or "
            f"-1; got {target!r} of type {type(target).__name__}."
        )
    return target


def _target_sign(target, element, is_identity):
    """+1 or -1: the factor ``y`` takes when ``X`` becomes ``element(X)``.

    ``"odd"`` flips ``y`` under a group element exactly when the element
    negates every feature (inversion, alone or after a permutation), and
    under a user's function that is not a group element; a pure permutation
    leaves it. An element that negates some features only has no sign under
    ``"odd"``.
    """
    # check_symmetry wraps a function (a group element passed on its own
    # included) to check its output; the sign is the wrapped one's.
    element = getattr(element, "function", element)
    if target == "invariant":
        return 1
    if target == "odd":
        if not isinstance(element, GroupElement):
            return 1 if is_identity else -1
        signs = np.unique(element.sign)
        if signs.size == 1:
            return int(signs[0])
        raise ValueError(
            f"target='odd' is ambiguous for the element {element.name!r}, which "
            "negates some features only. Pass target as a callable element -> "
            "+1 or -1 (a character of the group)."
        )
    return _check_sign(target(element), element)


def _check_sign(sign, element):
    """A callable target's answer as the int +1 or -1, or an error naming the
    element and what came back (an array, a complex number, a bool ...)."""
    if isinstance(sign, np.ndarray) and sign.ndim == 0:
        sign = sign.item()
    call = f"target({_name_of(element)})"
    if not isinstance(sign, Real | np.bool_):
        raise TypeError(
            f"{call} must return the number +1 or -1 (the factor y takes), "
            f"one real scalar; got {sign!r} of type {type(sign).__name__}."
        )
    if isinstance(sign, bool | np.bool_) or sign not in (1, -1):
        raise ValueError(
            f"{call} must be +1 or -1 (the factor y takes); got {sign!r}."
        )
    return int(sign)


def target_signs(group, target):
    """The sign of ``y`` under each element of ``group`` (as `check_symmetry`
    returns it, the identity first), checked to be +1 at the identity."""
    signs = [
        _target_sign(target, g, index == 0) for index, g in enumerate(group)
    ]
    if signs[0] != 1:
        raise ValueError(
            "target maps the identity element to -1; a character of the group "
            "maps it to +1 (y cannot change when X does not)."
        )
    return signs


def transform_target(y, sign, estimator=None):
    """``y`` (unchanged, not copied) for +1; ``-y`` for -1.

    A sign of -1 is refused for class labels: those of a classifier
    ``estimator``, or labels scikit-learn types as binary or multiclass when
    ``estimator`` is not known to be a regressor.
    """
    if sign == 1 or y is None:
        return y
    y = np.asarray(y)
    if y.dtype == bool or not np.issubdtype(y.dtype, np.number):
        raise TypeError(
            "target='odd' (or a sign of -1) negates y, which needs numbers (a "
            f"regression target); y has dtype {y.dtype}."
        )
    kind = _estimator_type(estimator)
    if kind == "classifier" or (
        kind != "regressor" and type_of_target(y) in ("binary", "multiclass")
    ):
        whose = "the estimator is a classifier" if kind == "classifier" else (
            f"y looks like class labels ({type_of_target(y)})")
        raise ValueError(
            f"target='odd' (or a sign of -1) negates y, but {whose}: flipping "
            "the sign applies to numeric regression targets (-label is not a "
            "class). Use target='invariant' for class labels."
        )
    return -y


def _estimator_type(estimator):
    """``"classifier"``, ``"regressor"`` or None (no scikit-learn tags)."""
    if estimator is None:
        return None
    try:
        return get_tags(estimator).estimator_type
    except AttributeError:  # a duck-typed model without __sklearn_tags__
        return None


def _n_features(X):
    """The width of 2-d data, else None: a callable symmetry may act on any
    data (a list of texts), and a group's elements name the shape they need."""
    shape = getattr(X, "shape", None)
    if shape is None:
        try:
            shape = np.shape(X)
        except ValueError:  # ragged lists
            return None
    return shape[1] if len(shape) == 2 and shape[1] > 0 else None


def _name_of(obj):
    return getattr(obj, "__name__", None) or repr(obj)


def _unknown_scorer_message(scoring):
    """Name the user's argument and the closest scorer names, rather than
    scikit-learn's error, which names `check_scoring` and lists every one."""
    close = get_close_matches(scoring, get_scorer_names(), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    return (
        f"scoring={scoring!r} is not a scorer name.{hint} "
        "sklearn.metrics.get_scorer_names() lists them all."
    )


def make_symmetric_scorer(
    scoring="accuracy", *, symmetry=None, aggregate=None, target="invariant"
):
    """Make a scorer that scores a model on the symmetric images of the data.

    By default the scorer answers "how well does the model do on the inverted
    test images ``-X``?", or, with ``aggregate``, the worst case or mean over
    ``X`` and ``-X`` (Bergman 2019, Sec. III). With a `SymmetryGroup` it takes
    the worst case or mean over the whole orbit ``[g(X) for g in G]``.

    Parameters
    ----------
    scoring : str or callable, default="accuracy"
        The base score: any scorer name that `sklearn.metrics.get_scorer`
        knows (``"accuracy"``, ``"f1_macro"``, ``"neg_log_loss"``, ...) or a
        callable ``scorer(estimator, X, y) -> float``.

    symmetry : None, SymmetryGroup or callable, default=None
        The symmetry, as `check_symmetry` takes it. None means grayscale
        inversion ``x -> -x`` (the same as `invert`). A `SymmetryGroup`:
        a width-agnostic one (``SymmetryGroup.inversion()``) takes the width
        of ``X`` at each call, one of another width than ``X`` raises a
        ValueError. A function ``X -> X'`` returning new data of the shape of
        ``X`` (an element ``G[k]`` of a group is one) stands for the pair
        ``{X, X'}``.

    aggregate : {None, "min", "mean"}, default=None
        Over the images ``g(X)`` of ``X``, one per element of the group, the
        identity (``X`` itself) first:

        - None: only for two elements (the default inversion, a function,
          or a group such as ``SymmetryGroup.mirror``): the score on the
          image other than ``X``. For a larger group "the" transformed data
          does not exist, and a ValueError asks for ``"min"``, ``"mean"`` or
          one element ``symmetry=G[k]``, rather than guess;
        - ``"min"``: the worst score over all images, ``X`` included;
        - ``"mean"``: the mean score over all images, ``X`` included (the
          expected score when each element is equally likely).

        Either way a NaN score on any of the images makes the aggregate NaN.

    target : {"invariant", "odd"} or callable, default="invariant"
        How the true ``y`` transforms with ``X``, so that the score on
        ``g(X)`` compares the predictions with ``g``'s image of ``y``:

        - ``"invariant"``: ``y`` stays (class labels, an energy);
        - ``"odd"``: ``y`` changes sign (a magnetization, a signed velocity)
          under inversion, under each group element that negates every
          feature, and under a function ``X -> X'`` of your own; a pure
          permutation (mirror, rotation) leaves it. An element that negates
          only some features raises a ValueError: give its sign with a
          callable;
        - a callable ``element -> +1 or -1``: the sign of ``y`` under each
          element (a `GroupElement`, or your function itself), a character
          of the group: the identity gets +1.

        A sign of -1 needs a numeric ``y`` (a regression target): use it
        with ``"r2"``, ``"neg_mean_squared_error"``, ... .

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None) -> float``, usable as
        ``scoring`` in `GridSearchCV`, `cross_validate` and friends. It
        pickles, so it works with ``n_jobs > 1``. With an aggregate it calls
        the base scorer (one ``predict``) once per element.

    Raises
    ------
    ValueError
        If ``aggregate`` is not None, "min" or "mean", or is None for a group
        of more than two elements, or ``scoring`` is an unknown name, or
        ``target`` is another string, gives a sign other than +1 or -1, -1
        for the identity, or is ``"odd"`` for an element that negates only
        some features.
    TypeError
        If ``symmetry`` is not None, a `SymmetryGroup` instance or callable,
        or ``target`` is neither a string nor callable, or is a callable
        that returns no real number (an array, a complex number, a string).

    See Also
    --------
    symmetric_scoring : The dictionary of the plain, symmetric and worst-case
        scorers, for multi-metric search.
    symmetry_report : Scores per element and the predictions that change.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_symmetry import SymmetryGroup, make_symmetric_scorer
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> make_symmetric_scorer("accuracy")(clf, X, y)
    0.0
    >>> make_symmetric_scorer("accuracy", aggregate="mean")(clf, X, y)
    0.5

    Over a group: the left-right mirror of 1 x 2 images, with inversion.

    >>> G = SymmetryGroup.mirror((1, 2)) * SymmetryGroup.inversion()
    >>> [g.name for g in G]
    ['identity', 'mirror', 'invert', 'mirror*invert']
    >>> X = np.array([[2.0, 1.0], [1.0, 2.0], [-2.0, -1.0], [-1.0, -2.0]])
    >>> y = np.array([1, 1, 0, 0])
    >>> clf = LogisticRegression().fit(X, y)
    >>> make_symmetric_scorer("accuracy", symmetry=G, aggregate="min")(clf, X, y)
    0.0
    >>> make_symmetric_scorer("accuracy", symmetry=G, aggregate="mean")(clf, X, y)
    0.5

    A target that flips with the input: an odd model scores the same on
    ``-X`` against ``-y`` as on ``X`` against ``y``.

    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.array([[1.0], [2.0], [3.0]])
    >>> y = np.array([2.0, 4.1, 5.9])
    >>> reg = LinearRegression(fit_intercept=False).fit(X, y)
    >>> r2_x = reg.score(X, y)
    >>> r2_x == make_symmetric_scorer("r2", target="odd")(reg, X, y)
    True
    >>> make_symmetric_scorer("r2")(reg, X, y) < 0  # y taken as invariant
    True
    """
    if aggregate not in _AGGREGATES:
        raise ValueError(
            f"aggregate must be None, 'min' or 'mean'; got {aggregate!r}."
        )
    check_target(target)
    group = check_symmetry(symmetry)
    target_signs(group, target)  # refuse a bad target here, not at scoring
    if aggregate is None and len(group) != 2:
        raise ValueError(
            "aggregate=None scores the one transformed copy of X, but this "
            f"group has {len(group) - 1} elements besides the identity. Pass "
            "aggregate='min' (worst case) or 'mean' over the whole orbit, or one "
            "element as the symmetry (symmetry=G[k])."
        )
    return _SymmetricScorer(
        scoring, _base_scorer(scoring), symmetry, aggregate, target)


def _base_scorer(scoring):
    """The scikit-learn scorer for ``scoring``, with errors that name it."""
    if not (isinstance(scoring, str) or callable(scoring)):
        raise TypeError(
            "scoring must be a scorer name or a callable scorer(estimator, X, y); "
            f"got {scoring!r} of type {type(scoring).__name__}."
        )
    if isinstance(scoring, str) and scoring not in get_scorer_names():
        raise ValueError(_unknown_scorer_message(scoring))
    # check_scoring gives scikit-learn's own error for metric functions
    # passed where a scorer is expected.
    return check_scoring(scoring=scoring)


def symmetric_scoring(scoring="accuracy", *, symmetry=None, target="invariant"):
    """The plain, symmetric and worst-case scorers as one dictionary.

    Pass the result as ``scoring`` to `GridSearchCV` (with e.g.
    ``refit="worst_case_accuracy"``) or `cross_validate` to see every model's
    score on ``X``, on its symmetric images and the worst case side by side.

    Parameters
    ----------
    scoring : str or callable, default="accuracy"
        The base score, as in `make_symmetric_scorer`.

    symmetry : None, SymmetryGroup or callable, default=None
        The symmetry, as in `make_symmetric_scorer`: None (inversion,
        ``x -> -x``) or a function ``X -> X'``, or a group.

    target : {"invariant", "odd"} or callable, default="invariant"
        How ``y`` transforms with ``X``, as in `make_symmetric_scorer`.

    Returns
    -------
    scorers : dict
        Keyed by ``name``, which is ``scoring`` for a scorer name and
        ``"score"`` for a callable. For None or a function, three scorers:
        ``name`` (on ``X``), ``inverted_name`` (on ``-X``, or on
        ``symmetry(X)`` with the prefix ``transformed_`` for a function other
        than `invert`) and ``worst_case_name`` (the worse of the two).

        For a `SymmetryGroup` ``G``: ``name`` (on ``X``, the identity), then
        one ``name_<element>`` per other element in the order of ``G``, then
        ``worst_case_name`` and ``mean_name`` over all elements. The
        ``<element>`` is the element's name with every run of characters
        other than letters and digits replaced by ``_`` (``"rot90*invert"``
        gives ``accuracy_rot90_invert``; a name that would repeat a key gets
        the element's index appended). So every key is letters, digits and
        underscores: a valid ``refit`` string for `GridSearchCV` and a
        suffix of ``cv_results_`` columns (``mean_test_accuracy_rot90``).

    Notes
    -----
    The scorers are independent (each pickles on its own), so a search that
    uses the whole dictionary of a group of ``k`` elements makes about
    ``3 * k`` predictions per test fold: ``k`` for the per-element keys and
    ``k`` each for the worst case and the mean. When only the worst case
    matters, ``make_symmetric_scorer(..., aggregate="min")`` alone makes
    ``k``.

    See Also
    --------
    make_symmetric_scorer : One such scorer.

    Examples
    --------
    >>> from sk_symmetry import SymmetryGroup, symmetric_scoring
    >>> sorted(symmetric_scoring("f1_macro"))
    ['f1_macro', 'inverted_f1_macro', 'worst_case_f1_macro']
    >>> G = SymmetryGroup.rotations((3, 3)) * SymmetryGroup.inversion()
    >>> list(symmetric_scoring("accuracy", symmetry=G))  # doctest: +ELLIPSIS
    ['accuracy', 'accuracy_rot90', 'accuracy_invert', ..., 'accuracy_rot270_invert',
     'worst_case_accuracy', 'mean_accuracy']
    >>> sorted(symmetric_scoring("r2", target="odd"))
    ['inverted_r2', 'r2', 'worst_case_r2']
    """
    name = scoring if isinstance(scoring, str) else "score"
    group = check_symmetry(symmetry)
    if group is not symmetry:
        # Not a group but one symmetry (None, invert or a function), which
        # check_symmetry made a pair: the scores on X, on its image and the
        # worse of the two.
        prefix = "inverted_" if symmetry is None or symmetry is invert else (
            "transformed_"
        )
        return {
            name: _base_scorer(scoring),
            f"{prefix}{name}": make_symmetric_scorer(
                scoring, symmetry=symmetry, target=target),
            f"worst_case_{name}": make_symmetric_scorer(
                scoring, symmetry=symmetry, aggregate="min", target=target
            ),
        }
    return _group_scoring(scoring, name, symmetry, group, target)


def _group_scoring(scoring, name, symmetry, group, target):
    scorers = {name: _base_scorer(scoring)}
    reserved = {f"worst_case_{name}", f"mean_{name}"}
    for index, element in enumerate(group.elements[1:], start=1):
        key = f"{name}_{_identifier(element.name)}".rstrip("_")
        while key in scorers or key in reserved:
            key = f"{key}_{index}"
        # An element is a callable symmetry: the score on g(X), one predict.
        scorers[key] = make_symmetric_scorer(
            scoring, symmetry=element, target=target)
    scorers[f"worst_case_{name}"] = make_symmetric_scorer(
        scoring, symmetry=symmetry, aggregate="min", target=target
    )
    scorers[f"mean_{name}"] = make_symmetric_scorer(
        scoring, symmetry=symmetry, aggregate="mean", target=target
    )
    return scorers


def _identifier(text):
    """``"rot90*invert"`` -> ``"rot90_invert"``: letters, digits, underscores."""
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_")
