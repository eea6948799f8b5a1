"""Data sets: the paper's shifted digits and 2D Ising configurations, and the
field's benchmarks (MNIST-1D, 28 x 28 MNIST digits) from optional packages."""

from ._digits import load_shifted_digits
from ._ising import make_ising
from ._mnist import load_mnist_digits, rotate_images
from ._mnist1d import load_mnist1d

__all__ = [
    "load_mnist1d",
    "load_mnist_digits",
    "load_shifted_digits",
    "make_ising",
    "rotate_images",
]
