"""Which trunk an invariant network gets (``trunk=``), and the group route's
predictions by blocks of rows."""

import numpy as np

from .._utils import NETWORK_BLOCK_BYTES
from ._gcnn_math import d4_structure, forward

__all__ = ["GROUP_CHANNELS", "group_elements", "group_output"]

# The group route's base channels when conv_channels=None (each in |G| copies).
GROUP_CHANNELS = (8, 8, 16, 16)


def _unsupported(estimator, shape, perms, signs, element_signs):
    """Why the group route cannot run, or None when it can."""
    if element_signs is not None:
        return "an output that changes sign under the group needs the orbit"
    if estimator.group_pooling == "sort":
        return "group_pooling='sort' sorts the orbit's features"
    if estimator.kernel_size % 2 == 0:
        return (f"kernel_size={estimator.kernel_size} is even, so its centre is "
                "not a pixel and rotated kernels do not line up")
    return d4_structure(perms, signs, shape)[1]


def group_elements(estimator, shape, perms, signs, element_signs):
    """The group as ``(D4 index, sign)`` pairs when the estimator takes the
    group route, else None.

    ``trunk="auto"`` takes the group route when it applies and the group
    moves pixels (under inversion alone the orbit route is as cheap);
    ``"group"`` raises a ValueError saying why it does not apply.
    """
    if estimator.trunk == "orbit":
        return None
    reason = _unsupported(estimator, shape, perms, signs, element_signs)
    if reason is not None:
        if estimator.trunk == "group":
            raise ValueError(
                "trunk='group' needs a group of quarter turns and mirrors of a "
                "square image (possibly times inversion) and an odd "
                f"kernel_size; here {reason}. Use trunk='orbit' or 'auto'."
            )
        return None
    elements = d4_structure(perms, signs, shape)[0]
    if estimator.trunk == "auto" and len({i for i, _ in elements}) == 1:
        return None
    return elements


def _row_bytes(arch):
    """Bytes of float64 activations (and receptive fields) one row takes in
    the largest layer of the group route."""
    side = arch.image_shape[0]
    n = len(arch.elements)
    largest = 1
    for (kh, kw, c_in, c_out), pad, pool in zip(arch.conv, arch.pads, arch.pool,
                                                strict=True):
        side = side + pad[0] + pad[1] - arch.dilation * (kh - 1)
        largest = max(largest, side * side * (kh * kw * c_in + 2 * c_out * n))
        if pool is not None:
            side //= 2
    return 8 * largest


def group_output(params, arch, X):
    """Exactly invariant network outputs of validated rows, by blocks."""
    rows = max(1, NETWORK_BLOCK_BYTES // _row_bytes(arch))
    outputs = [forward(params, arch, X[start:start + rows], exact=True)[0]
               for start in range(0, X.shape[0], rows)]
    if not outputs:
        return np.empty((0, arch.dense[-1][1]), params.dtype)
    return np.concatenate(outputs)
