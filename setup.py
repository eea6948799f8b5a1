"""Build step for the one compiled kernel; all metadata lives in setup.cfg.

The extension is optional: without a C compiler the package installs anyway
and falls back to numpy (see sk_symmetry/_feature_maps.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "sk_symmetry.features._products",
            ["sk_symmetry/features/_products.c"],
            optional=True,
        ),
        Extension(
            "sk_symmetry.features._group_kernels",
            ["sk_symmetry/features/_group_kernels.c"],
            optional=True,
        ),
    ]
)
