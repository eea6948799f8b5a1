"""`BiaslessMLPClassifier` and the base it shares with `BiaslessMLPRegressor`."""

import contextlib
import copy
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)

from .._compat import (
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from .._docstrings import fill_doc
from .._utils import threadpool_controller as _threadpool_controller
from .._utils import warn_at_user_call as _warn_at_user_call
from ._mlp_math import (
    forward,
    make_layout,
    pack,
    predict_proba_from_output,
    unpack,
)
from ._mlp_solvers import MinibatchEpoch, minimize_lbfgs
from ._optimizers import AdamOptimizer, SGDOptimizer

__all__ = ["BiaslessMLPClassifier"]

_STOCHASTIC_SOLVERS = ("sgd", "adam")

# Networks whose weight matrices all have at most this many entries train with
# single-threaded BLAS: their products are so thin ((n, 64) @ (64, 10) for the
# paper's model) that threads cost more than they save, several times more on
# a busy machine (measured in benchmarks/bench_mlp.py).
_SINGLE_THREAD_MAX_WEIGHTS = 10_000


def _blas_threads_for(layout):
    if max(a * b for a, b in layout.coef_shapes) <= _SINGLE_THREAD_MAX_WEIGHTS:
        return _threadpool_controller().limit(limits=1, user_api="blas")
    return contextlib.nullcontext()


class BaseBiaslessMLP(BaseEstimator):
    """What `BiaslessMLPClassifier` and `BiaslessMLPRegressor` share.

    Parameters, validation, initialisation, the L-BFGS and stochastic fits
    and their bookkeeping, as scikit-learn's ``BaseMultilayerPerceptron``.
    A subclass says what its targets are through five hooks:
    ``_validate_input`` (``X`` and the 2-d training targets ``Y``),
    ``_output_activation`` (the output layer and so the loss),
    ``_stratify``, ``_validation_target`` and ``_validation_score`` (early
    stopping). Not for direct use.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like", Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "fit_bias": ["boolean"],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self, hidden_layer_sizes=(10, 5), activation="tanh", *, fit_bias=False,
        solver="lbfgs", alpha=1e-4, batch_size="auto", learning_rate="constant",
        learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
        random_state=None, tol=1e-4, verbose=False, warm_start=False,
        momentum=0.9, nesterovs_momentum=True, early_stopping=False,
        validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
        n_iter_no_change=10, max_fun=15000,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.fit_bias = fit_bias
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # ------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float32 stays float32).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels or a binary indicator matrix (classifier), target
            values (regressor).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        with self._restored_on_error():
            return self._fit(X, y, sample_weight, incremental=False)

    @contextlib.contextmanager
    def _restored_on_error(self):
        """Leave the estimator as it was before a `fit` or `partial_fit` that
        raises: an unfitted one stays unfitted (no ``coefs_`` behind, so
        `predict` raises NotFittedError), and a fitted one keeps its model
        rather than NaN weights that a later `partial_fit` would resume from.

        A shallow copy of the attributes suffices except for the objects a
        call updates in place: the optimiser's state and the loss curves.
        Weights are never updated in place across calls (each call packs
        them into a new vector).
        """
        saved = dict(self.__dict__)
        for name in ("_optimizer", "loss_curve_", "validation_scores_"):
            if name in saved:
                saved[name] = copy.deepcopy(saved[name])
        try:
            yield
        except Exception:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            # MLPClassifier's words
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -------------------------------------------------------------- helpers
    def _output(self, X):
        """Output-layer values before the output activation."""
        intercepts = self.intercepts_ if self._layout.fit_bias else None
        return forward(X, self.coefs_, intercepts, self.activation)

    # ------------------------------------------------ what a subclass defines
    def _validate_input(self, X, y, incremental, reset):
        """``X`` and the training targets as a 2-d array (n_samples, n_outputs)."""
        raise NotImplementedError

    def _output_activation(self):
        """``"softmax"``, ``"logistic"`` (log-loss) or ``"identity"`` (squared
        error)."""
        raise NotImplementedError

    def _stratify(self, Y):
        """Labels that stratify the early-stopping split, or None."""
        return None

    def _validation_target(self, Y_val):
        """What `_validation_score` compares predictions with."""
        return Y_val

    def _validation_score(self, X_val, y_val, sample_weight):
        """Score of the current weights on the held-out data."""
        raise NotImplementedError

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be integers, got {sizes}.")
        if not all(s > 0 for s in sizes):  # MLPClassifier's words
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _initialize(self, layout, dtype, rng):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layout.layer_units)
        self.n_outputs_ = layout.layer_units[-1]
        self.out_activation_ = self._output_activation()
        params = np.empty(layout.n_params, dtype=dtype)
        coefs, intercepts = unpack(params, layout)
        # Glorot initialisation, drawn in MLPClassifier's order (weights, then
        # biases, layer by layer): the same seed gives the same weights.
        factor = 2.0 if self.activation == "logistic" else 6.0
        units = layout.layer_units
        for i, (fan_in, fan_out) in enumerate(zip(units[:-1], units[1:], strict=True)):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs[i][...] = rng.uniform(-bound, bound, (fan_in, fan_out))
            bias = rng.uniform(-bound, bound, fan_out)
            if intercepts is not None:
                intercepts[i][...] = bias
        if self.solver in _STOCHASTIC_SOLVERS:
            self._reset_stochastic_state()
        self._layout = layout
        return params

    def _reset_stochastic_state(self):
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _set_weights(self, params, layout):
        """Point `coefs_` and `intercepts_` at ``params``."""
        coefs, intercepts = unpack(params, layout)
        self.coefs_ = coefs
        self.intercepts_ = intercepts if intercepts is not None else [
            np.zeros(u, dtype=params.dtype) for u in layout.layer_units[1:]
        ]

    def _fit(self, X, y, sample_weight, incremental):
        hidden = self._hidden_layer_sizes()
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            # scikit-learn >= 1.7 checks this too; older ones would let the
            # mean loss divide by zero.
            if not sample_weight.any():
                raise ValueError(
                    "Sample weights must contain at least one non-zero number."
                )
            # The loss divides by this sum: inf would end the fit as NaN,
            # blamed on the data, when the weights are the problem.
            with np.errstate(over="ignore"):
                sample_weight_sum = sample_weight.sum()
            if not np.isfinite(sample_weight_sum):
                raise ValueError(
                    f"The sum of sample_weight overflows {sample_weight.dtype}: "
                    "the weights are too large (the data is not the problem). "
                    "Divide them by a common factor c, and alpha by c too to "
                    "keep the same objective (the penalty is alpha / "
                    "sum(sample_weight))."
                )
        layout = make_layout([X.shape[1], *hidden, Y.shape[1]], self.fit_bias)
        rng = check_random_state(self.random_state)
        self._random_state = rng
        if first_pass:
            params = self._initialize(layout, X.dtype, rng)
        else:
            if layout[:2] != self._layout[:2]:
                raise ValueError(
                    "warm_start and partial_fit need the architecture of the "
                    f"previous fit (layers {self._layout.layer_units}, fit_bias="
                    f"{self._layout.fit_bias}); got layers {layout.layer_units}, "
                    f"fit_bias={layout.fit_bias}."
                )
            params = pack(self.coefs_, self.intercepts_, layout, X.dtype)
        self._set_weights(params, layout)

        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
            _blas_threads_for(layout),
        ):
            if self.solver == "lbfgs":
                self._fit_lbfgs(params, X, Y, sample_weight, layout)
            else:
                self._fit_stochastic(params, X, Y, sample_weight, layout, incremental)
        if not np.isfinite(params).all():
            raise ValueError(
                "The optimisation diverged: the weights are no longer finite. "
                "Scale the input data or lower learning_rate_init."
            )
        return self

    def _loss_args(self, layout):
        return dict(
            layout=layout, activation=self.activation,
            out_activation=self.out_activation_, alpha=self.alpha,
        )

    def _fit_lbfgs(self, params, X, Y, sample_weight, layout):
        result = minimize_lbfgs(
            params, X, Y, self._loss_args(layout), sample_weight,
            self.max_iter, self.max_fun, self.tol,
        )
        self.n_iter_ = min(result.nit, self.max_iter)
        self.loss_ = float(result.fun)
        if not np.isfinite(self.loss_):
            raise ValueError(
                f"The optimisation diverged: the loss became {self.loss_}. "
                "Scale the input data."
            )
        if result.status != 0:
            _warn_at_user_call(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) "
                f"(status={result.status}): {result.message}. Increase max_iter "
                "or scale the data.",
                ConvergenceWarning,
            )

    def _fit_stochastic(self, params, X, Y, sample_weight, layout, incremental):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not incremental or not hasattr(self, "_optimizer"):
            if self.solver == "sgd":
                self._optimizer = SGDOptimizer(
                    params, self.learning_rate_init, self.learning_rate,
                    self.momentum, self.nesterovs_momentum, self.power_t,
                )
            else:
                self._optimizer = AdamOptimizer(
                    params, self.learning_rate_init, self.beta_1, self.beta_2,
                    self.epsilon,
                )
        if not hasattr(self, "loss_curve_"):  # e.g. warm start after lbfgs
            self._reset_stochastic_state()
        rng = self._random_state
        if self.early_stopping:
            stratify = self._stratify(Y)
            arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
            split = train_test_split(
                *arrays, random_state=rng, test_size=self.validation_fraction,
                stratify=stratify,
            )
            X, X_val, Y, Y_val = split[:4]
            sample_weight, sw_val = split[4:] if sample_weight is not None else (
                None, None)
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            y_val = self._validation_target(Y_val)
            self._best_params = params.copy()
        else:
            X_val = y_val = sw_val = None

        n_samples = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                _warn_at_user_call(
                    f"batch_size={self.batch_size} is larger than the "
                    f"{n_samples} samples; it is clipped."
                )
            batch_size = min(self.batch_size, n_samples)
        epoch = MinibatchEpoch(
            X, Y, sample_weight, batch_size, self._loss_args(layout)
        )
        sample_idx = np.arange(n_samples)
        optimizer = self._optimizer

        self.n_iter_ = 0  # epochs of this call, as MLPClassifier counts them
        for _ in range(self.max_iter):
            if self.shuffle:
                # the same draws as MLPClassifier's sklearn.utils.shuffle
                rng.shuffle(sample_idx)
            self.loss_ = epoch.run(
                params, optimizer, sample_idx if self.shuffle else None
            )
            self.n_iter_ += 1
            if not np.isfinite(self.loss_):
                raise ValueError(
                    f"The optimisation diverged at epoch {self.n_iter_}: the loss "
                    f"is {self.loss_}. Lower learning_rate_init or scale the data."
                )
            self.t_ += n_samples
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")

            self._update_no_improvement_count(params, X_val, y_val, sw_val)
            optimizer.iteration_ends(self.t_)
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if self.early_stopping else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={self.tol:f} for "
                    f"{self.n_iter_no_change} consecutive epochs."
                )
                if optimizer.trigger_stopping(msg, self.verbose):
                    break
                self._no_improvement_count = 0
            if incremental:
                break
            if self.n_iter_ == self.max_iter:
                _warn_at_user_call(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        if self.early_stopping:
            params[...] = self._best_params

    def _update_no_improvement_count(self, params, X_val, y_val, sw_val):
        if self.early_stopping:
            score = self._validation_score(X_val, y_val, sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params[...] = params
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]


@fill_doc(model="MLPClassifier", score="accuracy")
class BiaslessMLPClassifier(ClassifierMixin, BaseBiaslessMLP):
    """Multi-layer perceptron classifier whose biases can be switched off.

    A drop-in for `sklearn.neural_network.MLPClassifier` with one more
    parameter, ``fit_bias``. With ``fit_bias=False`` (the default) no neuron,
    hidden or output, has a bias, so with an odd activation (``"tanh"``,
    ``"identity"``) the network's logits are an odd function of the input:
    the model of Bergman (2019). With ``fit_bias=True`` it is an ordinary MLP
    trained on the same objective as `MLPClassifier`.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(10, 5)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {"identity", "logistic", "tanh", "relu"}, default="tanh"
        Activation of the hidden layers. Only ``"tanh"`` and ``"identity"``
        are odd, which the inversion identity below needs.

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
    >>> from sk_symmetry import BiaslessMLPClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(100, 4))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> clf = BiaslessMLPClassifier(random_state=0).fit(X, y)
    >>> round(clf.score(X, y), 2)
    1.0
    >>> p, p_inv = clf.predict_proba(X[:1]), clf.predict_proba(-X[:1])
    >>> bool(np.allclose(p_inv, (1 / p) / (1 / p).sum(axis=1, keepdims=True)))
    True
    """

    @available_if(BaseBiaslessMLP._check_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch of the stochastic solver over ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        classes : array-like of shape (n_classes,), default=None
            All classes over all calls; required on the first call.

        Returns
        -------
        self : object
            Updated classifier.
        """
        # The checks and words of MLPClassifier (_check_partial_fit_first_call)
        first_call = not hasattr(self, "classes_")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if not first_call and classes is not None and not np.array_equal(
            self.classes_, unique_labels(classes)
        ):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to "
                f"partial_fit, was: {self.classes_!r}"
            )
        with self._restored_on_error():
            if first_call:
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
                self.classes_ = self._label_binarizer.classes_
            return self._fit(X, y, sample_weight, incremental=True)

    @fill_doc
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        {mlp_predict_input}

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of `classes_`. For a binary target the
            two columns are ``expit(-f(x))`` and ``expit(f(x))``, each computed
            directly so that ``predict_proba(-X)`` mirrors it exactly.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32),
        )
        return self._proba_unchecked(X)

    @fill_doc
    def predict_log_proba(self, X):
        """Logarithm of `predict_proba`.

        Parameters
        ----------
        {mlp_predict_input}

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    @fill_doc
    def predict(self, X):
        """Predicted classes, the most probable ones of `predict_proba`.

        Parameters
        ----------
        {mlp_predict_input}

        Returns
        -------
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
            # MLPClassifier's words. (Unlike it, partial_fit with warm_start
            # still accepts a y holding only some of the classes.)
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
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
