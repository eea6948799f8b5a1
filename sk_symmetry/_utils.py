"""Small helpers that several subpackages share: the compiled kernels, where a
warning points, how many threads BLAS may use, work split over threads, and
the block size and thread counts of the kernels (defined here only)."""

import functools
import importlib
import os
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import sklearn
from threadpoolctl import ThreadpoolController

from ._compat import _openmp_effective_n_threads

__all__ = [
    "NO_KERNELS_VARIABLE",
    "compiled_kernel",
    "in_threads",
    "kernels_disabled",
    "one_blas_thread",
    "threadpool_controller",
    "warn_at_user_call",
    "BLOCK_BYTES",
    "ESTIMATOR_BLOCK_BYTES",
    "NETWORK_BLOCK_BYTES",
    "MIN_BYTES_PER_THREAD",
    "n_threads",
    "ODD_ACTIVATIONS",
]

# Hidden activations g with g(-z) = -g(z), under scikit-learn's MLP names:
# only with these (and no biases) is a network an odd function of its input.
ODD_ACTIVATIONS = ("tanh", "identity")

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


# Blocks of rows are sized so that what one block works on (its images, its
# products, its scores) takes about this many bytes and stays in L2 cache.
BLOCK_BYTES = 1 << 21

# Meta-estimators call an inner estimator on a block of rows' images at a
# time: larger blocks, as each call has a fixed cost (validation, dispatch),
# still bounded so that memory does not grow with the data.
ESTIMATOR_BLOCK_BYTES = 1 << 24

# The invariant CNN predicts the orbits of a block of rows at once: this many
# bytes of activations (the largest layer's receptive fields and outputs).
NETWORK_BLOCK_BYTES = 1 << 25

# The compiled kernels give each thread at least this many bytes (of input or
# output): below that, starting a thread costs more than it saves.
MIN_BYTES_PER_THREAD = 1 << 23


def n_threads():
    """As many threads as scikit-learn's own OpenMP code would use, so that
    ``OMP_NUM_THREADS`` and ``threadpoolctl.threadpool_limits`` limit the
    compiled kernels and the threaded numpy code in the same way."""
    return _openmp_effective_n_threads()


def one_blas_thread():
    """A context in which BLAS runs on one thread.

    For products too small to share between threads, and for code that runs
    blocks in threads of its own (two OpenBLAS threads took four times as long
    as one on 334 x 784 blocks of the canonical form's scores).
    """
    return threadpool_controller().limit(limits=1, user_api="blas")


def in_threads(run, n_units, n_threads):
    """``run(start, stop)`` over ``range(n_units)`` split into up to
    ``n_threads`` equal chunks, the first in this thread; the results in
    order of the chunks."""
    n_threads = int(max(1, min(n_threads, n_units)))
    chunks = [
        (n_units * k // n_threads, n_units * (k + 1) // n_threads)
        for k in range(n_threads)
    ]
    if n_threads == 1:
        return [run(*chunks[0])]
    with ThreadPoolExecutor(n_threads - 1) as pool:
        futures = [pool.submit(run, *chunk) for chunk in chunks[1:]]
        first = run(*chunks[0])
        return [first] + [future.result() for future in futures]


# Set to a non-empty value other than "0", this environment variable turns
# every compiled kernel off, as if none had been built: each caller then runs
# its numpy or Python fallback. Read when a kernel's module is first imported.
NO_KERNELS_VARIABLE = "SK_SYMMETRY_NO_KERNELS"


def kernels_disabled():
    """Whether `NO_KERNELS_VARIABLE` turns the compiled kernels off."""
    return os.environ.get(NO_KERNELS_VARIABLE, "") not in ("", "0")


def compiled_kernel(module, name=None):
    """The compiled extension ``module`` (or its function ``name``), or None
    when it was not built (no C compiler at install time) or when the
    environment variable ``SK_SYMMETRY_NO_KERNELS`` turns the kernels off:
    every caller then runs its numpy or Python fallback.

    The only place where sk_symmetry loads a compiled kernel.
    """
    if kernels_disabled():
        return None
    try:
        kernel = importlib.import_module(module)
    except ImportError:  # pragma: no cover
        return None
    return kernel if name is None else getattr(kernel, name)
