"""Small helpers that several subpackages share: where a warning points, and
how many threads BLAS may use."""

import functools
import os
import sys
import warnings

import joblib
import sklearn
from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread", "threadpool_controller", "warn_at_user_call"]

# Warnings are attributed to the first frame outside these packages: the
# user's own call, also when it reaches us through a Pipeline, an
# OrbitAugmentedClassifier or a GridSearchCV (issue 14, item 13).
_INTERNAL_PREFIXES = tuple(
    os.path.dirname(os.path.abspath(init)) + os.sep
    for init in (__file__, sklearn.__file__, joblib.__file__)
)


def warn_at_user_call(message, category=UserWarning):
    """`warnings.warn` with the stacklevel of the first frame outside
    sk_symmetry, scikit-learn and joblib.

    The same walk as ``skip_file_prefixes`` of Python >= 3.12, done by hand so
    that every supported Python takes one (tested) path.
    """
    frame, stacklevel = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(
        _INTERNAL_PREFIXES
    ):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)


@functools.cache
def threadpool_controller():
    """One `threadpoolctl.ThreadpoolController` per process: building one
    inspects every loaded library, which costs milliseconds."""
    return ThreadpoolController()


def one_blas_thread():
    """A context in which BLAS runs on one thread.

    For products too small to share between threads, and for code that runs
    blocks in threads of its own (two OpenBLAS threads took four times as long
    as one on 334 x 784 blocks of the canonical form's scores).
    """
    return threadpool_controller().limit(limits=1, user_api="blas")
