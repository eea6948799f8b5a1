"""`SymmetryTestResult`: what `symmetry_test` found, as a table, a DataFrame
and the largest subgroup of elements that pass."""

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .._docstrings import fill_doc
from ..symmetry import SymmetryGroup
from ._heat_map import draw_heat_map, heat_map_cells, heat_map_size
from ._result import InspectionResult, _pandas

__all__ = ["SymmetryTestResult"]

# A bound on the subgroups visited in the search for the largest one inside
# the passing elements (the subgroup lattice of a small group is small; this
# only guards against pathological inputs such as a large elementary abelian
# group with a few failing elements).
_MAX_SUBGROUPS = 5_000


@dataclass(frozen=True, eq=False, repr=False)
class SymmetryTestResult(InspectionResult):
    """Result of `symmetry_test`: one entry per element, the identity first.

    ``print(result)`` shows a table, `to_frame` gives a DataFrame and `plot`
    (or `SymmetryTestDisplay.from_result`) a heat map. Fields about labels
    are None when `symmetry_test` ran without ``y``.

    Attributes
    ----------
    elements : tuple of str
        Element names.
    input_accuracy : ndarray of shape (n_elements,)
        Held-out accuracy of telling ``x`` from ``g(x)`` over both members of
        each tested pair; 0.5 is chance (and the identity's value).
    input_pvalue, input_pvalue_adjusted : ndarray of shape (n_elements,)
        Exact p-value of the input test, and Holm-adjusted over the elements
        other than the identity (whose p-values are 1).
    classes : ndarray of shape (n_classes,) or None
        The labels, sorted.
    accuracy : float or None
        Accuracy of the model of the labels on the held-out rows of ``X``.
    transformed_accuracy : ndarray of shape (n_elements,) or None
        Its accuracy on ``g(X)`` of the same rows (the identity: ``accuracy``).
    label_pvalue, label_pvalue_adjusted : ndarray of shape (n_elements,) or None
        Exact p-value of the label test, and Holm-adjusted over the elements.
    class_support : ndarray of shape (n_classes,) or None
        Held-out rows of each class.
    class_accuracy : ndarray of shape (n_elements, n_classes) or None
        Accuracy on ``g(X)`` per class; row 0 is on ``X`` itself.
    class_pvalue, class_pvalue_adjusted : ndarray or None
        Of shape (n_elements, n_classes): per-class p-values of the label
        test, and Holm-adjusted over every element and class.
    moved : ndarray of shape (n_elements, n_classes, n_classes) or None
        ``moved[e, i, j]``: held-out rows of class ``i`` predicted right on
        ``x`` and as class ``j`` on ``g(x)``.
    invariant : ndarray of bool of shape (n_elements,)
        Neither test rejects at ``alpha`` (after Holm).
    alpha : float
    n_samples, n_tested, cv : int
        Rows given, rows tested (all but block 0) and blocks.
    model : str
        The estimator used, e.g. ``"Pipeline[StandardScaler, LogisticRegression]"``.
    subgroup_ : SymmetryGroup or None
        The largest subgroup of the tested group whose elements all pass:
        the symmetry the data let you impose. Among subgroups of the same
        size, the first found in the order of the elements. None when the
        symmetry was a callable other than `invert`.
    """

    elements: tuple
    input_accuracy: np.ndarray
    input_pvalue: np.ndarray
    input_pvalue_adjusted: np.ndarray
    classes: object
    accuracy: object
    transformed_accuracy: object
    label_pvalue: object
    label_pvalue_adjusted: object
    class_support: object
    class_accuracy: object
    class_pvalue: object
    class_pvalue_adjusted: object
    moved: object
    invariant: np.ndarray
    alpha: float
    n_samples: int
    n_tested: int
    cv: int
    model: str
    subgroup_: object

    @property
    def rejected(self):
        """Per element, which tests reject: ``"none"``, ``"inputs"``,
        ``"labels"`` or ``"both"``."""
        inputs = self.input_pvalue_adjusted <= self.alpha
        labels = (
            np.zeros_like(inputs)
            if self.label_pvalue_adjusted is None
            else self.label_pvalue_adjusted <= self.alpha
        )
        words = {(False, False): "none", (True, False): "inputs"}
        words.update({(False, True): "labels", (True, True): "both"})
        pairs = zip(inputs, labels, strict=True)
        return tuple(words[bool(i), bool(j)] for i, j in pairs)

    def relabelled(self, element):
        """The classes the label test flags for one element, most moved first.

        Parameters
        ----------
        element : int or str
            Index or name of the element.

        Returns
        -------
        flagged : list of (class, destination, fraction)
            Each class whose per-class adjusted p-value is at most ``alpha``,
            the class its rows most often become on ``g(x)`` (among those
            right on ``x``) and the fraction of the class's rows that do.
        """
        e = self._index(element)
        if self.classes is None:
            return []
        flagged = []
        for i in np.flatnonzero(self.class_pvalue_adjusted[e] <= self.alpha):
            j = int(np.argmax(self.moved[e, i]))
            fraction = self.moved[e, i, j] / max(self.class_support[i], 1)
            source, destination = self.classes[i].item(), self.classes[j].item()
            flagged.append((source, destination, float(fraction)))
        return sorted(flagged, key=lambda item: -item[2])

    def _index(self, element):
        """The position of ``element`` (a name or an index) among the elements,
        or an error naming it and the elements there are."""
        n = len(self.elements)
        if isinstance(element, str):
            if element not in self.elements:
                raise ValueError(
                    f"element={element!r} is not one of the tested elements "
                    f"{list(self.elements)}."
                )
            return self.elements.index(element)
        if isinstance(element, Integral) and not isinstance(element, bool | np.bool_):
            if -n <= element < n:
                return int(element)
            raise ValueError(
                f"element={element!r} is out of range: the result has {n} "
                f"elements (indices 0 to {n - 1}, or -{n} to -1)."
            )
        raise TypeError(
            "element must be an element's name or index; got "
            f"{element!r} of type {type(element).__name__}."
        )

    def to_frame(self, *, per_class=False):
        """The results as a pandas DataFrame (needs pandas).

        Parameters
        ----------
        per_class : bool, default=False
            One row per element (False) or per element and class (True).

        Returns
        -------
        frame : pandas.DataFrame
        """
        pd = _pandas("SymmetryTestResult.to_frame")
        if per_class:
            if self.classes is None:
                raise ValueError("per_class=True needs a test run with y.")
            index = pd.MultiIndex.from_product(
                [self.elements, self.classes], names=["element", "class"]
            )
            dest = self.classes[np.argmax(self.moved, axis=2)].ravel()
            any_moved = self.moved.sum(axis=2).ravel() > 0
            return pd.DataFrame(
                {
                    "accuracy": self.class_accuracy.ravel(),
                    "pvalue": self.class_pvalue.ravel(),
                    "pvalue_adjusted": self.class_pvalue_adjusted.ravel(),
                    "moved_to": np.where(any_moved, dest, None),
                },
                index=index,
            )
        columns = {
            "input_accuracy": self.input_accuracy,
            "input_pvalue": self.input_pvalue,
            "input_pvalue_adjusted": self.input_pvalue_adjusted,
        }
        if self.classes is not None:
            columns.update(
                transformed_accuracy=self.transformed_accuracy,
                label_pvalue=self.label_pvalue,
                label_pvalue_adjusted=self.label_pvalue_adjusted,
            )
        columns.update(rejected=self.rejected, invariant=self.invariant)
        return pd.DataFrame(columns, index=pd.Index(self.elements, name="element"))

    @fill_doc
    def plot(self, ax=None):
        """Draw the heat map of `SymmetryTestDisplay` (needs matplotlib);
        `SymmetryTestDisplay.from_result` draws the same and keeps the image
        and texts.

        {plot_axes}
        """
        return super().plot(ax)

    @property
    def _figsize(self):
        return heat_map_size(heat_map_cells(self)[0])

    def _draw(self, ax):
        draw_heat_map(ax, *heat_map_cells(self), cmap="Reds", colorbar=True)

    def summary(self):
        """The table that ``print(result)`` shows."""
        width = max(len(name) for name in (*self.elements, "element"))
        head = f"{'element':<{width}}  {'X vs g(X)':>9}  {'p':>8}"
        if self.classes is not None:
            head += f"  {'acc g(X)':>8}  {'p':>8}"
        head += f"  {'rejected':<8}"
        if self.classes is not None:
            head += "  classes relabelled (class->most predicted, fraction)"
        lines = [
            f"symmetry_test: {len(self.elements)} elements, {self.n_samples} samples "
            f"({self.n_tested} tested over {self.cv - 1} blocks), {self.model}",
            f"p-values exact, Holm-adjusted over the {len(self.elements) - 1} "
            "elements other than the identity; "
            f"alpha={self.alpha:g}"
            + (
                ""
                if self.classes is None
                else f"; labels: accuracy on held-out X {self.accuracy:.3f}"
            ),
            head,
        ]
        for e, name in enumerate(self.elements):
            line = (
                f"{name:<{width}}  {self.input_accuracy[e]:>9.3f}  "
                f"{_format_p(self.input_pvalue_adjusted[e]):>8}"
            )
            if self.classes is not None:
                line += (
                    f"  {self.transformed_accuracy[e]:>8.3f}  "
                    f"{_format_p(self.label_pvalue_adjusted[e]):>8}"
                )
            line += f"  {self.rejected[e]:<8}"
            flagged = self.relabelled(e)
            if flagged:
                shown = [f"{c}->{d} {f:.2f}" for c, d, f in flagged[:4]]
                more = f" +{len(flagged) - 4}" if len(flagged) > 4 else ""
                line += "  " + ", ".join(shown) + more
            lines.append(line.rstrip())
        if self.subgroup_ is not None:
            names = ", ".join(g.name for g in self.subgroup_)
            lines.append(f"subgroup_: {len(self.subgroup_)} elements ({names})")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self):
        return self.summary()


