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


def _predict_parameters(input_type, description):
    """The Parameters of a prediction method taking ``X`` of ``input_type``
    and the Returns heading."""
    return f"""\
Parameters
----------
X : {input_type} of shape (n_samples, n_features)
    {description}

Returns
-------"""


def _fit_parameters(y_description, classes=False):
    """The Parameters and Returns of a network's `fit` or `partial_fit`
    (with `classes`, a classifier's)."""
    classes_text = """
classes : array-like of shape (n_classes,), default=None
    All classes over all calls; required on the first call.""" if classes else ""
    return f"""\
Parameters
----------
X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
    Training data. The MLPs take sparse matrices and train float32 input
    in float32; the CNNs read each row as an image of `image_shape` and
    compute in `dtype`.
y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    {y_description}
sample_weight : array-like of shape (n_samples,), default=None
    Non-negative weights of the samples in the loss.{classes_text}

Returns
-------
self : object
    The estimator, fitted."""


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
    # `hidden_layer_sizes` and `activation`.
    "mlp_layer_parameters": """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(10, 5)
    The ith element is the number of neurons in the ith hidden layer.

activation : {"identity", "logistic", "tanh", "relu"}, default="tanh"
    Activation of the hidden layers. Only ``"tanh"`` and ``"identity"``
    are odd, which the identities of the Notes need; with ``"relu"`` or
    ``"logistic"`` and ``fit_bias=False`` `fit` warns that the network is
    not odd.""",
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
    # The networks' prediction methods: their Parameters and the Returns
    # heading (the method's own return value follows), ...
    "mlp_predict_parameters": _predict_parameters(
        "{array-like, sparse matrix}", "Input data."
    ),
    "cnn_predict_parameters": _predict_parameters(
        "array-like", "Rows read as images of `image_shape`."
    ),
    # The Parameters and Returns of the networks' `fit` and `partial_fit`.
    "network_fit_parameters": _fit_parameters(
        "Class labels (for the MLP, a label-indicator matrix too)\n    or target "
        "values."
    ),
    "network_classifier_partial_fit_parameters": _fit_parameters(
        "Class labels (for the MLP, a label-indicator matrix too).",
        classes=True,
    ),
    "network_regressor_partial_fit_parameters": _fit_parameters("Target values."),
    # InvariantCNNClassifier's and InvariantCNNRegressor's Parameters (the
    # regressor adds `target`), ...
    "cnn_parameters": """\
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

conv_channels : array-like of int, default=None
    Output channels of each convolution; the trunk's depth. With the group
    trunk, base channels, each computed in one copy per group element. None
    means ``(8, 16, 32, 32)`` with the orbit trunk and ``(8, 8, 16, 16)``
    with the group trunk (see ``trunk``).

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

group_pooling : {"max", "mean", "sort"}, default="max"
    Pooling of the trunk's features over each row's orbit, before the
    dense head. All are exact: the orbit is visited in an order set by
    the data. "sort" hands the head each feature's values over the orbit
    in increasing order (the maximum among them), so the head's input is
    ``n_orbit_images_`` times wider; orbit trunk only.

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

learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, default="constant"
    Schedule of the ``"sgd"`` solver, as in scikit-learn's MLPs; or
    ``"cosine"``, for either solver: epoch ``e`` of ``fit`` (from 0) steps
    with ``learning_rate_init * (1 + cos(pi * e / max_iter)) / 2``, from the
    full step down towards 0 (`partial_fit` refuses it: it has no last
    epoch).

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
    Precision of the computation, whatever the input's dtype.

trunk : {"orbit", "group", "auto"}, default="orbit"
    How invariance is built. "orbit" runs a plain trunk on every image of
    each row's orbit and pools over the orbit (any group). "group" makes
    the trunk itself equivariant (a lifting convolution, then group
    convolutions with ``conv_channels`` base channels, each in one copy per
    group element, filters tied by the group) and reads it out invariantly
    (``global_pooling="flatten"``: each copy read in its own frame, then
    ``group_pooling`` over the copies; "max" or "mean": over positions,
    then over copies): one image per row and a richer trunk, for groups of
    quarter turns and mirrors of a square image, possibly times inversion,
    with an odd ``kernel_size``; 2 x 2 pooling only at even sizes.
    Predictions are then computed in fixed point (integers on power-of-two
    grids multiplied in float64, where every sum is exact in any order),
    which makes them bitwise invariant. "auto" takes "group" when it
    applies and the group moves pixels, "orbit" otherwise; the fitted
    ``trunk_`` says which. The default is "orbit": on three validation
    seeds of the 28 x 28 digits under dihedral x inversion it scored 0.921
    against the group trunk's 0.916, at less than half the CPU.

augmentation : callable or None, default=None
    Changes each minibatch's images before its step, during `fit` and
    `partial_fit` only: called as ``augmentation(X_batch, image_shape,
    rng)``, it returns an array of ``X_batch``'s shape. `RandomAffine`
    (random turns, shifts and zooms) is the one the library ships.
    Exact invariance under ``symmetry`` does not depend on it; it teaches
    what no finite group covers (turns by any angle, small moves).

batch_norm : bool, default=False
    Normalise each convolution's channels: in training by the minibatch's
    statistics over every image (of its orbits, for the orbit trunk),
    pixel and copy (one per element, for the group trunk), each counted as
    often as its row's ``sample_weight`` says, then scale by
    a trained factor and shift by the bias; at prediction by running
    statistics, one fixed multiplication and subtraction per channel, so
    invariance stays exact. Without ``fit_bias`` the channels are only
    scaled (by their root mean square), with no shift. A training step
    then runs the minibatch through the trunk at once rather than in
    chunks.""",
    # ... and their Attributes from `conv_kernels_` to `t_`: $loss is the
    # objective, $score the early-stopping score.
    "cnn_attributes": """\
conv_kernels_ : list of ndarray
    Kernel of each convolution, ``(kernel_h, kernel_w, in_channels,
    out_channels)``.

coefs_ : list of ndarray
    Weight matrix of each dense layer.

intercepts_ : list of ndarray or None
    Biases of each convolution and then of each dense layer; None when
    ``fit_bias=False``.

n_orbit_images_ : int
    Images each row is run through: the group's size, or half of it
    with the even first layer and a group holding ``-g`` for each ``g``
    (1 with ``trunk_ == "group"``).

trunk_ : {"orbit", "group"}
    The route ``trunk`` took: the orbit, or the equivariant trunk.

loss_ : float
    Objective ($loss plus penalty) of the last epoch.

loss_curve_ : list of float
    Objective of each epoch.

best_loss_ : float or None
    Lowest training loss (None with early stopping).

validation_scores_ : list of float or None
    Held-out $score after each epoch with early stopping, else None.

best_validation_score_ : float or None
    Best of `validation_scores_`, else None.

n_iter_ : int
    Epochs run by the last call.

t_ : int
    Rows seen over all calls.""",
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
