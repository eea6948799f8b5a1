"""Scorers that score a model on the symmetric image of the test set."""

from difflib import get_close_matches
from inspect import signature

import numpy as np
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils.metadata_routing import get_routing_for_object

from ..symmetry import invert

__all__ = ["make_symmetric_scorer", "symmetric_scoring"]

_AGGREGATES = (None, "min", "mean")


class _SymmetricScorer:
    """Score ``estimator`` on ``symmetry(X)`` (or the worst case / mean with X).

    A module-level class rather than a closure so that it pickles and can be
    sent to joblib workers by `GridSearchCV(n_jobs=...)`. It deliberately does
    not subclass scikit-learn's ``_BaseScorer``: `_MultimetricScorer` caches
    predictions per response method without looking at ``X``, and would hand
    this scorer the predictions on ``X`` where it needs those on
    ``symmetry(X)``.
    """

    def __init__(self, scoring, scorer, symmetry, aggregate):
        self._scoring = scoring
        self._scorer = scorer
        self._symmetry = symmetry
        self._aggregate = aggregate

    def __call__(self, estimator, X, y_true=None, sample_weight=None, **kwargs):
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        X_sym = self._symmetry(X)
        score_sym = self._scorer(estimator, X_sym, y_true, **kwargs)
        if self._aggregate is None:
            return score_sym
        score = self._scorer(estimator, X, y_true, **kwargs)
        if self._aggregate == "min":
            # Not min(): min(0.9, nan) is 0.9, which would hide a failed score
            # on one side; np.minimum gives NaN if either side is NaN.
            return float(np.minimum(score, score_sym))
        return (score + score_sym) / 2

    def __repr__(self):
        scoring = (
            repr(self._scoring) if isinstance(self._scoring, str)
            else _name_of(self._scoring)
        )
        return (
            f"make_symmetric_scorer({scoring}, symmetry={_name_of(self._symmetry)}, "
            f"aggregate={self._aggregate!r})"
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


def make_symmetric_scorer(scoring="accuracy", *, symmetry=invert, aggregate=None):
    """Make a scorer that scores a model on the symmetric image of the data.

    With ``symmetry=invert`` the scorer answers "how well does the model do on
    the inverted test images ``-X``?", or, with ``aggregate``, the worst case
    or mean over ``X`` and ``-X`` (Bergman 2019, Sec. III).

    Parameters
    ----------
    scoring : str or callable, default="accuracy"
        The base score: any scorer name that `sklearn.metrics.get_scorer`
        knows (``"accuracy"``, ``"f1_macro"``, ``"neg_log_loss"``, ...) or a
        callable ``scorer(estimator, X, y) -> float``.

    symmetry : callable, default=invert
        The symmetry, a function ``X -> X'`` returning new data of the same
        shape and leaving ``X`` unchanged.

    aggregate : {None, "min", "mean"}, default=None
        - None: the score on ``symmetry(X)`` only.
        - ``"min"``: the worst of the scores on ``X`` and ``symmetry(X)``.
        - ``"mean"``: the mean of the two.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None) -> float``, usable as
        ``scoring`` in `GridSearchCV`, `cross_validate` and friends. It
        pickles, so it works with ``n_jobs > 1``.

    Raises
    ------
    ValueError
        If ``aggregate`` is not None, "min" or "mean", or ``scoring`` is an
        unknown name.
    TypeError
        If ``symmetry`` is not callable.

    See Also
    --------
    symmetric_scoring : The dictionary of the plain, symmetric and worst-case
        scorers, for multi-metric search.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_symmetry import make_symmetric_scorer
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> make_symmetric_scorer("accuracy")(clf, X, y)
    0.0
    >>> make_symmetric_scorer("accuracy", aggregate="mean")(clf, X, y)
    0.5
    """
    if aggregate not in _AGGREGATES:
        raise ValueError(
            f"aggregate must be None, 'min' or 'mean'; got {aggregate!r}."
        )
    if not callable(symmetry):
        raise TypeError(
            "symmetry must be a callable X -> X' (e.g. sk_symmetry.invert); "
            f"got {symmetry!r} of type {type(symmetry).__name__}."
        )
    if not (isinstance(scoring, str) or callable(scoring)):
        raise TypeError(
            "scoring must be a scorer name or a callable scorer(estimator, X, y); "
            f"got {scoring!r} of type {type(scoring).__name__}."
        )
    if isinstance(scoring, str) and scoring not in get_scorer_names():
        raise ValueError(_unknown_scorer_message(scoring))
    # check_scoring gives scikit-learn's own error for metric functions
    # passed where a scorer is expected.
    scorer = check_scoring(scoring=scoring)
    return _SymmetricScorer(scoring, scorer, symmetry, aggregate)


def symmetric_scoring(scoring="accuracy", *, symmetry=invert):
    """The plain, symmetric and worst-case scorers as one dictionary.

    Pass the result as ``scoring`` to `GridSearchCV` (with e.g.
    ``refit="worst_case_accuracy"``) or `cross_validate` to see every model's
    score on ``X``, on ``symmetry(X)`` and the worse of the two side by side.

    Parameters
    ----------
    scoring : str or callable, default="accuracy"
        The base score, as in `make_symmetric_scorer`.

    symmetry : callable, default=invert
        The symmetry ``X -> X'``.

    Returns
    -------
    scorers : dict
        Three scorers keyed ``name``, ``inverted_name`` and
        ``worst_case_name``, where ``name`` is ``scoring`` for a scorer name
        and ``"score"`` for a callable. When ``symmetry`` is not `invert`,
        the prefix ``transformed_`` replaces ``inverted_``.

    See Also
    --------
    make_symmetric_scorer : One such scorer.

    Examples
    --------
    >>> from sk_symmetry import symmetric_scoring
    >>> sorted(symmetric_scoring("f1_macro"))
    ['f1_macro', 'inverted_f1_macro', 'worst_case_f1_macro']
    """
    name = scoring if isinstance(scoring, str) else "score"
    prefix = "inverted_" if symmetry is invert else "transformed_"
    symmetric = make_symmetric_scorer(scoring, symmetry=symmetry)
    return {
        name: check_scoring(scoring=scoring),
        f"{prefix}{name}": symmetric,
        f"worst_case_{name}": make_symmetric_scorer(
            scoring, symmetry=symmetry, aggregate="min"
        ),
    }
