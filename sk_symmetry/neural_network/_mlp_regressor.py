"""`BiaslessMLPRegressor`: an MLP regressor whose biases can be switched off."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils import column_or_1d

from .._compat import StrOptions, validate_data
from .._docstrings import fill_doc
from ._mlp_base import BaseBiaslessMLP
from ._network_base import NetworkRegressorMixin, store_arguments

__all__ = ["BiaslessMLPRegressor"]


@fill_doc(model="MLPRegressor", score="R^2")
class BiaslessMLPRegressor(RegressorMixin, NetworkRegressorMixin, BaseBiaslessMLP):
    """Multi-layer perceptron regressor whose biases can be switched off.

    A drop-in for `sklearn.neural_network.MLPRegressor` with one more
    parameter, ``fit_bias``. With ``fit_bias=False`` (the default)
    no neuron has a bias and the output is linear, so with an odd hidden
    activation (``"tanh"``, ``"identity"``) the prediction is an odd
    function of the input, exactly: ``predict(-X) == -predict(X)`` to the
    last bit, for every solver and for float32 and float64 data. That is the
    model to use for a target that changes sign with its input (the
    magnetization of a spin configuration, a signed velocity): it is as good
    on ``-X`` as on ``X`` by construction. With ``fit_bias=True`` it is an
    ordinary MLP trained as `MLPRegressor` trains one.

    Parameters
    ----------
    {mlp_layer_parameters}

    loss : {"squared_error", "poisson"}, default="squared_error"
        Half the squared error with a linear output, or half the Poisson
        deviance with the exponential output (the log link) for counts and
        other targets ``y >= 0``, as in `MLPRegressor`. The prediction is
        odd only with ``"squared_error"``; with ``"poisson"`` its logarithm
        is (see Notes).

    fit_bias : bool, default=False
        Whether every hidden and output neuron has a bias. False gives the
        odd network; True an ordinary MLP.

    {mlp_solver_parameters}

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the early-stopping split and the shuffling.
        Weights are drawn exactly as `MLPRegressor` draws them (biases are
        drawn and dropped when ``fit_bias=False``).

    {mlp_stopping_parameters}

    Attributes
    ----------
    coefs_ : list of ndarray of shape (n_layers - 1,)
        Weight matrix of each layer.

    intercepts_ : list of ndarray of shape (n_layers - 1,)
        Bias vector of each layer; all zeros (and unused) when
        ``fit_bias=False``.

    loss_ : float
        Objective at the end of fitting: half the squared error (or half the
        Poisson deviance), summed over outputs and averaged over samples,
        plus the penalty.

    best_loss_ : float or None
        Lowest training loss seen (stochastic solvers without early stopping;
        None with early stopping; not set for ``"lbfgs"``).

    {mlp_training_attributes}

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        ``"identity"``, or ``"exp"`` for ``loss="poisson"``.

    {input_feature_attributes}

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The same model, always with biases.
    BiaslessMLPClassifier : The classifier with the same network.
    make_symmetric_scorer : Scores on ``-X`` against ``-y`` with
        ``target="odd"``.

    Notes
    -----
    Why the identity is exact: without biases each layer computes
    ``g(A @ W)``; negating ``A`` negates every product and every partial sum
    exactly (rounding to nearest is symmetric about zero), and ``tanh`` is
    computed as an odd function, so ``-X`` travels through the network as
    the bitwise negative of ``X`` (`predict` makes dense input C-ordered
    first, so the memory layout of ``-X`` does not matter either). Nothing
    is fitted to ``y`` outside the
    network (no centring or scaling of ``y``, which would add a constant to
    every prediction), and the output layer is linear. With
    ``loss="poisson"`` the output layer is ``exp`` of that odd function, so
    ``predict(-X) == 1 / predict(X)`` up to the rounding of ``exp``.

    With ``fit_bias=False`` and ``activation="relu"`` or ``"logistic"`` the
    network is not odd and the guarantee does not hold. `fit` then warns
    (a UserWarning) rather than raising: such a network is a legitimate
    model (without biases a relu network is positively homogeneous,
    ``f(c x) = c f(x)`` for ``c > 0``), and a parameter search over
    activations should run to its end; but a user who copied
    `MLPRegressor`'s default ``activation="relu"`` would otherwise believe
    the odd guarantee holds.

    Differences from `MLPRegressor`: ``y`` is trained in the dtype of ``X``
    (float32 stays float32), and ``loss="poisson"`` refuses a negative
    ``y``. With one output both minimise the same objective and their
    weights agree to rounding (which a long L-BFGS run amplifies, as any
    change of summation order would). With several outputs both train on
    the gradient of the squared error summed over outputs, but
    `MLPRegressor` reports the mean over outputs as its loss (scikit-learn
    issue 8349), so ``loss_`` and ``loss_curve_`` here are ``n_outputs``
    times its own (the penalty aside). The weights then agree under
    ``"sgd"`` and ``"adam"`` as long as the stopping rule does not compare
    loss values: with ``early_stopping=True`` (it compares R^2) or
    ``n_iter_no_change=np.inf``. Under ``"lbfgs"`` they do not agree: the
    line search and the stopping test of L-BFGS-B use the loss value, which
    in `MLPRegressor` is not the function its gradient belongs to, so the
    iterates part after a few tens of iterations (by 0.01 to 0.07 in the
    predictions in our tests, where one output agrees to 1e-10). Ours is
    the consistent pair. (The Poisson
    deviance is summed over outputs by both.) A `fit` or `partial_fit` that
    raises leaves the estimator as it was.

    {references}

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import BiaslessMLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 3))
    >>> y = np.tanh(2 * X[:, 0]) + X[:, 1] ** 3  # an odd target
    >>> reg = BiaslessMLPRegressor(random_state=0).fit(X, y)
    >>> round(reg.score(X, y), 2)
    1.0
    >>> bool((reg.predict(-X) == -reg.predict(X)).all())
    True
    """

    _parameter_constraints: dict = {
        **BaseBiaslessMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self, hidden_layer_sizes=(10, 5), activation="tanh", *,
        loss="squared_error", fit_bias=False, solver="lbfgs", alpha=1e-4,
        batch_size="auto", learning_rate="constant", learning_rate_init=0.001,
        power_t=0.5, max_iter=200, shuffle=True, random_state=None, tol=1e-4,
        verbose=False, warm_start=False, momentum=0.9, nesterovs_momentum=True,
        early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
        epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
    ):
        store_arguments(self, locals())

    # ------------------------------------------------------------ public API
    @fill_doc
    def predict(self, X):
        """Predicted values.

        {mlp_predict_parameters}
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            In the dtype of ``X`` (float32 or float64); one dimension for a
            single output, as `MLPRegressor`.
        """
        return self._predict_unchecked(self._validate_for_prediction(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    # -------------------------------------------------------------- helpers
    def _predict_unchecked(self, X):
        y = self._output(X)
        if self.out_activation_ == "exp":
            np.exp(y, out=y)
        return y.ravel() if self.n_outputs_ == 1 else y

    def _validate_input(self, X, y, incremental, reset):
        _check_numeric_target(y)
        X, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True, accept_sparse="csr",
            dtype=(np.float64, np.float32), reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # The network trains in the dtype of X; a new array, never a view
        # of the caller's y.
        Y = np.array(y, dtype=X.dtype, order="F").reshape(len(y), -1, order="F")
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError(
                "loss='poisson' needs a target y >= 0 (counts, rates); y has "
                f"{int((Y < 0).sum())} negative value(s), the smallest "
                f"{Y.min():g}. Use loss='squared_error' for a signed target."
            )
        return X, Y

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _validation_score(self, X_val, y_val, sample_weight):
        y_pred = self._predict_unchecked(X_val)
        if not np.isfinite(y_pred).all():  # as MLPRegressor: NaN, not an error
            return np.nan
        return r2_score(y_val, y_pred, sample_weight=sample_weight)


def _check_numeric_target(y):
    """Name ``y`` when it is sparse or holds text or None: validate_data's
    "could not convert string to float" does not say which input it is, and
    it turns None into NaN, which the fit then reports as a divergence."""
    if y is None:
        return
    if sp.issparse(y):  # MLPRegressor's words
        raise TypeError(
            "Sparse data was passed for y, but dense data is required. Use "
            "'.toarray()' to convert to a dense numpy array."
        )
    y_array = np.asarray(y)
    if y_array.dtype.kind not in "USO":
        return
    if y_array.dtype.kind == "O":
        missing = np.flatnonzero([v is None for v in y_array.ravel()])
        if len(missing):
            raise ValueError(
                "y must be a numeric regression target; it holds None at "
                f"{len(missing)} place(s) (the first at flat index "
                f"{missing[0]}). Drop or impute those samples."
            )
    try:
        y_array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "y must be a numeric regression target; it holds non-numeric "
            f"values ({error}). For class labels use a classifier."
        ) from error
