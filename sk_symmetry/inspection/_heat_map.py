"""The heat map of a `symmetry_test` result, as plain functions: the cells
(`heat_map_cells`) and their drawing (`draw_heat_map`), shared by
`SymmetryTestResult.plot` and `SymmetryTestDisplay`."""

import numpy as np

__all__ = ["draw_heat_map", "heat_map_cells", "heat_map_size"]


def heat_map_cells(result):
    """``(values, elements, columns, marks)`` of a `SymmetryTestResult`.

    Column 0 is how well the inputs are told apart, ``2 * accuracy - 1``
    clipped to [0, 1]; then, with labels, one column per class: the accuracy
    the model of the labels loses on ``g(X)``. A cell a test rejects is
    marked ``*`` (inputs) or ``->c`` (the class its rows most become).
    """
    inputs = np.clip(2.0 * result.input_accuracy - 1.0, 0.0, 1.0)[:, None]
    input_marks = np.where(result.input_pvalue_adjusted <= result.alpha, "*", "")
    values, marks = inputs, input_marks[:, None].astype(object)
    columns = ["inputs"]
    if result.classes is not None:
        lost = result.class_accuracy[0] - result.class_accuracy
        values = np.hstack([inputs, np.nan_to_num(lost)])
        destination = result.classes[np.argmax(result.moved, axis=2)]
        flagged = result.class_pvalue_adjusted <= result.alpha
        class_marks = np.where(flagged, np.char.add("->", destination.astype(str)), "")
        marks = np.hstack([marks, class_marks.astype(object)])
        columns += [str(c) for c in result.classes]
    return values, list(result.elements), columns, marks


def heat_map_size(values):
    """A figure size that fits ``values``' rows and columns."""
    rows, cols = values.shape
    return (1.2 + 0.55 * cols, 0.8 + 0.32 * rows)


def draw_heat_map(ax, values, elements, columns, marks, *, cmap, colorbar):
    """Draw the cells on ``ax``; returns the image and the texts."""
    image = ax.imshow(values, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    texts = np.empty(values.shape, dtype=object)
    for (i, j), mark in np.ndenumerate(marks):
        colour = "white" if values[i, j] > 0.6 else "black"
        texts[i, j] = ax.text(
            j, i, mark, ha="center", va="center", fontsize=7, color=colour
        )
    ax.set_xticks(range(len(columns)), labels=columns)
    ax.set_yticks(range(len(elements)), labels=elements)
    ax.set_xlabel("inputs, then accuracy lost per class")
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    return image, texts
