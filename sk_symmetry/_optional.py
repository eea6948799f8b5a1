"""Optional dependencies: import one, or say which extra installs it."""

import importlib

__all__ = ["import_optional"]


def import_optional(module, *, extra, purpose):
    """Import ``module``; if it is missing, an ImportError naming the extra.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``"mnist1d.data"``.
    extra : str or None
        The sk_symmetry extra that installs it, e.g. ``"benchmark"``; None
        when no extra of its own does (pandas), and the message names the
        package alone.
    purpose : str
        What needs it, for the message (e.g. ``"load_mnist1d"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".")[0]
        how = (
            f"pip install {package}"
            if extra is None
            else f'pip install "sk_symmetry[{extra}]" (or pip install {package})'
        )
        raise ImportError(
            f"{purpose} needs the optional package {package!r}, which is not "
            f"installed: {how}."
        ) from error
