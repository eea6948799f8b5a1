"""The two ways the biasless networks minimise their objective.

Both work on the flat parameter vector of `_mlp_math` in place; the
estimator keeps the bookkeeping (stopping rules, loss curves, warnings).
"""

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from ._mlp_math import loss_and_gradient, make_workspace

__all__ = ["MinibatchEpoch", "minimize_lbfgs"]


def minimize_lbfgs(params, X, Y, loss_args, sample_weight, max_iter, max_fun, tol):
    """Run scipy's L-BFGS-B on the full-batch objective; ``params`` ends at its
    result.

    Parameters
    ----------
    params : ndarray
        Flat parameter vector (starting point), overwritten with the result.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets: boolean or 0/1 (classifier), real (regressor).
    loss_args : dict
        ``layout``, ``activation``, ``out_activation`` and ``alpha`` of
        `loss_and_gradient`.
    sample_weight : ndarray or None
    max_iter, max_fun : int
    tol : float
        Projected-gradient tolerance (``gtol``).

    Returns
    -------
    result : scipy.optimize.OptimizeResult
    """
    Y = np.asfortranarray(Y, dtype=X.dtype)  # Y.T is then read contiguously
    workspace = make_workspace(loss_args["layout"], X.shape[0], X.dtype)
    grad = np.empty_like(params)

    def fun(x):
        params[...] = x  # scipy works in float64; we keep the data's dtype
        loss, g = loss_and_gradient(
            params, X, Y, sample_weight=sample_weight, workspace=workspace,
            grad=grad, **loss_args,
        )
        return loss, g.astype(np.float64)  # a copy, which scipy may keep

    result = scipy.optimize.minimize(
        fun, params.astype(np.float64), method="L-BFGS-B", jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    params[...] = result.x
    return result


class MinibatchEpoch:
    """Passes over the data in minibatches, with preallocated batch buffers.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Boolean (classifier) or real (regressor) targets.
    sample_weight : ndarray or None
    batch_size : int
    loss_args : dict
        ``layout``, ``activation``, ``out_activation`` and ``alpha`` of
        `loss_and_gradient`.
    """

    def __init__(self, X, Y, sample_weight, batch_size, loss_args):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.batch_size = batch_size
        self.loss_args = loss_args
        dtype = X.dtype
        self._sparse = sp.issparse(X)
        self._workspace = make_workspace(loss_args["layout"], batch_size, dtype)
        self._X = None if self._sparse else np.empty((batch_size, X.shape[1]), dtype)
        self._Y = np.empty((batch_size, Y.shape[1]), dtype=Y.dtype)
        # flat, so that the first nb rows are a Fortran-ordered (nb, n_outputs)
        # view: Y.T is then C-ordered, as the compiled output pass reads it
        self._Y_float = np.empty(batch_size * Y.shape[1], dtype=dtype)
        self._Y_views = {}
        self._sw = None if sample_weight is None else np.empty(batch_size, dtype)
        self._grad = None

    def run(self, params, optimizer, order=None):
        """One epoch: an optimiser step per minibatch, in ``order`` (sample
        indices) or in the stored order if None.

        Returns
        -------
        mean_loss : float
            Mean over samples of the minibatch losses, as MLPClassifier's.
        """
        X, Y, sw = self.X, self.Y, self.sample_weight
        if self._grad is None or self._grad.shape != params.shape:
            self._grad = np.empty_like(params)
        grad = self._grad
        n_samples = X.shape[0]
        total = 0.0
        for start in range(0, n_samples, self.batch_size):
            stop = min(start + self.batch_size, n_samples)
            nb = stop - start
            sw_b = None
            if order is not None:
                idx = order[start:stop]
                X_b = X[idx] if self._sparse else np.take(
                    X, idx, axis=0, out=self._X[:nb], mode="clip")
                Y_b = np.take(Y, idx, axis=0, out=self._Y[:nb], mode="clip")
                if sw is not None:
                    sw_b = np.take(sw, idx, out=self._sw[:nb], mode="clip")
            else:
                X_b, Y_b = X[start:stop], Y[start:stop]
                if sw is not None:
                    sw_b = sw[start:stop]
            Y_f = self._Y_views.get(nb)
            if Y_f is None:
                k = Y.shape[1]
                Y_f = self._Y_views[nb] = self._Y_float[: nb * k].reshape(k, nb).T
            Y_f[...] = Y_b
            loss, _ = loss_and_gradient(
                params, X_b, Y_f, sample_weight=sw_b, workspace=self._workspace,
                grad=grad, **self.loss_args,
            )
            total += loss * nb
            optimizer.step(params, grad)
        return total / n_samples
