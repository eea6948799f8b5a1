"""What every network estimator shares, the MLPs and the CNNs alike.

`BaseNetwork`: the training parameters and their constraints, `fit`, the
rollback of a call that raises, and the bookkeeping of a stochastic fit (the
optimiser, the early-stopping split, the no-improvement count, the end of an
epoch). `NetworkClassifierMixin` and `NetworkRegressorMixin`: `partial_fit`
and what else a classifier or a regressor does the same way in both families.
"""

import contextlib
import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import unique_labels

from .._compat import Interval, Options, StrOptions, _check_sample_weight, _fit_context
from .._docstrings import fill_doc
from .._utils import warn_at_user_call as _warn_at_user_call
from ._optimizers import AdamOptimizer, SGDOptimizer

__all__ = [
    "BaseNetwork", "NetworkClassifierMixin", "NetworkRegressorMixin",
    "check_network_sample_weight", "store_arguments",
]


def store_arguments(estimator, arguments):
    """The body of an `__init__`: each argument (``locals()`` at its start)
    stored unchanged under its own name, as scikit-learn requires."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def check_network_sample_weight(sample_weight, X):
    """``sample_weight`` as a non-negative array in ``X``'s dtype, not all
    zero (the mean loss divides by its sum)."""
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=X.dtype, ensure_non_negative=True
    )
    # scikit-learn >= 1.7 checks this too; older ones would let the mean loss
    # divide by zero.
    if not sample_weight.any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


def _partial_fit_available(estimator):
    # through the instance, so that each family's `_check_solver` answers
    return estimator._check_solver()


class BaseNetwork(BaseEstimator):
    """Training parameters, `fit` and the stochastic fit's bookkeeping.

    A subclass defines ``_fit(X, y, sample_weight, incremental)`` and
    ``_check_solver`` (whether `partial_fit` exists), and adds its own
    parameters to `_parameter_constraints`. Not for direct use.
    """

    # The parameters of scikit-learn's MLPs that every network takes with the
    # same meaning and range.
    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like", Interval(Integral, 1, None, closed="left"),
        ],
        "fit_bias": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="left")],
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
    }

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y``.

        {network_fit_parameters}
        """
        return self._guarded_fit(X, y, sample_weight, incremental=False)

    def _guarded_fit(self, X, y, sample_weight, incremental):
        """`_fit`, leaving the estimator as it was if it raises."""
        with self._restored_on_error():
            return self._fit(X, y, sample_weight, incremental)

    @contextlib.contextmanager
    def _restored_on_error(self):
        """Leave the estimator as it was before a `fit` or `partial_fit` that
        raises: an unfitted one stays unfitted (no weights behind, so the
        prediction methods raise NotFittedError), and a fitted one keeps its
        model rather than NaN weights that a later `partial_fit` would resume
        from.

        A shallow copy of the attributes suffices except for the objects a
        call updates in place: the optimiser's state, the loss curves and
        the CNN's parameter vector (the MLP packs its weights into a new
        vector at each call).
        """
        saved = dict(self.__dict__)
        for name in ("_optimizer", "loss_curve_", "validation_scores_", "_params"):
            if name in saved:
                saved[name] = copy.deepcopy(saved[name])
        try:
            yield
        except Exception:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    # ------------------------------------------- the stochastic fit's pieces
    def _make_optimizer(self, params):
        """The optimiser of ``solver`` ("sgd" or "adam"), updating ``params``."""
        if self.solver == "sgd":
            return SGDOptimizer(
                params, self.learning_rate_init, self.learning_rate,
                self.momentum, self.nesterovs_momentum, self.power_t,
            )
        return AdamOptimizer(
            params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon,
        )

    def _reset_stochastic_state(self):
        """A new loss curve and stopping state, as scikit-learn's MLPs start."""
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

    def _hold_out(self, arrays, stratify, rng, incremental):
        """The early-stopping split of ``arrays`` (None stays None in both
        parts): the training parts and the held-out parts, as two lists.

        `partial_fit` refuses early stopping, as scikit-learn's MLPs do: one
        epoch on a new batch has nothing to hold out from the batches before.
        """
        if incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.validation_scores_ is None:
            # A warm start with early stopping after a fit without it: the
            # validation scores start here (the loss curve goes on).
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
        parts = iter(train_test_split(
            *(a for a in arrays if a is not None), random_state=rng,
            test_size=self.validation_fraction, stratify=stratify,
        ))
        train, held_out = [], []
        for a in arrays:
            train.append(None if a is None else next(parts))
            held_out.append(None if a is None else next(parts))
        if held_out[0].shape[0] < 2:  # MLPClassifier's words
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return train, held_out

    def _update_no_improvement_count(self, score, params):
        """Count an epoch without progress: of the held-out ``score`` with
        early stopping (keeping the best weights), else of the training loss
        (``score`` None)."""
        if score is not None:
            self.validation_scores_.append(score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params[...] = params
        else:
            # None after a fit with early stopping that warm_start continues
            # without it
            best = np.inf if self.best_loss_ is None else self.best_loss_
            if self.loss_curve_[-1] > best - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(best, self.loss_curve_[-1])

    def _end_epoch(self, optimizer, incremental):
        """The end of an epoch whose loss and score are recorded: the
        schedule's step, the stopping rule, the warning at ``max_iter``.
        Whether the fit stops here."""
        optimizer.iteration_ends(self.t_)
        if self._no_improvement_count > self.n_iter_no_change:
            what = "Validation score" if self.early_stopping else "Training loss"
            msg = (
                f"{what} did not improve more than tol={self.tol:f} for "
                f"{self.n_iter_no_change} consecutive epochs."
            )
            if optimizer.trigger_stopping(msg, self.verbose):
                return True
            self._no_improvement_count = 0
        if incremental:
            return True
        if self.n_iter_ == self.max_iter:
            _warn_at_user_call(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        return False


class NetworkClassifierMixin:
    """`partial_fit` and `predict_log_proba` of the network classifiers.

    The class defines `predict_proba`.
    """

    @available_if(_partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch of the stochastic solver over ``X`` and ``y``.

        {network_classifier_partial_fit_parameters}
        """
        # After the checks and words of scikit-learn's
        # _check_partial_fit_first_call.
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
                self._set_partial_fit_classes(y, classes)
            return self._fit(X, y, sample_weight, incremental=True)

    def _set_partial_fit_classes(self, y, classes):
        """Set ``classes_`` on the first `partial_fit` call."""
        self.classes_ = unique_labels(classes)

    def _check_known_classes(self, y, incremental):
        """Raise unless ``y`` holds only known classes (all of them for a
        warm start), in the words of scikit-learn's MLPClassifier."""
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

    def predict_log_proba(self, X):
        """Logarithm of `predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data, as `predict_proba` takes it.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)


class NetworkRegressorMixin:
    """`partial_fit` of the network regressors."""

    @available_if(_partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of the stochastic solver over ``X`` and ``y``.

        {network_regressor_partial_fit_parameters}
        """
        return self._guarded_fit(X, y, sample_weight, incremental=True)
