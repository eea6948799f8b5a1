"""What the other subpackages use of `datasets` beyond its public names: the
exact results of the 2D Ising model that the experiments compare against.

The one module of this subpackage that others may import besides its
``__init__`` (the layout test checks it).
"""

from ._ising_exact import CRITICAL_TEMPERATURE, binder_cumulant

__all__ = ["CRITICAL_TEMPERATURE", "binder_cumulant"]