def _format_p(p):
    return "0" if p == 0 else f"{p:.2g}"


# -- the largest subgroup inside the passing elements --------------------------
def _closure_within(elements, allowed):
    """The subgroup generated by ``elements``, or None if it leaves ``allowed``.

    Products of a finite set of group elements close into a subgroup
    (inverses are powers), so closing under products is enough.
    """
    closed = set(elements)
    frontier = list(closed)
    while frontier:
        new = []
        for a in frontier:
            for b in list(closed):
                for product in (a * b, b * a):
                    if product in closed:
                        continue
                    if product not in allowed:
                        return None
                    closed.add(product)
                    new.append(product)
        frontier = new
    return frozenset(closed)


def _largest_subgroup(group, passing):
    """The largest subgroup of ``group`` inside ``passing``, as a SymmetryGroup.

    The passing elements need not form a group: if a quarter turn passes and
    the half turn fails, the quarter turn cannot be imposed alone. So take
    every subgroup reachable by adding one passing element at a time to a
    subgroup found already (closing it, and dropping it if it leaves the
    passing set); this visits every subgroup inside the set.
    """
    identity = group[0]
    allowed = set(passing) | {identity}
    best = _closure_within(allowed, allowed)
    if best is None:
        best = frozenset([identity])
        seen, frontier = {best}, [best]
        while frontier and len(seen) < _MAX_SUBGROUPS:
            new = []
            for subgroup in frontier:
                for g in passing:
                    if g in subgroup:
                        continue
                    larger = _closure_within(subgroup | {g}, allowed)
                    if larger is None or larger in seen:
                        continue
                    seen.add(larger)
                    new.append(larger)
                    if len(larger) > len(best):
                        best = larger
            frontier = new
    # Generators: each member (in the group's order) not yet generated.
    generators, span = [], frozenset([identity])
    for g in group:
        if g in best and g not in span:
            generators.append(g)
            span = _closure_within([identity, *generators], best)
    specs = [(g.perm, g.sign, g.name) for g in generators]
    return SymmetryGroup(
        specs or [(identity.perm, identity.sign, identity.name)],
        max_size=group.max_size,
        image_shape=group.image_shape,
    )
