"""Build step for the compiled kernels; all metadata lives in setup.cfg.

Every extension is optional: without a C compiler the package installs anyway
and each kernel's Python wrapper falls back to numpy (or, for the Monte Carlo,
to plain Python).
"""

import glob
import os

from setuptools import Extension, setup

# (module, C source) of every compiled kernel.
KERNELS = [
    ("sk_symmetry.features._products", "sk_symmetry/features/_products.c"),
    ("sk_symmetry.features._group_kernels", "sk_symmetry/features/_group_kernels.c"),
    (
        "sk_symmetry.neural_network._mlp_kernels",
        "sk_symmetry/neural_network/_mlp_kernels.c",
    ),
    (
        "sk_symmetry.neural_network._cnn_kernels",
        "sk_symmetry/neural_network/_cnn_kernels.c",
    ),
    ("sk_symmetry.datasets._wolff", "sk_symmetry/datasets/_wolff.c"),
]

# The header every kernel includes (common.h), the float/double template
# parameters (dtype.h) and the inclusion of a template for both (each_dtype.h);
# each kernel's headers (*_template.h, ...) sit beside it.
INCLUDE = "sk_symmetry/_kernels"
HEADERS = [f"{INCLUDE}/{name}" for name in ("common.h", "dtype.h", "each_dtype.h")]

setup(
    ext_modules=[
        Extension(
            name,
            [source],
            # the kernel's own folder too, for the template each_dtype.h includes
            include_dirs=[INCLUDE, os.path.dirname(source)],
            depends=HEADERS + glob.glob(source.replace(".c", "_*.h")),
            optional=True,
        )
        for name, source in KERNELS
    ]
)
