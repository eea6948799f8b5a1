"""`SymmetryTestDisplay`: a `symmetry_test` result as a heat map of elements
by classes, in the style of scikit-learn's ``*Display`` classes."""

import numpy as np

from ._symmetry_test_result import SymmetryTestResult

__all__ = ["SymmetryTestDisplay"]


class SymmetryTestDisplay:
    """Heat map of a `symmetry_test` result: one row per element.

    The first column is how well a classifier tells ``x`` from ``g(x)``
    (``2 * accuracy - 1``: 0 is chance, 1 is always); then one column per
    class, the accuracy the model of the labels loses on ``g(X)`` (its
    accuracy on the class in ``X`` minus that in ``g(X)``). Cells the tests
    reject are marked: ``*`` for the inputs, the class most rows become for
    a class (``->9``). Create it with `from_result`.

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
        inputs = np.clip(2.0 * result.input_accuracy - 1.0, 0.0, 1.0)[:, None]
        input_marks = np.where(result.input_pvalue_adjusted <= result.alpha, "*", "")
        values, marks = inputs, input_marks[:, None].astype(object)
        columns = ["inputs"]
        if result.classes is not None:
            lost = result.class_accuracy[0] - result.class_accuracy
            values = np.hstack([inputs, np.nan_to_num(lost)])
            destination = result.classes[np.argmax(result.moved, axis=2)]
            flagged = result.class_pvalue_adjusted <= result.alpha
            class_marks = np.where(
                flagged, np.char.add("->", destination.astype(str)), ""
            )
            marks = np.hstack([marks, class_marks.astype(object)])
            columns += [str(c) for c in result.classes]
        display = cls(
            values, elements=list(result.elements), columns=columns, marks=marks
        )
        return display.plot(ax=ax, cmap=cmap, colorbar=colorbar)

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
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:  # matplotlib is optional for sk_symmetry
            raise ImportError("SymmetryTestDisplay needs matplotlib.") from error
        if ax is None:
            rows, cols = self.values.shape
            _, ax = plt.subplots(figsize=(1.2 + 0.55 * cols, 0.8 + 0.32 * rows))
        self.im_ = ax.imshow(self.values, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
        self.text_ = np.empty(self.values.shape, dtype=object)
        for (i, j), mark in np.ndenumerate(self.marks):
            colour = "white" if self.values[i, j] > 0.6 else "black"
            self.text_[i, j] = ax.text(
                j, i, mark, ha="center", va="center", fontsize=7, color=colour
            )
        ax.set_xticks(range(len(self.columns)), labels=self.columns)
        ax.set_yticks(range(len(self.elements)), labels=self.elements)
        ax.set_xlabel("inputs, then accuracy lost per class")
        if colorbar:
            ax.figure.colorbar(self.im_, ax=ax)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
