"""What `InvariantCNNClassifier` and `InvariantCNNRegressor` share: parameters,
validation, the orbit, the stochastic fit and its bookkeeping."""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from .._compat import Interval, StrOptions, check_is_fitted, validate_data
from .._utils import NETWORK_BLOCK_BYTES as _BLOCK_BYTES
from ..symmetry import check_symmetry
from ..symmetry._internal import (
    as_arrays,
    negation_pairs,
    orbit_order,
    signed_permutations,
)
from ._cnn_layers import Workspace
from ._cnn_math import (
    forward,
    init_params,
    loss_and_gradient,
    make_architecture,
    orbit_stack,
    orbit_weights,
    unpack,
)
from ._gcnn_math import GroupArchitecture, make_group_architecture
from ._gcnn_math import loss_and_gradient as group_loss_and_gradient
from ._gcnn_route import GROUP_CHANNELS, group_elements, group_output
from ._network_base import BaseNetwork, check_network_sample_weight, store_arguments

__all__ = ["BaseInvariantCNN"]

# Prediction runs the orbits of NETWORK_BLOCK_BYTES' worth of activations at
# once: memory stays bounded whatever the number of rows or the group's size.


class BaseInvariantCNN(BaseNetwork):
    """Parameters, fit and prediction of the invariant networks.

    What the MLPs do the same way comes from `BaseNetwork`. A subclass
    defines ``_prepare_targets`` (``y`` as the 2-d float matrix
    the loss compares outputs with), ``_loss``, ``_element_signs`` (None, or
    the sign each group element gives the output), ``_stratify`` and
    ``_validation_score``. Not for direct use.
    """

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        "symmetry": "no_validation",  # signed_permutations checks it
        "image_shape": [None, tuple, list, Interval(Integral, 1, None, closed="left")],
        "conv_channels": [
            None, "array-like", Interval(Integral, 1, None, closed="left"),
        ],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "dilation": [Interval(Integral, 1, None, closed="left")],
        "padding": [StrOptions({"same", "valid", "wrap"})],
        "spatial_pooling": [StrOptions({"max", "mean", "none"})],
        "global_pooling": [StrOptions({"max", "mean", "flatten"})],
        "group_pooling": [StrOptions({"max", "mean", "sort"})],
        "even_first_layer": [StrOptions({"auto"}), "boolean"],
        "activation": [StrOptions({"relu", "tanh"})],
        "solver": [StrOptions({"sgd", "adam"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "dtype": [StrOptions({"float32", "float64"})],
        "trunk": [StrOptions({"auto", "orbit", "group"})],
        "augmentation": [None, callable],
        "batch_norm": ["boolean"],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "cosine"})],
    }

    def __init__(
        self, symmetry=None, *, image_shape=None, conv_channels=None,
        kernel_size=3, dilation=1, padding="same", spatial_pooling="max",
        global_pooling="flatten", group_pooling="max", even_first_layer="auto",
        hidden_layer_sizes=(64,), activation="relu", fit_bias=True,
        solver="adam", alpha=1e-4, batch_size=32, learning_rate="constant",
        learning_rate_init=1e-3, power_t=0.5, max_iter=15, shuffle=True,
        random_state=None, tol=1e-4, verbose=False, warm_start=False,
        momentum=0.9, nesterovs_momentum=True, early_stopping=False,
        validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
        n_iter_no_change=10, dtype="float32", trunk="orbit", augmentation=None,
        batch_norm=False,
    ):
        store_arguments(self, locals())

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
        elements = group_elements(self, shape, perms, signs, element_signs)
        conv_channels = self.conv_channels
        if conv_channels is None:
            conv_channels = (8, 16, 32, 32) if elements is None else GROUP_CHANNELS
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
        if elements is not None:  # one image per row: the trunk is equivariant
            arch = make_group_architecture(
                shape, elements, conv_channels, self.kernel_size, self.dilation,
                self.padding, self.spatial_pooling, self.global_pooling, hidden,
                self._n_outputs, self.group_pooling, self.activation, even,
                self.fit_bias, batch_norm=self.batch_norm,
            )
            return arch, (np.arange(n_features)[None], np.ones((1, n_features), dtype),
                          None, None)
        group_pooling = "signed" if element_signs is not None else self.group_pooling
        arch = make_architecture(
            shape, conv_channels, self.kernel_size, self.dilation, self.padding,
            self.spatial_pooling, self.global_pooling, hidden, self._n_outputs,
            group_pooling, self.activation, even, self.fit_bias,
            n_images=_images_per_row(perms, pairs), batch_norm=self.batch_norm,
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
        if isinstance(arch, GroupArchitecture):
            return group_output(self._params, arch, X)
        m = _images_per_row(group[0], group[2])
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
    def _fit(self, X, y, sample_weight, incremental):
        first_pass = not hasattr(self, "_params") or (
            not self.warm_start and not incremental
        )
        X, y = validate_data(self, X, y, reset=first_pass,
                             dtype=(np.float64, np.float32), y_numeric=self._y_numeric,
                             multi_output=self._multi_output)
        X = X.astype(self.dtype, copy=False)
        if incremental and self.learning_rate == "cosine":
            raise ValueError(
                "learning_rate='cosine' anneals the step over fit's max_iter "
                "epochs; partial_fit has no last epoch to anneal towards. Use "
                "fit, or another learning_rate."
            )
        Y = self._prepare_targets(y, incremental, first_pass)
        if sample_weight is not None:
            sample_weight = check_network_sample_weight(sample_weight, X)
        arch, group = self._setup(X.shape[1], X.dtype)
        rng = check_random_state(self.random_state)
        if first_pass:
            self._params = init_params(arch, X.dtype, rng)
            self._arch, self._group = arch, group
            self.n_iter_ = 0
            self.t_ = 0
            self._optimizer = self._make_optimizer(self._params)
            self._reset_stochastic_state()
        elif arch != self._arch:
            raise ValueError(
                "warm_start and partial_fit need the architecture of the "
                f"previous fit; it changed from {self._arch} to {arch}."
            )
        elif not incremental:
            # A warm-started fit gets a new optimiser (its current step size,
            # fresh moments), as scikit-learn's MLPs do; partial_fit keeps it.
            self._optimizer = self._make_optimizer(self._params)
        self.n_orbit_images_ = _images_per_row(group[0], group[2])
        self.trunk_ = "group" if isinstance(arch, GroupArchitecture) else "orbit"
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self._fit_stochastic(X, Y, y, sample_weight, rng, incremental)
        if not np.isfinite(self._params).all():
            raise ValueError(
                "The optimisation diverged: the weights are no longer finite. "
                "Scale the input data or lower learning_rate_init."
            )
        return self

    def _fit_stochastic(self, X, Y, y, sample_weight, rng, incremental):
        params, arch, group = self._params, self._arch, self._group
        val = None
        if self.early_stopping:
            (X, Y, _, sample_weight), (X_val, _, y_val, sw_val) = self._hold_out(
                [X, Y, y, sample_weight], self._stratify(y), rng, incremental
            )
            val = (X_val, y_val, sw_val)
            self._best_params = params.copy()
        n_samples = X.shape[0]
        batch_size = min(self.batch_size, n_samples)
        grad = np.empty_like(params)
        workspace = Workspace()  # the steps' arrays, reused from step to step
        step = loss_and_gradient
        if isinstance(arch, GroupArchitecture):
            step = group_loss_and_gradient
        index = np.arange(n_samples)
        optimizer = self._optimizer
        self.n_iter_ = 0
        for epoch in range(self.max_iter):
            start_time = time.perf_counter()
            if self.learning_rate == "cosine":
                _anneal(optimizer, self.learning_rate_init, epoch, self.max_iter)
            if self.shuffle:
                rng.shuffle(index)
            total = 0.0
            for start in range(0, n_samples, batch_size):
                rows = index[start:start + batch_size]
                sw = None if sample_weight is None else sample_weight[rows]
                if sw is not None and not sw.any():
                    continue
                # The minibatch's orbits, built as it is drawn (issue 29): the
                # memory of a step, not of the data. A row's orbit and its
                # order depend on that row alone, so they are the same bits
                # whichever rows share its minibatch.
                stack, weights = self._orbit(self._augment(X[rows], rng), group)
                loss, _ = step(
                    params, arch, stack, Y[rows], self._loss, self.alpha, sw, grad,
                    weights=weights, workspace=workspace,
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
            score = None if val is None else self._validation_score(*val)
            self._update_no_improvement_count(score, params)
            if self.verbose:
                line = f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}"
                if val is not None:
                    line += f", validation score = {self.validation_scores_[-1]:.6f}"
                print(line + f", {time.perf_counter() - start_time:.1f} s")
            if self._end_epoch(optimizer, incremental):
                break
        if self.early_stopping:
            params[...] = self._best_params
            del self._best_params

    def _augment(self, X, rng):
        """The minibatch's images changed by ``augmentation`` (if any)."""
        if self.augmentation is None:
            return X
        moved = self.augmentation(X, self._arch.image_shape, rng)
        if getattr(moved, "shape", None) != X.shape:
            raise ValueError(
                f"augmentation must return an array of the minibatch's shape "
                f"{X.shape}; {self.augmentation!r} returned "
                f"{getattr(moved, 'shape', type(moved).__name__)}."
            )
        moved = np.asarray(moved, dtype=X.dtype)
        if not np.isfinite(moved).all():
            raise ValueError(
                f"augmentation {self.augmentation!r} returned non-finite values."
            )
        return moved


def _anneal(optimizer, rate, epoch, n_epochs):
    """Set the step of ``epoch`` (from 0) on a half cosine from ``rate`` at
    the first epoch towards 0 after the last, for either solver."""
    step = float(rate * 0.5 * (1.0 + np.cos(np.pi * epoch / n_epochs)))
    # Adam derives its step from learning_rate_init at every update; SGD
    # takes learning_rate as it is.
    optimizer.learning_rate_init = optimizer.learning_rate = step


def _images_per_row(perms, pairs):
    """Images the trunk runs per row: the orbit, or one of each pair
    ``{v, -v}`` under the even first layer."""
    return len(perms) if pairs is None else len(pairs)


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
