"""`BiaslessMLPClassifier`: an MLP classifier whose biases can be switched off."""

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from .._compat import validate_data
from .._docstrings import fill_doc
from ._mlp_base import BaseBiaslessMLP
from ._mlp_math import predict_proba_from_output
from ._network_base import NetworkClassifierMixin

__all__ = ["BiaslessMLPClassifier"]


@fill_doc(model="MLPClassifier", score="accuracy")
class BiaslessMLPClassifier(ClassifierMixin, NetworkClassifierMixin, BaseBiaslessMLP):
    """Multi-layer perceptron classifier whose biases can be switched off.

    A drop-in for `sklearn.neural_network.MLPClassifier` with one more
    parameter, ``fit_bias``. With ``fit_bias=False`` (the default) no neuron,
    hidden or output, has a bias, so with an odd activation (``"tanh"``,
    ``"identity"``) the network's logits are an odd function of the input:
    the model of Bergman (2019). With ``fit_bias=True`` it is an ordinary MLP
    trained on the same objective as `MLPClassifier`.

    Parameters
    ----------
    {mlp_layer_parameters}

    fit_bias : bool, default=False
        Whether every hidden and output neuron has a bias. False gives the
        paper's biasless network; True an ordinary MLP.

    {mlp_solver_parameters}

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the early-stopping split and the shuffling.
        Weights are drawn exactly as `MLPClassifier` draws them (biases are
        drawn and dropped when ``fit_bias=False``), so the same seed gives the
        same initial weights.

    {mlp_stopping_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coefs_ : list of ndarray of shape (n_layers - 1,)
        Weight matrix of each layer.

    intercepts_ : list of ndarray of shape (n_layers - 1,)
        Bias vector of each layer. All zeros when ``fit_bias=False``, so code
        written for `MLPClassifier` keeps working; they are not used then.

    loss_ : float
        Objective at the end of fitting.

    best_loss_ : float or None
        Lowest training loss seen (stochastic solvers without early stopping;
        None with early stopping; not set for ``"lbfgs"``, as in
        `MLPClassifier`).

    {mlp_training_attributes}

    n_outputs_ : int
        Number of output units (1 for a binary target).

    out_activation_ : str
        ``"softmax"`` for multiclass targets, else ``"logistic"``.

    {input_feature_attributes}

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The same model, always with biases.
    InversionInvariantTransformer : Features that make any model invariant
        under ``x -> -x``.

    Notes
    -----
    With ``fit_bias=False`` and an odd activation the logits satisfy
    ``f(-x) = -f(x)`` exactly, hence ``predict_proba(-X)`` equals
    ``1 / predict_proba(X)`` renormalised per row, the most probable class of
    ``-x`` is the least probable of ``x``, and ``score(X) + score(-X) <= 1``
    for every data set (Bergman 2019, Sec. II.B). The one exception is a row
    whose probabilities are all equal (e.g. ``x = 0``), which predicts
    ``classes_[0]`` for both ``x`` and ``-x``.

    As with `MLPClassifier`, ``y`` may hold a single class: that class is then
    always predicted, with a `predict_proba` of one column of ones. A `fit`
    or `partial_fit` that raises leaves the estimator as it was before the
    call (unfitted, or with its previous model).

    Float32 input is trained in float32 (L-BFGS still keeps its own state in
    float64). Sparse input (CSR or CSC) is accepted for fitting and prediction.

    Small networks (every weight matrix at most 10,000 entries) are trained
    with single-threaded BLAS: their matrix products are too thin to gain
    from threads.

    {references}

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import BiaslessMLPClassifier, make_symmetric_scorer
    >>> X = np.random.RandomState(0).uniform(-1, 1, size=(100, 4))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> clf = BiaslessMLPClassifier(random_state=0).fit(X, y)
    >>> round(clf.score(X, y), 2)
    1.0

    On the inverted data the odd network is as wrong as it was right
    (``score(X) + score(-X) <= 1``):

    >>> round(make_symmetric_scorer("accuracy")(clf, X, y), 2)
    0.0
    >>> p, p_inv = clf.predict_proba(X[:1]), clf.predict_proba(-X[:1])
    >>> bool(np.allclose(p_inv, (1 / p) / (1 / p).sum(axis=1, keepdims=True)))
    True
    """

    @fill_doc
    def predict_proba(self, X):
        """Class probabilities.

        {mlp_predict_parameters}
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of `classes_`. For a binary target the
            two columns are ``expit(-f(x))`` and ``expit(f(x))``, each computed
            directly so that ``predict_proba(-X)`` mirrors it exactly.
        """
        return self._proba_unchecked(self._validate_for_prediction(X))

    @fill_doc
    def predict(self, X):
        """Predicted classes, the most probable ones of `predict_proba`.

        {mlp_predict_parameters}
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        return self._predict_from_proba(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # -------------------------------------------------------------- helpers
    def _proba_unchecked(self, X):
        if len(self.classes_) == 1:
            # One class is certain. (MLPClassifier returns two columns here,
            # which do not match its classes_.)
            return np.ones((X.shape[0], 1), dtype=X.dtype)
        logits = self._output(X)
        if self.n_outputs_ == 1:
            z = logits[:, 0]
            return np.column_stack([expit(-z), expit(z)])
        return predict_proba_from_output(logits, self.out_activation_)

    def _set_partial_fit_classes(self, y, classes):
        self._label_binarizer = LabelBinarizer()
        if type_of_target(y).startswith("multilabel"):
            self._label_binarizer.fit(y)
        else:
            self._label_binarizer.fit(classes)
        self.classes_ = self._label_binarizer.classes_

    def _predict_from_proba(self, proba):
        if self._label_binarizer.y_type_.startswith("multilabel"):
            return self._label_binarizer.inverse_transform(proba)
        return self.classes_[np.argmax(proba, axis=1)]

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self, X, y, multi_output=True, accept_sparse="csr",
            dtype=(np.float64, np.float32), reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            # (Unlike MLPClassifier, partial_fit with warm_start still accepts
            # a y holding only some of the classes.)
            self._check_known_classes(y, incremental)
        return X, self._indicator(y)

    def _indicator(self, y):
        """Boolean targets of shape (n_samples, n_outputs), as MLPClassifier's.

        Built directly rather than by ``LabelBinarizer.transform``, whose
        int64 intermediate would be the largest array of a minibatch fit.
        """
        lb = self._label_binarizer
        if lb.y_type_.startswith("multilabel"):
            return lb.transform(y).astype(bool)
        index = np.searchsorted(self.classes_, y)
        if len(self.classes_) <= 2:
            # One output; for a single class it is 0 for every sample, the
            # target LabelBinarizer (and so MLPClassifier) trains on.
            return (index == 1)[:, None]
        Y = np.zeros((len(y), len(self.classes_)), dtype=bool)
        Y[np.arange(len(y)), index] = True
        return Y

    def _output_activation(self):
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        return "softmax" if multiclass else "logistic"

    def _stratify(self, Y):
        # as MLPClassifier: stratify binary targets only
        return Y if self.n_outputs_ == 1 else None

    def _validation_target(self, Y_val):
        return self._label_binarizer.inverse_transform(Y_val)

    def _validation_score(self, X_val, y_val, sample_weight):
        y_pred = self._predict_from_proba(self._proba_unchecked(X_val))
        return accuracy_score(y_val, y_pred, sample_weight=sample_weight)
