"""What the other subpackages use of `features` beyond its public names: the
check of an ``image_shape`` parameter against the number of features, which
`augmentation.RandomAffine` shares with the transformers.

The one module of this subpackage that others may import besides its
``__init__`` (the layout test checks it).
"""

from ._common import check_image_shape

__all__ = ["check_image_shape"]
