"""Stochastic optimisers updating one flat parameter vector in place.

The update rules and learning-rate schedules are those of scikit-learn's
`MLPClassifier` (``solver="sgd"`` and ``solver="adam"``), so that the same
settings mean the same thing; the state is a few flat vectors instead of one
array per layer, and every step works in preallocated buffers. An Adam step
is one pass of ``_mlp_kernels.c`` when that module was built (numpy's dozen
calls cost more than the arithmetic on a small network's few hundred
parameters); the numpy step is its fallback and reference.
"""

import numpy as np

from .._utils import compiled_kernel

# The Adam pass of _mlp_kernels.c; None when built without a compiler or
# turned off (SK_SYMMETRY_NO_KERNELS).
_adam_kernel = compiled_kernel("sk_symmetry.neural_network._mlp_kernels", "adam")

__all__ = ["AdamOptimizer", "SGDOptimizer"]


class SGDOptimizer:
    """Stochastic gradient descent with (Nesterov) momentum.

    Parameters
    ----------
    params : ndarray
        Flat parameter vector; its shape and dtype size the state.
    learning_rate_init : float
    lr_schedule : {"constant", "invscaling", "adaptive"}
    momentum : float
    nesterov : bool
    power_t : float
    """

    def __init__(
        self, params, learning_rate_init, lr_schedule, momentum, nesterov, power_t
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros_like(params)
        self._tmp = np.empty_like(params)

    def step(self, params, grad):
        """``v <- momentum * v - lr * grad``, then ``params += v`` (or the
        Nesterov look-ahead ``momentum * v - lr * grad``), in place."""
        v, tmp = self.velocity, self._tmp
        np.multiply(grad, self.learning_rate, out=tmp)
        v *= self.momentum
        v -= tmp
        if self.nesterov:
            np.multiply(v, self.momentum, out=tmp)
            params += tmp
            np.multiply(grad, self.learning_rate, out=tmp)
            params -= tmp
        else:
            params += v

    def iteration_ends(self, time_step):
        """Update the learning rate after an epoch (``"invscaling"``)."""
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        """Whether to stop when the loss stalls; ``"adaptive"`` first divides
        the learning rate by 5 until it drops to 1e-6."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False


class AdamOptimizer:
    """Adam (Kingma and Ba, 2014), with scikit-learn's step-size correction.

    Parameters
    ----------
    params : ndarray
        Flat parameter vector; its shape and dtype size the state.
    learning_rate_init, beta_1, beta_2, epsilon : float
    """

    def __init__(self, params, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros_like(params)
        self.v = np.zeros_like(params)
        self._tmp = np.empty_like(params)

    def step(self, params, grad):
        """One Adam update of ``params`` from ``grad``, in place."""
        b1, b2, m, v, tmp = self.beta_1, self.beta_2, self.m, self.v, self._tmp
        self.t += 1
        # a Python float keeps float32 parameters in float32 arithmetic
        self.learning_rate = float(
            self.learning_rate_init * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        )
        if _adam_kernel is not None and _compiled_applies(params, grad, m, v):
            _adam_kernel(params, grad, m, v, params.size, params.itemsize,
                         b1, b2, self.learning_rate, self.epsilon)
            return
        m *= b1
        np.multiply(grad, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= -self.learning_rate
        params += tmp

    def iteration_ends(self, time_step):
        """Nothing to update after an epoch."""

    def trigger_stopping(self, msg, verbose):
        """Stop when the loss stalls."""
        if verbose:
            print(msg + " Stopping.")
        return True


def _compiled_applies(params, *others):
    return params.dtype in (np.float32, np.float64) and all(
        a.dtype == params.dtype and a.shape == params.shape and a.flags.c_contiguous
        for a in (params, *others)
    )
