"""Build step for the compiled kernels; all metadata lives in setup.cfg.

The extensions are optional: without a C compiler the package installs anyway
and falls back to numpy (see sk_symmetry/features/_feature_maps.py) or, for
the Wolff updates of make_ising, to plain Python (sk_symmetry/datasets/_ising_mc.py).
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
            "sk_symmetry.datasets._wolff",
            ["sk_symmetry/datasets/_wolff.c"],
            optional=True,
        ),
    ]
)
