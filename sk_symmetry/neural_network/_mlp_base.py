"""`BaseBiaslessMLP`: what `BiaslessMLPClassifier` and `BiaslessMLPRegressor` share.

Parameters, validation, initialisation and the two fits (L-BFGS and
minibatch) on the flat parameter vector of `_mlp_math`, through the
solvers of `_mlp_solvers` and the optimisers of `_optimizers`.
"""

import contextlib
from numbers import Integral

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .._compat import (
    Interval,
    StrOptions,
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
from ._network_base import BaseNetwork, check_network_sample_weight, store_arguments

__all__ = ["BaseBiaslessMLP"]

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


def _diverged(what, hint):
    return ValueError(
        f"{NON_FINITE_MESSAGE} The optimisation diverged: {what}. {hint}"
    )


def _blas_threads_for(layout):
    if max(a * b for a, b in layout.coef_shapes) <= _SINGLE_THREAD_MAX_WEIGHTS:
        return _threadpool_controller().limit(limits=1, user_api="blas")
    return contextlib.nullcontext()


class BaseBiaslessMLP(BaseNetwork):
    """What `BiaslessMLPClassifier` and `BiaslessMLPRegressor` share.

    The MLP's parameters, validation, initialisation and its L-BFGS and
    stochastic fits, as scikit-learn's ``BaseMultilayerPerceptron``; what
    the CNNs do the same way comes from `BaseNetwork`.
    A subclass says what its targets are through five hooks:
    ``_validate_input`` (``X`` and the 2-d training targets ``Y``),
    ``_output_activation`` (the output layer and so the loss),
    ``_stratify``, ``_validation_target`` and ``_validation_score`` (early
    stopping). Not for direct use.
    """

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "batch_size": [
            StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"),
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
        store_arguments(self, locals())

    # ------------------------------------------------------------ public API
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
            sample_weight = check_network_sample_weight(sample_weight, X)
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
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(params)
        if not hasattr(self, "loss_curve_"):  # e.g. warm start after lbfgs
            self._reset_stochastic_state()
        rng = self._random_state
        if self.early_stopping:
            (X, Y, sample_weight), (X_val, Y_val, sw_val) = self._hold_out(
                [X, Y, sample_weight], self._stratify(Y), rng, incremental
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

            score = None
            if self.early_stopping:
                score = self._validation_score(X_val, y_val, sw_val)
                if self.verbose:
                    print(f"Validation score: {score:f}")
            self._update_no_improvement_count(score, params)
            if diverged:
                # As MLPRegressor since scikit-learn issue 29504: with early
                # stopping a diverging fit ends, with the weights of its best
                # validation score (restored below).
                self._warn_diverged()
                break
            if self._end_epoch(optimizer, incremental):
                break
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
