"""BiaslessMLPClassifier and MLPClassifier given the same misuse or edge case:
the same outcome, and for errors the same exception and the same words."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils.fixes import parse_version

from sk_symmetry import BiaslessMLPClassifier

rng = np.random.RandomState(0)
X = rng.normal(size=(30, 3))
y3 = np.arange(30) % 3  # three classes
y2 = np.arange(30) % 2  # two classes
y1 = np.zeros(30, dtype=int)  # one class
FIT = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=20, random_state=0)
PARTIAL = dict(hidden_layer_sizes=(5,), solver="sgd", random_state=0)


def _fitted(est):
    """What a user relies on after fitting. The predictions themselves differ
    (the models do) except with one class, where both predict that class."""
    predicted = est.predict(X)
    one_class = predicted.tolist() if len(est.classes_) == 1 else None
    return (est.classes_.tolist(), est.n_outputs_, est.out_activation_,
            set(predicted) <= set(est.classes_), one_class)


# Each case is a function of the estimator class; it either raises or returns
# what a user would look at afterwards.
CASES = {
    # outcomes that must agree
    "one class": lambda cls: _fitted(cls(**FIT).fit(X, y1)),
    "one class, string label": lambda cls: _fitted(
        cls(**FIT).fit(X, np.array(["a"] * 30))),
    "one class in partial_fit": lambda cls: _fitted(
        cls(**PARTIAL).partial_fit(X, y1, classes=[0])),
    "partial_fit y with fewer classes than classes": lambda cls: _fitted(
        cls(**PARTIAL).partial_fit(X, y1, classes=[0, 1, 2])),
    "partial_fit classes in another order": lambda cls: _fitted(
        cls(**PARTIAL).partial_fit(X, y3, classes=[0, 1, 2])
        .partial_fit(X, y3, classes=[2, 1, 0])),
    # errors that must agree
    "warm_start with new classes": lambda cls: cls(**FIT, warm_start=True)
    .fit(X, y2).fit(X, y3),
    "warm_start with fewer classes": lambda cls: cls(**FIT, warm_start=True)
    .fit(X, y3).fit(X, y2),
    "partial_fit without classes": lambda cls: cls(**PARTIAL).partial_fit(X, y3),
    "partial_fit with other classes": lambda cls: cls(**PARTIAL)
    .partial_fit(X, y3, classes=[0, 1, 2]).partial_fit(X, y3, classes=[0, 1]),
    "partial_fit y outside classes": lambda cls: cls(**PARTIAL)
    .partial_fit(X, y3, classes=[0, 1]),
    "partial_fit y outside classes later": lambda cls: cls(**PARTIAL)
    .partial_fit(X, y2, classes=[0, 1]).partial_fit(X, y3),
    "partial_fit with lbfgs": lambda cls: cls(**FIT).partial_fit(
        X, y3, classes=[0, 1, 2]),
    "partial_fit with early_stopping": lambda cls: cls(
        **PARTIAL, early_stopping=True).partial_fit(X, y3, classes=[0, 1, 2]),
    "partial_fit with fewer features": lambda cls: cls(**PARTIAL)
    .partial_fit(X, y3, classes=[0, 1, 2]).partial_fit(X[:, :2], y3),
    "hidden layer of size 0": lambda cls: cls(
        **{**FIT, "hidden_layer_sizes": (5, 0)}).fit(X, y3),
    "validation set too small": lambda cls: cls(
        **PARTIAL, early_stopping=True, validation_fraction=0.01).fit(X, y3),
    "all sample weights zero": lambda cls: cls(**FIT).fit(
        X, y3, sample_weight=np.zeros(30)),
    "regression target": lambda cls: cls(**FIT).fit(X, X[:, 0]),
    "predict before fit": lambda cls: cls(**FIT).predict(X),
}


def _outcome(cls, case):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return "returned", CASES[case](cls)
    except Exception as error:
        # The message of an error, and of the error it was raised from (an
        # AttributeError hiding partial_fit says why in its cause).
        words = [str(e) for e in (error, error.__cause__) if e is not None]
        words = [w.replace("BiaslessMLPClassifier", "MLPClassifier") for w in words]
        return type(error).__name__, words


# scikit-learn 1.6.1's MLPClassifier has neither (no sample_weight, no check
# that early stopping leaves a validation set); 1.9.1's has both, and we
# follow it on every version.
_SINCE_1_7 = {"validation set too small", "all sample weights zero"}


@pytest.mark.parametrize("case", CASES)
def test_same_outcome_and_words_as_mlpclassifier(case):
    if case in _SINCE_1_7 and parse_version(sklearn.__version__) < parse_version(
        "1.7"
    ):
        pytest.skip(f"MLPClassifier of scikit-learn 1.6 has no {case!r} check")
    ours = _outcome(BiaslessMLPClassifier, case)
    theirs = _outcome(MLPClassifier, case)
    if case == "regression target":  # both refuse; the wording differs by path
        assert ours[0] == theirs[0] == "ValueError"
        assert all("Unknown label type" in w for w in ours[1] + theirs[1])
        return
    assert ours == theirs
