"""What `InvariantCNNClassifier` and `InvariantCNNRegressor` share: parameters,
validation, the orbit, the stochastic fit and its bookkeeping."""

import contextlib
import copy
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from .._compat import (
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from .._utils import NETWORK_BLOCK_BYTES as _BLOCK_BYTES
from .._utils import warn_at_user_call as _warn_at_user_call
from ..symmetry import check_symmetry
from ..symmetry._internal import (
    as_arrays,
    negation_pairs,
    orbit_order,
    signed_permutations,
)
from ._cnn_math import (
    Workspace,
    forward,
    init_params,
    loss_and_gradient,
    make_architecture,
    orbit_stack,
    orbit_weights,
    unpack,
)
from ._optimizers import AdamOptimizer, SGDOptimizer

__all__ = ["BaseInvariantCNN"]

# Prediction runs the orbits of NETWORK_BLOCK_BYTES' worth of activations at
# once: memory stays bounded whatever the number of rows or the group's size.


class BaseInvariantCNN(BaseEstimator):
    """Parameters, fit and prediction of the invariant networks.

    A subclass defines ``_prepare_targets`` (``y`` as the 2-d float matrix
    the loss compares outputs with), ``_loss``, ``_element_signs`` (None, or
    the sign each group element gives the output), ``_stratify`` and
    ``_validation_score``. Not for direct use.
    """

    _parameter_constraints: dict = {
        "symmetry": "no_validation",  # signed_permutations checks it
        "image_shape": [None, tuple, list, Interval(Integral, 1, None, closed="left")],
        "conv_channels": ["array-like", Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "dilation": [Interval(Integral, 1, None, closed="left")],
        "padding": [StrOptions({"same", "valid", "wrap"})],
        "spatial_pooling": [StrOptions({"max", "mean", "none"})],
        "global_pooling": [StrOptions({"max", "mean", "flatten"})],
        "group_pooling": [StrOptions({"max", "mean"})],
        "even_first_layer": [StrOptions({"auto"}), "boolean"],
        "hidden_layer_sizes": [
            "array-like", Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"relu", "tanh"})],
        "fit_bias": ["boolean"],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
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
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    def __init__(
        self, symmetry=None, *, image_shape=None, conv_channels=(8, 16, 32, 32),
        kernel_size=3, dilation=1, padding="same", spatial_pooling="max",
        global_pooling="flatten", group_pooling="max", even_first_layer="auto",
        hidden_layer_sizes=(64,), activation="relu", fit_bias=True,
        solver="adam", alpha=1e-4, batch_size=32, learning_rate="constant",
        learning_rate_init=1e-3, power_t=0.5, max_iter=15, shuffle=True,
        random_state=None, tol=1e-4, verbose=False, warm_start=False,
        momentum=0.9, nesterovs_momentum=True, early_stopping=False,
        validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
        n_iter_no_change=10, dtype="float32",
    ):
        self.symmetry = symmetry
        self.image_shape = image_shape
        self.conv_channels = conv_channels
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.spatial_pooling = spatial_pooling
        self.global_pooling = global_pooling
        self.group_pooling = group_pooling
        self.even_first_layer = even_first_layer
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
        self.dtype = dtype

    # ------------------------------------------------------------ public API
    @property
    def conv_kernels_(self):
        """Kernel of each convolution, ``(kernel_h, kernel_w, in_channels,
        out_channels)``: views into the parameter vector."""
        check_is_fitted(self)
        conv_w = unpack(self._params, self._arch)[0]
        return [W.reshape(spec) for W, spec in zip(conv_w, self._arch.conv,
                                                   strict=True)]

    @property
    def coefs_(self):
        """Weight matrix of each dense layer (views)."""
        check_is_fitted(self)
        return unpack(self._params, self._arch)[1]

    @property
    def intercepts_(self):
        """Biases of each convolution, then of each dense layer (views); None
        without ``fit_bias``."""
        check_is_fitted(self)
        _, _, conv_b, dense_b = unpack(self._params, self._arch)
        return None if conv_b is None else conv_b + dense_b

    def _poor_score(self):
        """Whether scikit-learn's checks may not expect a good fit: their
        data have no symmetry, and a network that cannot tell ``x`` from
        ``g x`` cannot fit what the group mixes."""
        try:
            return len(check_symmetry(self.symmetry)) != 1
        except (TypeError, ValueError):  # fit names a bad symmetry
            return True

    def _check_solver(self):
        return True  # both solvers are stochastic: partial_fit always exists

    # -------------------------------------------------------------- the orbit
    def _setup(self, n_features, dtype):
        """Image shape, group arrays and architecture for ``n_features``."""
        shape = self.image_shape
        if shape is None:
            shape = (1, n_features)
        elif isinstance(shape, Integral):
            shape = (1, int(shape))
        shape = tuple(shape)
        if len(shape) == 1:
            shape = (1, shape[0])
        if len(shape) != 2 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0
            for s in shape
        ):
            raise ValueError(
                "image_shape must be (height, width) or (length,) of positive "
                f"integers; got {self.image_shape!r}."
            )
        shape = (int(shape[0]), int(shape[1]))
        if shape[0] * shape[1] != n_features:
            raise ValueError(
                f"image_shape={self.image_shape!r} holds {shape[0] * shape[1]} "
                f"pixels but X has {n_features} features per row."
            )
        group = signed_permutations(self.symmetry, n_features)
        if group.n_features is None:  # SymmetryGroup([]): the identity alone
            perms = np.arange(n_features)[None]
            signs = np.ones((1, n_features), dtype)
        else:
            perms, signs = as_arrays(group, dtype)
        element_signs = self._element_signs(group, perms, signs)
        even = self.even_first_layer
        if element_signs is not None:
            if even is True:
                raise ValueError(
                    "even_first_layer=True makes the network even in x, which "
                    "an output that changes sign under the group cannot be; "
                    "use even_first_layer=False or 'auto'."
                )
            even, pairs = False, None
        else:
            pairs = negation_pairs(perms, signs)
            if even == "auto":
                even = pairs is not None
            if not even:
                pairs = None
        conv_channels = self.conv_channels
        if isinstance(conv_channels, Integral):
            conv_channels = [conv_channels]
        conv_channels = [int(c) for c in conv_channels]
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        for name, values in (("conv_channels", conv_channels),
                             ("hidden_layer_sizes", hidden)):
            if not all(isinstance(v, Integral) and not isinstance(v, bool)
                       and v > 0 for v in values):
                raise ValueError(f"{name} must be positive integers; got {values}.")
        if not conv_channels:
            raise ValueError("conv_channels must hold at least one convolution.")
        group_pooling = "signed" if element_signs is not None else self.group_pooling
        arch = make_architecture(
            shape, conv_channels, self.kernel_size, self.dilation, self.padding,
            self.spatial_pooling, self.global_pooling, hidden, self._n_outputs,
            group_pooling, self.activation, even, self.fit_bias,
        )
        return arch, (perms, signs, pairs, element_signs)

    def _orbit(self, X, group):
        """Each row's images in an order set by the data, stacked, and the
        output signs of the signed pooling (or None)."""
        perms, signs, pairs, element_signs = group
        order = orbit_order(X, perms, signs, pairs)
        stack = orbit_stack(X, perms, signs, order)
        weights = None
        if element_signs is not None:
            weights = orbit_weights(stack, element_signs[order].astype(X.dtype))
        return stack, weights

    def _raw_output(self, X):
        """Network outputs for validated rows, by blocks of rows."""
        arch, group = self._arch, self._group
        m = len(group[0]) if group[2] is None else len(group[2])
        rows = max(1, _BLOCK_BYTES // (m * _image_bytes(arch, X.itemsize)))
        outputs = []
        for start in range(0, X.shape[0], rows):
            block = X[start:start + rows]
            stack, weights = self._orbit(block, group)
            outputs.append(forward(self._params, arch, stack, len(block),
                                   weights=weights)[0])
        if not outputs:
            return np.empty((0, arch.dense[-1][1]), self._params.dtype)
        return np.concatenate(outputs)

    def _validate_X(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return X.astype(self.dtype, copy=False)

    # ------------------------------------------------------------------- fit
    @contextlib.contextmanager
    def _restored_on_error(self):
        """Leave the estimator as it was before a fit that raises."""
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

    def _fit(self, X, y, sample_weight, incremental):
        first_pass = not hasattr(self, "_params") or (
            not self.warm_start and not incremental
        )
        X, y = validate_data(self, X, y, reset=first_pass,
                             dtype=(np.float64, np.float32), y_numeric=self._y_numeric,
                             multi_output=self._multi_output)
        X = X.astype(self.dtype, copy=False)
        Y = self._prepare_targets(y, incremental, first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
            if not sample_weight.any():
                raise ValueError(
                    "Sample weights must contain at least one non-zero number."
                )
        arch, group = self._setup(X.shape[1], X.dtype)
        rng = check_random_state(self.random_state)
        if first_pass:
            self._params = init_params(arch, X.dtype, rng)
            self._arch, self._group = arch, group
            self.n_iter_ = 0
            self.t_ = 0
            self._reset_stochastic_state()
        elif arch != self._arch:
            raise ValueError(
                "warm_start and partial_fit need the architecture of the "
                f"previous fit; it changed from {self._arch} to {arch}."
            )
        self.n_orbit_images_ = len(group[0]) if group[2] is None else len(group[2])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._fit_stochastic(X, Y, y, sample_weight, rng, incremental)
        if not np.isfinite(self._params).all():
            raise ValueError(
                "The optimisation diverged: the weights are no longer finite. "
                "Scale the input data or lower learning_rate_init."
            )
        return self

    def _reset_stochastic_state(self):
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.solver == "adam":
            self._optimizer = AdamOptimizer(
                self._params, self.learning_rate_init, self.beta_1, self.beta_2,
                self.epsilon,
            )
        else:
            self._optimizer = SGDOptimizer(
                self._params, self.learning_rate_init, self.learning_rate,
                self.momentum, self.nesterovs_momentum, self.power_t,
            )
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _fit_stochastic(self, X, Y, y, sample_weight, rng, incremental):
        params, arch, group = self._params, self._arch, self._group
        early_stopping = self.early_stopping and not incremental
        val = None
        if early_stopping:
            stratify = self._stratify(y)
            parts = train_test_split(
                X, Y, y, *([] if sample_weight is None else [sample_weight]),
                random_state=rng, test_size=self.validation_fraction,
                stratify=stratify,
            )
            X, X_val, Y, _, _, y_val = parts[:6]
            sw_val = None
            if sample_weight is not None:
                sample_weight, sw_val = parts[6], parts[7]
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small; increase "
                    "validation_fraction or the size of the data."
                )
            val = (X_val, y_val, sw_val)
            self._best_params = params.copy()
        n_samples = X.shape[0]
        batch_size = min(self.batch_size, n_samples)
        # The orbit of every row, once: its order depends only on the row.
        stack, weights = self._orbit(X, group)
        m = stack.shape[0] // n_samples
        stack = stack.reshape(n_samples, m, -1)
        if weights is not None:
            weights = weights.reshape(n_samples, m)
        grad = np.empty_like(params)
        workspace = Workspace()  # the steps' arrays, reused from step to step
        index = np.arange(n_samples)
        optimizer = self._optimizer
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            start_time = time.perf_counter()
            if self.shuffle:
                rng.shuffle(index)
            total = 0.0
            for start in range(0, n_samples, batch_size):
                rows = index[start:start + batch_size]
                sw = None if sample_weight is None else sample_weight[rows]
                if sw is not None and not sw.any():
                    continue
                w_b = None if weights is None else weights[rows].reshape(-1)
                loss, _ = loss_and_gradient(
                    params, arch, stack[rows].reshape(len(rows) * m, -1), Y[rows],
                    self._loss, self.alpha, sw, grad, weights=w_b,
                    workspace=workspace,
                )
                total += loss * len(rows)
                optimizer.step(params, grad)
            self.loss_ = total / n_samples
            self.n_iter_ += 1
            self.t_ += n_samples
            if not np.isfinite(self.loss_):
                raise ValueError(
                    f"The optimisation diverged at epoch {self.n_iter_}: the loss "
                    f"is {self.loss_}. Lower learning_rate_init or scale the data."
                )
            self.loss_curve_.append(self.loss_)
            self._update_no_improvement_count(val)
            if self.verbose:
                line = f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}"
                if val is not None:
                    line += f", validation score = {self.validation_scores_[-1]:.6f}"
                print(line + f", {time.perf_counter() - start_time:.1f} s")
            optimizer.iteration_ends(self.t_)
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if early_stopping else "Training loss"
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
        if early_stopping:
            params[...] = self._best_params
            del self._best_params

    def _update_no_improvement_count(self, val):
        if val is not None:
            score = self._validation_score(*val)
            self.validation_scores_.append(score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params[...] = self._params
        else:
            # partial_fit holds nothing out even with early_stopping set
            best = np.inf if self.best_loss_ is None else self.best_loss_
            if self.loss_curve_[-1] > best - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(best, self.loss_curve_[-1])


def _image_bytes(arch, itemsize):
    """Bytes one image of the orbit takes in the largest layer (its receptive
    fields and outputs), for sizing blocks."""
    h, w = arch.image_shape
    largest = 1
    for (kh, kw, c, o), pad, pool in zip(arch.conv, arch.pads, arch.pool,
                                         strict=True):
        h = h + pad[0] + pad[1] - arch.dilation * (kh - 1)
        w = w + pad[2] + pad[3] - arch.dilation * (kw - 1)
        largest = max(largest, h * w * (kh * kw * c + 2 * o))
        if pool is not None:
            h, w = h // pool[0], w // pool[1]
    return largest * itemsize


# The parameters both estimators share, documented once (``{cnn_parameters}``
# in their docstrings).
CNN_PARAMETERS = """\
symmetry : SymmetryGroup or None, default=None
    The group under which predictions are exactly invariant: any finite
    group of signed permutations of the pixels (`SymmetryGroup.dihedral`,
    `SymmetryGroup.translations`, `SymmetryGroup.inversion`, products of
    them with ``*``). None means inversion ``x -> -x``, as elsewhere in
    the library; ``SymmetryGroup([])`` is no symmetry at all.

image_shape : tuple (height, width) or (length,), default=None
    How a row of ``n_features`` values is read as an image (one channel);
    1-d signals as ``(length,)`` or ``(1, length)``. None reads each row
    as a 1-d signal.

conv_channels : array-like of int, default=(8, 16, 32, 32)
    Output channels of each convolution; the trunk's depth.

kernel_size : int, default=3
    Side of the square kernels (length 1 along an axis of length 1).

dilation : int, default=1
    Spacing of the kernel taps.

padding : {"same", "valid", "wrap"}, default="same"
    Zero padding keeping the size, no padding, or periodic padding (rings
    and tori, where translations are cyclic).

spatial_pooling : {"max", "mean", "none"}, default="max"
    The 2 x 2 pooling after every convolution but the last (1 x 2 or 2 x 1
    along an axis of length 1; an odd size loses its last row or column).

global_pooling : {"flatten", "mean", "max"}, default="flatten"
    How the last convolution's feature maps become the features pooled
    over the orbit: all of them as they are, or their mean or maximum over
    positions. The trunk need not be invariant itself (the pooling over the
    orbit makes the network so), and "flatten" learned fastest: on 2,000
    digits without a group, 5 epochs, 0.964 validation accuracy against
    0.886 for "max" and 0.694 for "mean".

group_pooling : {"max", "mean"}, default="max"
    Pooling of the trunk's features over each row's orbit, before the
    dense head. Both are exact: the orbit is visited in an order set by
    the data.

even_first_layer : "auto" or bool, default="auto"
    Replace the first convolution's ``w * x`` by ``|w * x|`` (before its
    bias and activation), which makes the network even in ``x``. Then a
    group holding ``-g`` for each ``g`` (any group times inversion) needs
    one image per pair ``{v, -v}``: half the orbit, and the features of
    ``x`` and ``-x`` are not averaged away. "auto" does so exactly when the
    group holds those pairs.

hidden_layer_sizes : array-like of int, default=(64,)
    Widths of the dense head's hidden layers.

activation : {"relu", "tanh"}, default="relu"
    Activation of the convolutions and hidden layers.

fit_bias : bool, default=True
    Whether convolutions and dense layers have biases.

solver : {"adam", "sgd"}, default="adam"
    The stochastic optimiser, as in `sklearn.neural_network.MLPClassifier`.

alpha : float, default=1e-4
    L2 penalty on the weights (not the biases), divided by the sum of the
    sample weights of each minibatch.

batch_size : int, default=32
    Rows per minibatch; each brings its whole orbit.

learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
    Schedule of the ``"sgd"`` solver.

learning_rate_init : float, default=1e-3
    Initial step size.

power_t : float, default=0.5
    Exponent of the ``"invscaling"`` schedule.

max_iter : int, default=15
    Maximum number of epochs.

shuffle : bool, default=True
    Whether to shuffle the rows before each epoch.

random_state : int, RandomState instance or None, default=None
    Seeds the initial weights, the early-stopping split and the shuffling.

tol : float, default=1e-4
    Improvement of the loss (or validation score) that counts as progress.

verbose : bool, default=False
    Print the loss (and validation score) and time of each epoch.

warm_start : bool, default=False
    Start `fit` from the previous weights.

momentum : float, default=0.9
    Momentum of ``"sgd"``.

nesterovs_momentum : bool, default=True
    Whether ``"sgd"`` uses Nesterov's momentum.

early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the rows (stratified for a
    classifier) and keep the weights of the best validation score.

validation_fraction : float, default=0.1
    Share of the rows held out for early stopping.

beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
    Parameters of ``"adam"``.

n_iter_no_change : int, default=10
    Epochs without an improvement of ``tol`` before stopping.

dtype : {"float32", "float64"}, default="float32"
    Precision of the computation, whatever the input's dtype."""


def fill_cnn_doc(cls):
    """Put `CNN_PARAMETERS`, indented, in place of ``{cnn_parameters}``."""
    indent = " " * 4
    text = "\n".join(
        indent + line if line else line for line in CNN_PARAMETERS.splitlines()
    )
    cls.__doc__ = cls.__doc__.replace(indent + "{cnn_parameters}", text)
    return cls
