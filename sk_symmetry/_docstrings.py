"""Docstring text that several estimators share, written once.

A docstring names a fragment by a line that holds only ``{name}``; `fill_doc`
replaces that line by the fragment, indented as the line was. A fragment that
two estimators share but for a few words (an estimator's name, a score) holds
``$field`` there, which `fill_doc`'s keyword arguments fill. The filled text
is what ``help``, the doctests and the documentation read.
"""

import functools
from string import Template

__all__ = ["fill_doc"]

_FRAGMENTS = {
    # The end of the Returns of a loader of the field's digits and its Raises;
    # $package is the optional package that ships or makes the data.
    "digits_loader_returns": """\
    - target_names : ndarray of the 10 digits.
    - DESCR : str, a description of the data.

(data, target) : tuple if ``return_X_y`` is True

Raises
------
ImportError
    If ``$package``, the optional package behind the data, is not
    installed (``pip install "sk_symmetry[benchmark]"``).
TypeError
    If ``return_X_y`` (or another flag) is not a bool.""",
    # The Attributes every estimator sets through `validate_data`.
    "input_feature_attributes": """\
n_features_in_ : int
    Number of features seen during `fit`.

feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen during `fit`, defined only when `X` has feature
    names that are all strings.""",
    # A References section citing the paper the library implements.
    "references": """\
References
----------
D. L. Bergman, "Symmetry constrained machine learning", IntelliSys 2019,
arXiv:1811.07051.""",
    # The end of a transformer's `fit` docstring: ``y`` and what it returns.
    "transformer_fit_returns": """\
y : None
    Ignored.

Returns
-------
self : object
    Fitted transformer.""",
    # The meta-estimators of ``averaging``: the end of `fit`'s Parameters
    # and the start of its Returns, ...
    "averaging_fit_sample_weight": """\
sample_weight : array-like of shape (n_samples,), default=None
    Passed on (repeated over the orbit) only if given; the inner
    ``fit`` must take it.

Returns
-------
self : object""",
    # ... the Parameters of their other methods, ...
    "averaging_input": """\
Parameters
----------
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Data.

Returns
-------""",
    # ... and of a method that takes Dask arrays; $done is what happens to a
    # Dask array (predicted, transformed).
    "averaging_dask_input": """\
Parameters
----------
X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
    Data. A Dask array is $done lazily, block by block.

Returns
-------""",
    # BiaslessMLPClassifier's and BiaslessMLPRegressor's: $model is the
    # scikit-learn estimator they follow, $score their early-stopping score.
    # Parameters from `solver` to `shuffle`.
    "mlp_solver_parameters": """\
solver : {"lbfgs", "sgd", "adam"}, default="lbfgs"
    Weight optimiser: L-BFGS-B from `scipy.optimize.minimize`, stochastic
    gradient descent, or Adam.

alpha : float, default=1e-4
    Strength of the L2 penalty on the weights (never on the biases),
    divided by the sum of the sample weights as in `$model`.

batch_size : int or "auto", default="auto"
    Minibatch size of the stochastic solvers; ``"auto"`` is
    ``min(200, n_samples)``.

learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
    Learning-rate schedule of ``solver="sgd"``, as in `$model`.

learning_rate_init : float, default=0.001
    Initial learning rate of ``"sgd"`` and ``"adam"``.

power_t : float, default=0.5
    Exponent of ``learning_rate="invscaling"``.

max_iter : int, default=200
    Maximum number of iterations (L-BFGS) or epochs (sgd, adam).

shuffle : bool, default=True
    Whether the stochastic solvers shuffle the samples every epoch.""",
    # Parameters from `tol` to `max_fun`.
    "mlp_stopping_parameters": """\
tol : float, default=1e-4
    Tolerance of the optimisation (the L-BFGS gradient tolerance, or the
    loss/score improvement the stochastic solvers wait for).

verbose : bool, default=False
    Whether to print the loss after each epoch (stochastic solvers).

warm_start : bool, default=False
    Whether `fit` starts from the previous solution.

momentum : float, default=0.9
    Momentum of ``solver="sgd"``.

nesterovs_momentum : bool, default=True
    Whether ``solver="sgd"`` uses Nesterov's momentum.

early_stopping : bool, default=False
    Whether the stochastic solvers hold out ``validation_fraction`` of the
    data and stop when its $score stops improving.

validation_fraction : float, default=0.1
    Held-out fraction for early stopping.

beta_1 : float, default=0.9
    Decay of Adam's first-moment estimate.

beta_2 : float, default=0.999
    Decay of Adam's second-moment estimate.

epsilon : float, default=1e-8
    Adam's numerical-stability constant.

n_iter_no_change : int, default=10
    Epochs without ``tol`` improvement before the stochastic solvers stop.

max_fun : int, default=15000
    Maximum number of loss evaluations of ``solver="lbfgs"``.""",
    # Attributes from `loss_curve_` to `n_layers_`.
    "mlp_training_attributes": """\
loss_curve_ : list of float
    Loss after each epoch (stochastic solvers only).

validation_scores_ : list of float or None
    Held-out $score after each epoch with early stopping, else None.

best_validation_score_ : float or None
    Best held-out $score with early stopping, else None.

t_ : int
    Number of training samples seen by the stochastic solvers.

n_iter_ : int
    Number of iterations (L-BFGS) or epochs run by the last call to `fit`
    or `partial_fit` (which runs one).

n_layers_ : int
    Number of layers, input and output included.""",
    # The Parameters and Returns of the inspection results' `plot`.
    "plot_axes": """\
Parameters
----------
ax : matplotlib Axes, default=None
    Where to draw; None makes a new figure.

Returns
-------
ax : matplotlib Axes
    The Axes drawn on.""",
    # The input of the networks' prediction methods.
    "mlp_predict_input": """\
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Input data.""",
    # The Parameters of the networks' prediction methods and the Returns
    # heading; the method's own return value follows.
    "mlp_predict_parameters": """\
Parameters
----------
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Input data.

Returns
-------""",
}


def fill_doc(obj=None, /, **fields):
    """Decorator: ``obj.__doc__`` with each ``{name}`` line replaced by the
    fragment ``name``, its ``$field`` words by the keyword arguments
    (``@fill_doc(model="MLPClassifier")``); an unknown name or a field not
    given raises a KeyError at import."""
    if obj is None:
        return functools.partial(fill_doc, **fields)
    lines = []
    for line in obj.__doc__.splitlines(keepends=True):
        name = line.strip()[1:-1]
        if not (line.strip() == "{" + name + "}" and name.isidentifier()):
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        fragment = Template(_FRAGMENTS[name]).substitute(fields)
        lines.extend(
            indent + text if text.strip() else text
            for text in fragment.splitlines(keepends=True)
        )
        lines.append("\n")  # the fragment's last line ends as the placeholder did
    obj.__doc__ = "".join(lines)
    return obj
