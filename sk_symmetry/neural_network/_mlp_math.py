"""Network math of `BiaslessMLPClassifier` and `BiaslessMLPRegressor` as plain
functions.

All parameters of a network live in one flat vector: every weight matrix
first (layer by layer, row-major), then, only if the network has biases,
every bias vector. `unpack` returns views into that vector, so optimisers
update it in place and nothing is copied per iteration. Weights come first
so that the L2 penalty (which never touches biases) is one slice.

The objective is scikit-learn's `MLPClassifier` one: the sample-weighted mean
log-loss plus ``alpha / 2 * sum ||W||^2`` divided by the sum of the weights;
for regression half the squared error (output activation ``"identity"``)
or half the Poisson deviance (``"exp"``, the log link), summed over outputs,
in place of the log-loss.

`loss_and_gradient` runs its element-wise work (activations, softmax, loss,
deltas, bias gradients) through the compiled passes of ``_mlp_kernels.c``
when that module was built, and through the numpy functions below otherwise;
the numpy path is also the reference the compiled one is tested against.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, xlogy

from .._utils import compiled_kernel

# The compiled passes of _mlp_kernels.c; None when built without a compiler or
# turned off (SK_SYMMETRY_NO_KERNELS=1). They agree with the numpy passes
# within a documented bound, not bitwise (see the header of _mlp_kernels.c).
_mlp_kernels = compiled_kernel("sk_symmetry.neural_network._mlp_kernels")

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "Layout",
    "Workspace",
    "forward",
    "loss_and_gradient",
    "make_layout",
    "make_workspace",
    "pack",
    "predict_proba_from_output",
    "unpack",
]


# ---------------------------------------------------------------- activations
def _identity(Z):
    pass


def _tanh(Z):
    np.tanh(Z, out=Z)


def _logistic(Z):
    expit(Z, out=Z)


def _relu(Z):
    np.maximum(Z, 0, out=Z)


ACTIVATIONS = {
    "identity": _identity,
    "tanh": _tanh,
    "logistic": _logistic,
    "relu": _relu,
}
"""In-place hidden-layer activations ``Z <- g(Z)``."""


def _identity_derivative(A, delta):
    pass


# The derivatives overwrite A: backpropagation needs a layer's output only
# once more, here, so its buffer doubles as scratch space (no temporaries).
def _tanh_derivative(A, delta):
    # g' = 1 - g**2
    np.multiply(A, A, out=A)
    np.subtract(1, A, out=A)
    delta *= A


def _logistic_derivative(A, delta):
    # g' = g * (1 - g)
    delta *= A
    np.subtract(1, A, out=A)
    delta *= A


def _relu_derivative(A, delta):
    delta[A <= 0] = 0


DERIVATIVES = {
    "identity": _identity_derivative,
    "tanh": _tanh_derivative,
    "logistic": _logistic_derivative,
    "relu": _relu_derivative,
}
"""``delta <- delta * g'`` given the layer's output ``A = g(Z)``; overwrites A."""

# The kernels' activation codes, defined once, in _mlp_kernels.c.
_KERNEL_CODES = {} if _mlp_kernels is None else _mlp_kernels.ACTIVATION_CODES


# -------------------------------------------------------------------- packing
class Layout(NamedTuple):
    """Where each weight matrix and bias vector sits in the flat vector."""

    layer_units: tuple
    fit_bias: bool
    coef_slices: tuple
    coef_shapes: tuple
    bias_slices: tuple
    n_coef: int
    n_params: int


def make_layout(layer_units, fit_bias):
    """Layout of the flat parameter vector of a network.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input and output included.
    fit_bias : bool
        Whether every non-input layer has a bias vector.

    Returns
    -------
    layout : Layout
    """
    layer_units = tuple(int(u) for u in layer_units)
    coef_slices, coef_shapes, bias_slices = [], [], []
    start = 0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
        coef_slices.append(slice(start, start + fan_in * fan_out))
        coef_shapes.append((fan_in, fan_out))
        start += fan_in * fan_out
    n_coef = start
    if fit_bias:
        for fan_out in layer_units[1:]:
            bias_slices.append(slice(start, start + fan_out))
            start += fan_out
    return Layout(
        layer_units, bool(fit_bias), tuple(coef_slices), tuple(coef_shapes),
        tuple(bias_slices), n_coef, start,
    )


def unpack(params, layout):
    """Weight matrices and bias vectors as views into ``params``.

    Returns
    -------
    coefs : list of ndarray
    intercepts : list of ndarray or None
        None when the layout has no biases.
    """
    coefs = [
        params[s].reshape(shape)
        for s, shape in zip(layout.coef_slices, layout.coef_shapes, strict=True)
    ]
    intercepts = [params[s] for s in layout.bias_slices] if layout.fit_bias else None
    return coefs, intercepts


def pack(coefs, intercepts, layout, dtype=np.float64):
    """A new flat vector holding ``coefs`` (and ``intercepts`` if the layout has
    biases)."""
    params = np.empty(layout.n_params, dtype=dtype)
    for s, coef in zip(layout.coef_slices, coefs, strict=True):
        params[s] = coef.ravel()
    for s, intercept in zip(layout.bias_slices, intercepts or (), strict=False):
        params[s] = intercept
    return params


# ------------------------------------------------------------------ workspace
class Workspace(NamedTuple):
    """Preallocated buffers for up to ``n_rows`` samples.

    Training stores layers feature-major, ``(units, n_samples)``: the softmax
    then reduces across rows and the bias gradients along contiguous rows,
    both several times faster in numpy than short per-sample reductions.
    Each buffer is flat so that the first ``n <= n_rows`` samples are a
    contiguous ``(units, n)`` view that BLAS can write into.
    """

    activations: list  # outputs of layers 1..L (the last holds output logits)
    deltas: list  # backpropagated errors of the hidden layers
    row: np.ndarray  # per-sample scratch of shape (n_rows,)
    cache: dict  # views reused across calls (minibatch loops call us a lot)


def make_workspace(layout, n_rows, dtype):
    """Buffers for forward and backward passes over at most ``n_rows`` rows."""
    units = layout.layer_units
    return Workspace(
        [np.empty(u * n_rows, dtype=dtype) for u in units[1:]],
        [np.empty(u * n_rows, dtype=dtype) for u in units[1:-1]],
        np.empty(n_rows, dtype=dtype),
        {},
    )


def _buffers(workspace, units, n):
    """``(units, n)`` views of the workspace buffers, made once per ``n``."""
    views = workspace.cache.get(n)
    if views is None:
        views = (
            [b[: u * n].reshape(u, n)
             for b, u in zip(workspace.activations, units[1:], strict=True)],
            [b[: u * n].reshape(u, n)
             for b, u in zip(workspace.deltas, units[1:-1], strict=True)],
            workspace.row[:n],
        )
        workspace.cache[n] = views
    return views


def _unpacked(workspace, key, vector, layout):
    """`unpack` of ``vector``, remembered while the same array comes back."""
    cached = workspace.cache.get(key)
    if cached is None or cached[0] is not vector:
        cached = (vector, *unpack(vector, layout))
        workspace.cache[key] = cached
    return cached[1], cached[2]


# -------------------------------------------------------------------- forward
def forward(X, coefs, intercepts, activation):
    """Output-layer logits of a network (before the output activation).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs : list of ndarray
    intercepts : list of ndarray or None
        None for a network without biases.
    activation : str
        Hidden activation, a key of `ACTIVATIONS`.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_outputs)
    """
    hidden = ACTIVATIONS[activation]
    A = X
    last = len(coefs) - 1
    for i, W in enumerate(coefs):
        Z = A @ W
        if intercepts is not None:
            Z += intercepts[i]
        if i != last:
            hidden(Z)
        A = Z
    return A


def predict_proba_from_output(logits, out_activation):
    """Class probabilities from output logits, in place.

    For ``"softmax"`` each row is normalised; for ``"logistic"`` each column is
    an independent probability (binary and multilabel targets).
    """
    if out_activation == "softmax":
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
    else:
        expit(logits, out=logits)
    return logits


# ------------------------------------------------------------ loss, gradient
def _output_loss_and_delta(Z, Y, out_activation, row):
    """Per-sample loss into ``row``; ``Z`` becomes ``P - Y`` in place.

    ``Z`` and ``Y`` are feature-major, ``(n_outputs, n_samples)``. The
    log-loss is computed from the logits (log-sum-exp / softplus), exact
    where ``log(p)`` of a rounded probability would lose digits or hit
    ``log(0)``. For ``"identity"`` the loss is half the squared error summed
    over outputs: the function whose gradient ``P - Y`` is (`MLPRegressor`
    reports the mean over outputs with the same gradient, scikit-learn
    issue 8349; one output is the same either way).
    """
    if out_activation == "identity":
        Z -= Y
        np.einsum("ij,ij->j", Z, Z, out=row)
        row *= 0.5
        return
    if out_activation == "exp":
        _half_poisson_deviance(Z, Y, row)
        return
    if out_activation == "softmax":
        Z -= np.maximum.reduce(Z, axis=0)
        # -log p_y = log(sum_k exp z_k) - z_y, for one-hot Y
        np.einsum("ij,ij->j", Y, Z, out=row)
        np.exp(Z, out=Z)
        s = np.add.reduce(Z, axis=0)
        Z /= s
        np.log(s, out=s)
        np.subtract(s, row, out=row)
    else:
        # -y log p - (1-y) log(1-p) = softplus(z) - y z, summed over outputs
        YZ = np.einsum("ij,ij->j", Y, Z)
        P = expit(Z)
        np.logaddexp(0, Z, out=Z)
        np.add.reduce(Z, axis=0, out=row)
        row -= YZ
        Z[...] = P
    Z -= Y


def _half_poisson_deviance(Z, Y, row):
    """Per-sample half Poisson deviance ``y log(y / p) - y + p`` of the
    predictions ``p = exp(z)``, summed over outputs, into ``row``; ``Z``
    becomes ``P - Y``, its gradient with respect to ``z``.

    Written with ``z`` in place of ``log(p)``, so that no logarithm of a
    rounded ``exp`` enters (as scikit-learn's `MLPRegressor` and
    `PoissonRegressor`, the deviance keeps its ``xlogy(y, y) - y`` term,
    which is 0 at a perfect fit).
    """
    P = np.exp(Z)
    terms = xlogy(Y, Y) - Y
    terms -= Y * Z
    terms += P
    np.add.reduce(terms, axis=0, out=row)
    np.subtract(P, Y, out=Z)


def loss_and_gradient(
    params, X, Y, layout, activation, out_activation, alpha,
    sample_weight=None, workspace=None, grad=None,
):
    """Objective of `BiaslessMLPClassifier` and its gradient at ``params``.

    Parameters
    ----------
    params : ndarray of shape (layout.n_params,)
        Flat parameter vector (see `make_layout`), same dtype as ``X``.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        One-hot (``"softmax"``), 0/1 indicator (``"logistic"``), real
        (``"identity"``) or non-negative (``"exp"``) targets in the dtype of
        ``X``; Fortran order saves a strided read.
    layout : Layout
    activation : {"identity", "tanh", "logistic", "relu"}
    out_activation : {"softmax", "logistic", "identity", "exp"}
        ``"identity"`` is regression with the squared error, ``"exp"`` with
        the Poisson deviance.
    alpha : float
        L2 penalty on the weights (never the biases).
    sample_weight : ndarray of shape (n_samples,) or None
    workspace : Workspace or None
        Buffers of at least ``n_samples`` rows; allocated if None.
    grad : ndarray of shape (layout.n_params,) or None
        Where to write the gradient; allocated if None.

    Returns
    -------
    loss : float
        ``sum_i w_i l_i / sum_i w_i + alpha / 2 * ||W||^2 / sum_i w_i`` with
        ``l_i`` the loss of sample ``i`` (summed over outputs).
    grad : ndarray of shape (layout.n_params,)
    """
    n = X.shape[0]
    if workspace is None:
        workspace = make_workspace(layout, n, X.dtype)
    if grad is None:
        grad = np.empty_like(params)
    coefs, intercepts = _unpacked(workspace, "params", params, layout)
    coef_grads, intercept_grads = _unpacked(workspace, "grad", grad, layout)
    acts, deltas, row = _buffers(workspace, layout.layer_units, n)
    if _compiled_applies(X, Y, params, grad, sample_weight):
        loss, sw_sum = _compiled_passes(
            X, Y, sample_weight, coefs, intercepts, coef_grads, intercept_grads,
            acts, deltas, activation, out_activation,
        )
    else:
        loss, sw_sum = _numpy_passes(
            X, Y, sample_weight, coefs, intercepts, coef_grads, intercept_grads,
            acts, deltas, row, activation, out_activation,
        )
        if sample_weight is None:
            grad *= 1.0 / n
    w = params[: layout.n_coef]
    scale = alpha / sw_sum
    loss += 0.5 * scale * np.dot(w, w)
    g = grad[: layout.n_coef]
    g += scale * w
    return float(loss), grad


def _forward_product(X, A, W, Z, *, first):
    """``Z = W.T @ A`` (feature-major), where ``A`` is ``X.T`` in the first
    layer; shared by the numpy and the compiled passes, which differ only in
    the element-wise work."""
    if first and sp.issparse(X):
        Z[...] = (X @ W).T
    else:
        np.matmul(W.T, A, out=Z)


def _weight_gradient(inputs, delta, out):
    """``out = inputs.T @ delta.T``: a layer's weight gradient from its
    sample-major inputs (``X`` or an activation's transpose)."""
    if sp.issparse(inputs):
        out[...] = inputs.T @ delta.T
    else:
        np.matmul(inputs.T, delta.T, out=out)


def _forward(X, coefs, acts, hidden):
    """The forward pass, feature-major: ``acts[i] = W_i.T @ A_{i-1}`` with
    ``A_{-1} = X.T``, then ``hidden(i, acts[i])`` (bias and activation, in
    place) on every layer but the output. Returns the output layer's ``Z``,
    without its bias."""
    A = X.T
    last = len(coefs) - 1
    for i, W in enumerate(coefs):
        Z = acts[i]
        _forward_product(X, A, W, Z, first=i == 0)
        if i != last:
            hidden(i, Z)
        A = Z
    return Z


def _backward(X, coefs, acts, deltas, delta, coef_grads, hidden):
    """The backward pass from the output layer's error ``delta``: each layer's
    weight gradient into ``coef_grads``, and ``deltas[i] = W_{i+1} @
    delta_{i+1}`` then ``hidden(i, deltas[i])`` (the activation's derivative,
    in place, and the bias gradient) on every hidden layer."""
    for i in range(len(coefs) - 1, -1, -1):
        _weight_gradient(X if i == 0 else acts[i - 1].T, delta, coef_grads[i])
        if i > 0:
            prev_delta = deltas[i - 1]
            np.matmul(coefs[i], delta, out=prev_delta)
            hidden(i - 1, prev_delta)
            delta = prev_delta


def _numpy_passes(
    X, Y, sample_weight, coefs, intercepts, coef_grads, intercept_grads,
    acts, deltas, row, activation, out_activation,
):
    """Forward and backward passes in numpy; returns the mean loss (without
    the penalty) and the sum of the weights. Without sample weights the
    gradient is left ``n`` times too large."""
    n = X.shape[0]
    hidden = ACTIVATIONS[activation]
    derivative = DERIVATIVES[activation]

    def hidden_forward(i, Z):
        if intercepts is not None:
            Z += intercepts[i][:, None]
        hidden(Z)

    def hidden_backward(i, delta):
        derivative(acts[i], delta)
        if intercept_grads is not None:
            np.add.reduce(delta, axis=1, out=intercept_grads[i])

    Z = _forward(X, coefs, acts, hidden_forward)
    if intercepts is not None:
        Z += intercepts[-1][:, None]
    _output_loss_and_delta(Z, Y.T, out_activation, row)
    delta = Z  # P - Y, the error at the output logits
    if sample_weight is None:
        # backpropagation is linear in delta: scale the small gradient by 1/n
        # at the end instead of the (n_outputs, n) delta here
        sw_sum = n
        loss = np.add.reduce(row) / n
    else:
        sw_sum = sample_weight.sum()
        loss = np.dot(sample_weight, row) / sw_sum
        delta *= sample_weight / sw_sum
    if intercept_grads is not None:
        np.add.reduce(delta, axis=1, out=intercept_grads[-1])
    _backward(X, coefs, acts, deltas, delta, coef_grads, hidden_backward)
    return loss, sw_sum


def _regression_output(
    Z, YT, bias, sample_weight, sw_sum, bias_grad, out_activation
):
    """The output pass of `_compiled_passes` for the regression outputs
    (``"identity"``, ``"exp"``): adds the bias, leaves ``(P - Y) * w_i /
    sum(w)`` in ``Z``, writes the output bias gradient and returns the mean
    loss."""
    if bias is not None:
        Z += bias[:, None]
    if out_activation == "identity":
        Z -= YT
        row = 0.5 * np.einsum("ij,ij->j", Z, Z)
    else:
        row = np.empty(Z.shape[1], dtype=Z.dtype)
        _half_poisson_deviance(Z, YT, row)
    if sample_weight is None:
        loss = np.add.reduce(row) / sw_sum
        Z *= 1.0 / sw_sum
    else:
        loss = np.dot(sample_weight, row) / sw_sum
        Z *= sample_weight / sw_sum
    if bias_grad is not None:
        np.add.reduce(Z, axis=1, out=bias_grad)
    return loss


def _compiled_applies(X, Y, params, grad, sample_weight):
    dtype = X.dtype
    return (
        _mlp_kernels is not None
        and dtype in (np.float32, np.float64)
        and Y.dtype == params.dtype == grad.dtype == dtype
        and (sample_weight is None or (
            sample_weight.dtype == dtype and sample_weight.flags.c_contiguous))
    )


def _compiled_passes(
    X, Y, sample_weight, coefs, intercepts, coef_grads, intercept_grads,
    acts, deltas, activation, out_activation,
):
    """`_numpy_passes` with the element-wise work in ``_mlp_kernels.c``: one
    pass per hidden layer forward and backward, one over the output. The
    deltas carry the factor ``1 / n`` (or ``w_i / sum(w)``), so the gradient
    comes out scaled."""
    kernels = _mlp_kernels
    n, itemsize = X.shape[0], X.dtype.itemsize
    kind = _KERNEL_CODES[activation]

    def hidden_forward(i, Z):  # bias and activation in one pass
        bias = None if intercepts is None else intercepts[i]
        kernels.hidden(Z, bias, Z.shape[0], n, itemsize, kind)

    def hidden_backward(i, delta):  # derivative and bias gradient in one pass
        bias_grad = None if intercept_grads is None else intercept_grads[i]
        kernels.backward(acts[i], delta, bias_grad, delta.shape[0], n, itemsize, kind)

    Z = _forward(X, coefs, acts, hidden_forward)
    last = len(coefs) - 1
    bias = None if intercepts is None else intercepts[last]
    bias_grad = None if intercept_grads is None else intercept_grads[last]
    sw_sum = n if sample_weight is None else sample_weight.sum()
    if out_activation in ("identity", "exp"):
        # The compiled output pass knows the log-losses only; the regression
        # losses are a few cheap numpy passes over (n_outputs, n).
        loss = _regression_output(
            Z, Y.T, bias, sample_weight, sw_sum, bias_grad, out_activation
        )
    else:
        # the kernel adds the output bias itself
        YT = Y.T if Y.T.flags.c_contiguous else np.ascontiguousarray(Y.T)
        loss = kernels.output(
            Z, YT, bias, sample_weight, float(sw_sum), bias_grad, Z.shape[0], n,
            n, itemsize, out_activation == "softmax",
        )
    delta = Z  # (P - Y) * w_i / sum(w)
    _backward(X, coefs, acts, deltas, delta, coef_grads, hidden_backward)
    return loss, sw_sum
