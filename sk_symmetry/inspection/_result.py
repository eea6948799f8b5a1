"""What the four inspection results share: ``to_frame()`` for a pandas
DataFrame and ``plot(ax=None)`` for a matplotlib figure, both optional
packages imported only when asked for."""

from .._docstrings import fill_doc
from .._optional import import_optional

__all__ = ["InspectionResult"]


class InspectionResult:
    """Base of `SymmetryReport`, `InversionAccuracyBound`,
    `SymmetryDegeneracy` and `SymmetryTestResult`.

    A subclass gives ``_frame(pd)`` (the DataFrame, built with the pandas
    module it is handed) and ``_draw(ax)`` (the drawing on an Axes); this
    class imports the optional packages and makes the Axes.
    """

    # The figure size ``plot`` asks for when it makes its own Axes.
    _figsize = (4.0, 3.0)

    def to_frame(self):
        """The result as a pandas DataFrame (needs pandas).

        Returns
        -------
        frame : pandas.DataFrame
        """
        return self._frame(_pandas(type(self).__name__ + ".to_frame"))

    @fill_doc
    def plot(self, ax=None):
        """Draw the result (needs matplotlib).

        {plot_axes}
        """
        ax = _axes(ax, self._figsize, type(self).__name__ + ".plot")
        self._draw(ax)
        return ax


def _pandas(purpose):
    return import_optional("pandas", extra=None, purpose=purpose)


def _pyplot(purpose):
    return import_optional("matplotlib.pyplot", extra="plot", purpose=purpose)


def _axes(ax, figsize, purpose):
    """``ax``, or the Axes of a new figure of ``figsize``."""
    plt = _pyplot(purpose)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax
