"""`BaseBiaslessMLP`: what `BiaslessMLPClassifier` and `BiaslessMLPRegressor` share.

Parameters, validation, initialisation and the two fits (L-BFGS and
minibatch) on the flat parameter vector of `_mlp_math`, through the
solvers of `_mlp_solvers` and the optimisers of `_optimizers`.
"""

import contextlib
import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import unique_labels

from .._compat import (
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    check_is_fitted,
    validate_data,
)
from .._utils import ODD_ACTIVATIONS
from .._utils import threadpool_controller as _threadpool_controller
from .._utils import warn_at_user_call as _warn_at_user_call
from ._mlp_math import (
    forward,
    make_layout,
    pack,
    unpack,
)
from ._mlp_solvers import MinibatchEpoch, minimize_lbfgs
from ._optimizers import AdamOptimizer, SGDOptimizer

__all__ = ["BaseBiaslessMLP", "first_partial_fit_call"]

_STOCHASTIC_SOLVERS = ("sgd", "adam")

# Networks whose weight matrices all have at most this many entries train with
# single-threaded BLAS: their products are so thin ((n, 64) @ (64, 10) for the
# paper's model) that threads cost more than they save, several times more on
# a busy machine (measured in benchmarks/bench_mlp.py).
_SINGLE_THREAD_MAX_WEIGHTS = 10_000


# scikit-learn's MLPs raise a ValueError with this sentence when the weights
# stop being finite; ours start with it too, so that code matching on it keeps
# working, and then say what went wrong and what to change.
NON_FINITE_MESSAGE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)


def first_partial_fit_call(estimator, classes):
    """Whether this is the classifier's first `partial_fit` call, after the
    checks and words of scikit-learn's ``_check_partial_fit_first_call``:
    ``classes`` is required on the first call and, when given later, must be
    the classes of the first. Sets nothing: the caller fits the classes."""
    first_call = not hasattr(estimator, "classes_")
    if first_call and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if not first_call and classes is not None and not np.array_equal(
        estimator.classes_, unique_labels(classes)
    ):
        raise ValueError(
            f"`classes={classes!r}` is not the same as on last call to "
            f"partial_fit, was: {estimator.classes_!r}"
        )
    return first_call


def _diverged(what, hint):
    return ValueError(
        f"{NON_FINITE_MESSAGE} The optimisation diverged: {what}. {hint}"
    )


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
    def _validate_for_prediction(self, X):
        """``X`` checked for a prediction method, in C order whatever the
        input's: BLAS may sum a product in another order for a
        Fortran-ordered ``X``, so ``X`` and an F-ordered copy of ``-X`` (as
        ``X[:, perm]`` makes) would mirror each other only to rounding."""
        check_is_fitted(self)
        return validate_data(
            self, X, reset=False, accept_sparse=("csr", "csc"),
            dtype=(np.float64, np.float32), order="C",
        )

    def _output(self, X):
        """Output-layer values before the output activation."""
        intercepts = self.intercepts_ if self._layout.fit_bias else None
        return forward(X, self.coefs_, intercepts, self.activation)

    # ------------------------------------------------ what a subclass defines
    def _validate_input(self, X, y, incremental, reset):
        """``X`` and the training targets as a 2-d array (n_samples, n_outputs)."""
        raise NotImplementedError

    def _output_activation(self):
        """``"softmax"``, ``"logistic"`` (log-loss), ``"identity"`` (squared
        error) or ``"exp"`` (Poisson deviance)."""
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
        if not self.fit_bias and self.activation not in ODD_ACTIVATIONS:
            _warn_at_user_call(
                f"fit_bias=False with activation={self.activation!r}: the "
                "network has no biases but is not odd, so its output does not "
                "change sign with X (neither predict(-X) == -predict(X) of the "
                "regressor nor the mirrored predict_proba(-X) of the "
                "classifier holds). Use activation='tanh' or 'identity' for an "
                "odd network, or fit_bias=True for an ordinary MLP."
            )
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
            if self._output_activation() != self.out_activation_:
                # e.g. set_params(loss=...) between two calls: the output
                # layer, and so the loss trained, would silently stay the old
                raise ValueError(
                    "warm_start and partial_fit need the output of the previous "
                    f"fit (out_activation_={self.out_activation_!r}); the "
                    f"parameters now give {self._output_activation()!r}. Set "
                    "warm_start=False or refit from scratch."
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
            raise _diverged(
                "the weights are no longer finite",
                "Scale the input data or lower learning_rate_init.",
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
            raise _diverged(
                f"the loss became {self.loss_}", "Scale the input data."
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
            diverged = not np.isfinite(self.loss_)
            if diverged and not self.early_stopping:
                raise _diverged(
                    f"at epoch {self.n_iter_} the loss is {self.loss_}",
                    "Lower learning_rate_init or scale the data.",
                )
            self.t_ += n_samples
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")

            self._update_no_improvement_count(params, X_val, y_val, sw_val)
            if diverged:
                # As MLPRegressor since scikit-learn issue 29504: with early
                # stopping a diverging fit ends, with the weights of its best
                # validation score (restored below).
                self._warn_diverged()
                break
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

    def _warn_diverged(self):
        kept = (
            "the initial weights (no epoch had a finite validation score)"
            if self.best_validation_score_ == -np.inf
            else "the weights of the best validation score, "
            f"{self.best_validation_score_:g}"
        )
        _warn_at_user_call(
            f"The optimisation diverged at epoch {self.n_iter_} (the training "
            f"loss is {self.loss_}): early stopping ends the fit and keeps "
            f"{kept}. Lower learning_rate_init or scale the data.",
            ConvergenceWarning,
        )

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
