"""`SymmetryTestDisplay`: a `symmetry_test` result as a heat map of elements
by classes, in the style of scikit-learn's ``*Display`` classes."""

import numpy as np

from .._compat import validate_params
from ._heat_map import draw_heat_map, heat_map_cells, heat_map_size
from ._result import _axes
from ._symmetry_test import symmetry_test
from ._symmetry_test_result import SymmetryTestResult

__all__ = ["SymmetryTestDisplay"]


class SymmetryTestDisplay:
    """Heat map of a `symmetry_test` result: one row per element.

    The first column is how well a classifier tells ``x`` from ``g(x)``
    (``2 * accuracy - 1``: 0 is chance, 1 is always); then one column per
    class, the accuracy the model of the labels loses on ``g(X)`` (its
    accuracy on the class in ``X`` minus that in ``g(X)``). Cells the tests
    reject are marked: ``*`` for the inputs, the class most rows become for
    a class (``->9``). Create it with `from_result` (a result you have) or
    `from_data` (which runs `symmetry_test` first), as scikit-learn's
    displays are made with ``from_estimator`` and ``from_predictions``.

    Parameters
    ----------
    values : ndarray of shape (n_elements, n_columns)
        The colours.
    elements : list of str
        Row labels.
    columns : list of str
        Column labels.
    marks : ndarray of str of shape (n_elements, n_columns)
        Text for each cell (empty for none).

    Attributes
    ----------
    im_ : matplotlib AxesImage
    text_ : ndarray of matplotlib Text, or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    symmetry_test : The test whose result this shows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sk_symmetry import SymmetryTestDisplay, symmetry_test
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> result = symmetry_test(X, (X[:, 0] > 0).astype(int), random_state=0)
    >>> display = SymmetryTestDisplay.from_result(result)
    >>> display.values.shape
    (2, 3)
    >>> display.marks[1].tolist()
    ['', '->1', '->0']

    The same in one step, from the data:

    >>> same = SymmetryTestDisplay.from_data(X, (X[:, 0] > 0).astype(int),
    ...                                      random_state=0)
    >>> bool((same.values == display.values).all())
    True
    """

    def __init__(self, values, *, elements, columns, marks):
        self.values = values
        self.elements = elements
        self.columns = columns
        self.marks = marks

    @classmethod
    def from_result(cls, result, *, ax=None, cmap="Reds", colorbar=True):
        """Draw the heat map of a `SymmetryTestResult`.

        Parameters
        ----------
        result : SymmetryTestResult
            What `symmetry_test` returned.
        ax, cmap, colorbar
            Passed to `plot`.

        Returns
        -------
        display : SymmetryTestDisplay
        """
        if not isinstance(result, SymmetryTestResult):
            raise TypeError(
                "result must be the SymmetryTestResult that symmetry_test "
                f"returns; got {type(result).__name__}. (A DataFrame from "
                "result.to_frame() holds too little to draw.)"
            )
        values, elements, columns, marks = heat_map_cells(result)
        display = cls(values, elements=elements, columns=columns, marks=marks)
        return display.plot(ax=ax, cmap=cmap, colorbar=colorbar)

    @classmethod
    @validate_params(
        {"ax": "no_validation", "cmap": "no_validation", "colorbar": ["boolean"]},
        # symmetry_test checks the rest: let it (skipping nested validation
        # would switch its checks off).
        prefer_skip_nested_validation=False,
    )
    def from_data(
        cls, X, y=None, symmetry=None, *, ax=None, cmap="Reds", colorbar=True,
        **test_params,
    ):
        """Run `symmetry_test` on the data and draw the heat map of its result.

        Parameters
        ----------
        X, y, symmetry
            The data and the group, passed to `symmetry_test`.
        ax, cmap, colorbar
            Passed to `plot`.
        **test_params
            `symmetry_test`'s other keyword arguments (``estimator``, ``cv``,
            ``alpha``, ``random_state``, ``n_jobs``; see there, where they
            are checked).

        Returns
        -------
        display : SymmetryTestDisplay
        """
        result = symmetry_test(X, y, symmetry, **test_params)
        return cls.from_result(result, ax=ax, cmap=cmap, colorbar=colorbar)

    def plot(self, ax=None, *, cmap="Reds", colorbar=True):
        """Draw the heat map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        cmap : str or matplotlib Colormap, default="Reds"
        colorbar : bool, default=True

        Returns
        -------
        display : SymmetryTestDisplay
            Itself, with ``im_``, ``text_``, ``ax_`` and ``figure_`` set.
        """
        values = np.asarray(self.values)
        ax = _axes(ax, heat_map_size(values), "SymmetryTestDisplay")
        self.im_, self.text_ = draw_heat_map(
            ax,
            values,
            self.elements,
            self.columns,
            self.marks,
            cmap=cmap,
            colorbar=colorbar,
        )
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
