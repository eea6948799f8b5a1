"""What the other subpackages use of `neural_network` beyond its public
names: the network's loss and gradient on one flat parameter vector, which
`inspection.symmetry_degeneracy` evaluates.

The one module of this subpackage that others may import besides its
``__init__`` (the layout test checks it).
"""

from ._mlp_math import loss_and_gradient, make_layout

__all__ = ["loss_and_gradient", "make_layout"]
