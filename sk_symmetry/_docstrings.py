"""Docstring text that several estimators share, written once.

A docstring names a fragment by a line that holds only ``{name}``; `fill_doc`
replaces that line by the fragment, indented as the line was. The filled text
is what ``help``, the doctests and the documentation read.
"""

__all__ = ["fill_doc"]

_FRAGMENTS = {
    # The Attributes every estimator sets through `validate_data`.
    "input_feature_attributes": """\
n_features_in_ : int
    Number of features seen during `fit`.

feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen during `fit`, defined only when `X` has feature
    names that are all strings.""",
    # A References section citing the paper the library implements.
    "references": """\
References
----------
D. L. Bergman, "Symmetry constrained machine learning", IntelliSys 2019,
arXiv:1811.07051.""",
    # The end of a transformer's `fit` docstring: ``y`` and what it returns.
    "transformer_fit_returns": """\
y : None
    Ignored.

Returns
-------
self : object
    Fitted transformer.""",
}


def fill_doc(obj):
    """Decorator: ``obj.__doc__`` with each ``{name}`` line replaced by the
    fragment ``name``; an unknown name raises a KeyError at import."""
    lines = []
    for line in obj.__doc__.splitlines(keepends=True):
        name = line.strip()[1:-1]
        if not (line.strip() == "{" + name + "}" and name.isidentifier()):
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        lines.extend(
            indent + text if text.strip() else text
            for text in _FRAGMENTS[name].splitlines(keepends=True)
        )
        lines.append("\n")  # the fragment's last line ends as the placeholder did
    obj.__doc__ = "".join(lines)
    return obj
