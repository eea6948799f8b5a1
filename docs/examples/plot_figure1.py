"""
========================================================
Figure 1: a digit, its inversion, its neighbour features
========================================================

The paper's Figure 1. A digit ``x`` from the shifted-digits data, its
grayscale inversion ``-x``, and the image of neighbour products
``x_i x_{i+e1}`` that :class:`~sk_symmetry.InversionInvariantTransformer`
computes. The products are the same for ``x`` and for ``-x``, so any model
that sees only them cannot tell the two apart.
"""

# %%
# Load the data and pick a 6
# --------------------------
# :func:`~sk_symmetry.load_shifted_digits` scales the 0..16 gray levels to
# [-1, 1] so that the inverted image is exactly ``-x``.
import matplotlib.pyplot as plt
import numpy as np

from sk_symmetry import InversionInvariantTransformer, invert, load_shifted_digits

digits = load_shifted_digits()
print(digits.data.shape, "images of", digits.image_shape)
x = digits.data[np.flatnonzero(digits.target == 6)[:1]]

# %%
# The neighbour products of the digit and of its inversion
# ---------------------------------------------------------
features = InversionInvariantTransformer("neighbor", image_shape=(8, 8))
z = features.fit_transform(x)
z_inverted = features.transform(invert(x))
print("identical features for x and -x:", np.array_equal(z, z_inverted))

# %%
# Draw the three panels
# ---------------------
panels = [
    (x, "a digit $x$"),
    (invert(x), "its inversion $-x$"),
    (z, r"$x_i\,x_{i+e_1}$: the same for both"),
]
fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.8))
for ax, (image, title) in zip(axes, panels, strict=True):
    ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()

# %%
# The products are positive where two neighbouring pixels have the same sign
# (both ink or both background) and negative along the edges of the strokes,
# which is why they keep the digit's outline: the shape survives, the sign
# that the inversion flips does not.
