"""Sec. IV.A measured: the minima that several seeds reach, compared up to the
symmetry and up to the network's own symmetries.

Training on the orbit ``{X, -X}`` makes the loss the same at a network and at
its image ``W1 -> -W1`` (`symmetry_degeneracy` checks that identity at every
minimum found). Whether two seeds land on one minimum, or on a minimum and its
image, is asked here: two fits are the same point when their parameters agree
after the hidden units of one are permuted and sign-flipped to match the other
(tanh is odd, so flipping a unit's incoming weights, bias and outgoing weights
leaves the function unchanged). All parameters are compared, not the first
layer alone: without biases ``W1 -> -W1`` is also the flip of every
first-layer unit, so first layers alone would make every minimum its own image.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone

from ...datasets import load_shifted_digits
from ...inspection import first_layer_action, symmetry_degeneracy
from ...symmetry import SymmetryGroup
from .._fitting import timed_fit
from .._runner import run_tasks
from .models import (
    build_models,
    claims_splits,
    inner_network,
    nested_subsets,
    with_seed,
)

__all__ = ["MINIMA_MODELS", "align_hidden_units", "aligned_distance", "study_minima"]

# Trained on X (no degeneracy), on the orbit (degenerate), on invariant features
# (the symmetry acts trivially).
MINIMA_MODELS = ("raw", "raw_orbit", "neighbor")


def align_hidden_units(A, B):
    """``A``'s parameters with its hidden units permuted and sign-flipped to
    match ``B``'s, one hidden layer after the other.

    Parameters
    ----------
    A, B : (coefs, intercepts)
        Lists of weight matrices and bias vectors of two tanh networks of the
        same shape.

    Returns
    -------
    (coefs, intercepts) : the same function as ``A``, its units ordered and
        signed as ``B``'s: each unit of a layer is matched (by the assignment
        of least squared difference of incoming weights and bias, either sign)
        after the previous layer's matching has been applied to its weights.
    """
    coefs, intercepts = [W.copy() for W in A[0]], [b.copy() for b in A[1]]
    for layer in range(len(coefs) - 1):
        a = np.vstack([coefs[layer], intercepts[layer]]).T  # one row per unit
        b = np.vstack([B[0][layer], B[1][layer]]).T
        same = ((a[:, None] - b[None]) ** 2).sum(axis=-1)
        flipped = ((a[:, None] + b[None]) ** 2).sum(axis=-1)
        rows, cols = linear_sum_assignment(np.minimum(same, flipped))
        order = rows[np.argsort(cols)]  # the unit of A matched to each of B's
        matched = np.arange(len(order))
        sign = np.where(flipped[order, matched] < same[order, matched], -1.0, 1.0)
        coefs[layer] = coefs[layer][:, order] * sign
        intercepts[layer] = intercepts[layer][order] * sign
        coefs[layer + 1] = coefs[layer + 1][order] * sign[:, None]
    return coefs, intercepts


def aligned_distance(A, B):
    """``||A - B|| / ||B||`` over all parameters, ``A`` aligned to ``B`` by
    `align_hidden_units`; 0 for the same network up to its own symmetries."""
    coefs, intercepts = align_hidden_units(A, B)
    pairs = zip(coefs + intercepts, B[0] + B[1], strict=True)
    difference = sum(((x - y) ** 2).sum() for x, y in pairs)
    norm = sum((y**2).sum() for y in B[0] + B[1])
    return float(np.sqrt(difference / norm))


def _parameters(network):
    return (
        [np.array(W) for W in network.coefs_],
        [np.array(b) for b in network.intercepts_],
    )


def _image(params, element, action):
    """The parameters moved by a group element (Sec. IV.A): the first layer."""
    if action == "trivial":  # invariant features: the move does nothing
        return params
    coefs, intercepts = params
    P = first_layer_action(element, coefs[0].shape[0])
    return [P @ coefs[0], *coefs[1:]], intercepts


def _fit_minimum(model, X, y):
    fit = timed_fit(clone(model), X, y)
    return fit.estimator, fit.cpu_time


def study_minima(protocol, *, n_jobs=1, progress=None, data=None):
    """Fit each of `MINIMA_MODELS` from several seeds to convergence; count
    distinct minima and the pairs that are images of each other under
    inversion.

    The networks are the paper's (10, 5) with biases, trained with the tuned
    penalty (``protocol.minima_alpha``) on the first ``minima_images`` source
    images of the first split, so that L-BFGS converges: with the paper's
    ``alpha=1e-5`` it is still descending after thousands of iterations.
    """
    data = load_shifted_digits() if data is None else data
    train, _ = claims_splits(protocol, data)[0]
    # The first split's subset, drawn as the learning curves draw it (the seed
    # of split i's subsets is i).
    [(_, rows)] = nested_subsets(train, data.groups, [protocol.minima_images], 0)
    X, y = data.data[rows], data.target[rows]
    models = build_models(
        data.image_shape, max_iter=protocol.minima_max_iter,
        tuned_max_iter=protocol.minima_max_iter, alpha=protocol.minima_alpha,
    )
    tasks = [
        (key, seed) for key in MINIMA_MODELS for seed in range(protocol.minima_seeds)
    ]
    calls = [(with_seed(models[key], seed), X, y) for key, seed in tasks]

    def describe(i, result):
        network = inner_network(result[0])
        return (
            f"minima: {tasks[i][0]:15} seed {tasks[i][1]}: loss "
            f"{network.loss_:.5f} after {network.n_iter_} it."
        )

    results = run_tasks(
        _fit_minimum, calls, n_jobs=n_jobs, describe=describe, progress=progress
    )
    group = SymmetryGroup.inversion(X.shape[1])
    compared = []
    for key in MINIMA_MODELS:
        fits = [
            model for (k, _), (model, _) in zip(tasks, results, strict=True) if k == key
        ]
        compared.append(_compare(key, fits, X, y, group, protocol.same_tol))
    return {
        "n_images": protocol.minima_images,
        "n_train": len(rows),
        "alpha": protocol.minima_alpha,
        "max_iter": protocol.minima_max_iter,
        "same_tol": protocol.same_tol,
        "n_fits": len(tasks),
        "cpu_time": float(sum(cpu for _, cpu in results)),
        "models": compared,
    }


def _clusters(distance, tol):
    """Groups of fits closer than ``tol`` (joined transitively), as lists."""
    label = list(range(len(distance)))
    for i in range(len(distance)):
        for j in range(i + 1, len(distance)):
            if distance[i, j] < tol:
                old, new = label[j], label[i]
                label = [new if value == old else value for value in label]
    groups = {}
    for i, value in enumerate(label):
        groups.setdefault(value, []).append(i)
    return list(groups.values())


def _compare(key, fits, X, y, group, tol):
    networks = [inner_network(f) for f in fits]
    params = [_parameters(n) for n in networks]
    degeneracy = [symmetry_degeneracy(f, X, y, symmetry=group) for f in fits]
    action = degeneracy[0].action
    n = len(fits)
    distance = np.array(
        [[aligned_distance(params[i], params[j]) for j in range(n)] for i in range(n)]
    )
    first = [members[0] for members in _clusters(distance, tol)]
    images = group.elements[1:]
    image_pairs = sum(
        any(aligned_distance(_image(params[i], g, action), params[j]) < tol
            for g in images)
        for a, i in enumerate(first)
        for j in first[a + 1:]
    )
    own_image = [
        min(aligned_distance(_image(p, g, action), p) for g in images) for p in params
    ]
    others = distance[~np.eye(n, dtype=bool)]
    return {
        "model": key,
        "n_fits": n,
        "n_converged": int(sum(net.n_iter_ < net.max_iter for net in networks)),
        "n_distinct": len(first),
        "n_image_pairs": int(image_pairs),
        "nearest_distance": float(others.min()) if others.size else None,
        "own_image_distance_median": float(np.median(own_image)),
        "losses": [float(d.losses[0]) for d in degeneracy],
        "image_losses": [float(d.losses[1]) for d in degeneracy],
        "max_image_loss_difference": max(d.max_difference for d in degeneracy),
        "n_degenerate": int(sum(d.degenerate for d in degeneracy)),
        "action": action,
    }
