"""`SymmetryGroup`: a finite group of signed permutations ``x -> s * x[perm]``.

A group is stored as the list of its elements, each a permutation of the
feature indices and a sign per output feature. Elements compose exactly (no
floating point is involved), so every group axiom holds exactly, and acting on
data is a gather and a negation, exact on every dtype. The named constructors
(`inversion`, `mirror`, `rotations`, `dihedral`, `translations`) only build
generators; `G * H` joins the generators of two groups, as emlp does.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp

from ._invert import invert

__all__ = ["GroupElement", "SymmetryGroup"]

DEFAULT_MAX_SIZE = 10_000


class GroupElement:
    """One signed permutation ``x -> sign * x[:, perm]``, callable on data.

    Elements come from a `SymmetryGroup` (iterate over it); they are not meant
    to be built by hand. ``perm is None`` stands for the identity permutation
    on any number of features (the width-agnostic ``inversion()``), and then
    ``sign`` is a scalar.

    Attributes
    ----------
    perm : ndarray of int of shape (n_features,) or None
        Output feature ``k`` is input feature ``perm[k]``.
    sign : ndarray of int8 of shape (n_features,) or int
        The sign applied to output feature ``k``.
    name : str
        A readable name: ``"identity"``, ``"invert"``, ``"rot90*invert"``.
        ``"g*h"`` is the element ``x -> g(h(x))``.
    """

    def __init__(self, perm, sign, name):
        self.perm = perm
        self.sign = sign
        self.name = name

    @property
    def n_features(self):
        """The width the element acts on, or None for any width."""
        return None if self.perm is None else self.perm.size

    def _key(self):
        if self.perm is None:
            return (None, int(self.sign))
        return (self.perm.tobytes(), self.sign.tobytes())

    def __eq__(self, other):
        return isinstance(other, GroupElement) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return f"<GroupElement {self.name}>"

    def __mul__(self, other):
        """``(g * h)(x) == g(h(x))``."""
        if not isinstance(other, GroupElement):
            return NotImplemented
        return _compose(self, other, _join_names(self.name, other.name))

    def inverse(self):
        """The element that undoes this one."""
        if self.perm is None:
            return GroupElement(None, self.sign, self.name)
        perm = np.empty_like(self.perm)
        perm[self.perm] = np.arange(self.perm.size, dtype=self.perm.dtype)
        return GroupElement(perm, self.sign[perm], f"({self.name})^-1")

    def __call__(self, X):
        """Apply the element to ``X`` (rows are samples); ``X`` is unchanged.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Data, as `invert` takes it. Pure permutations also take unsigned
            integers and booleans; a sign change needs signed numbers.

        Returns
        -------
        X_new : same kind as ``X`` (ndarray for other array-likes)
            Columns of a DataFrame keep their names: the values move.
        """
        if self.perm is None:
            return invert(X) if self.sign < 0 else _copy(X)
        is_frame = hasattr(X, "iloc") and hasattr(X, "columns")
        if not (is_frame or sp.issparse(X)):
            X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.perm.size:
            raise ValueError(
                f"the symmetry element {self.name!r} acts on {self.perm.size} "
                f"features; X has shape {X.shape}."
            )
        uniform = self._uniform_sign()
        if uniform is not None:  # the inversion (or identity) bound to a width
            return invert(X) if uniform < 0 else _copy(X)
        negative = np.flatnonzero(self.sign < 0)
        if is_frame:
            out = X.iloc[:, self.perm].set_axis(X.columns, axis=1)
            for j in negative:  # one column at a time: names may repeat
                out.isetitem(j, invert(out.iloc[:, [j]]).iloc[:, 0])
            return out
        if sp.issparse(X):
            # tocsc keeps the container (a csr_array gives a csc_array); the
            # fancy index copies, so X's own arrays are never written to.
            out = X.tocsc()[:, self.perm]
            if negative.size:
                column = np.repeat(np.arange(out.shape[1]), np.diff(out.indptr))
                flip = self.sign[column] < 0
                out.data[flip] = invert(out.data[flip])
            return out.asformat(X.format)
        out = X[:, self.perm]
        if negative.size:
            out[:, negative] = invert(out[:, negative])
        return out


    def _uniform_sign(self):
        """The sign if the element keeps every feature in place and gives
        them all one sign (the identity, the inversion), else None: then
        ``invert`` or a copy is the same result, without a gather."""
        if not hasattr(self, "_uniform"):
            n = self.perm.size
            uniform = np.array_equal(self.perm, np.arange(n)) and np.all(
                self.sign == self.sign[0]
            )
            self._uniform = int(self.sign[0]) if uniform else None
        return self._uniform


def _copy(X):
    if sp.issparse(X) or hasattr(X, "copy"):
        return X.copy()
    return np.array(X)


def _join_names(outer, inner):
    parts = [p for p in (outer, inner) if p != "identity"]
    return "*".join(parts) or "identity"


def _compose(g, h, name):
    """The element ``x -> g(h(x))``: ``perm = h.perm[g.perm]``,
    ``sign = g.sign * h.sign[g.perm]``."""
    if g.perm is None and h.perm is None:
        return GroupElement(None, int(g.sign) * int(h.sign), name)
    if g.perm is None or h.perm is None:
        n = (g.perm if h.perm is None else h.perm).size
        g, h = _bind(g, n), _bind(h, n)
    if g.perm.size != h.perm.size:
        raise ValueError(
            f"cannot compose {g.name!r} on {g.perm.size} features with "
            f"{h.name!r} on {h.perm.size} features."
        )
    return GroupElement(h.perm[g.perm], g.sign * h.sign[g.perm], name)


def _bind(element, n_features):
    if element.perm is not None:
        return element
    return GroupElement(
        np.arange(n_features, dtype=np.intp),
        np.full(n_features, element.sign, dtype=np.int8),
        element.name,
    )


def _power_name(name, power):
    if power == 1:
        return name
    if name.startswith("rot") and name[3:].isdigit():  # rot90^2 reads as rot180
        return f"rot{int(name[3:]) * power % 360}"
    return f"{name}^{power}"


class _Elements:
    """A sequence of the ``elements`` list, the identity first: what every
    symmetry that `check_symmetry` returns is, to the code that iterates it."""

    def __len__(self):
        return len(self.elements)

    def __iter__(self):
        return iter(self.elements)

    def __getitem__(self, index):
        return self.elements[index]


class SymmetryGroup(_Elements):
    """A finite group acting on feature vectors by signed permutations.

    Each element maps a row ``x`` to ``s * x[perm]`` for a permutation
    ``perm`` of the features and signs ``s`` of +-1. That covers grayscale
    inversion, mirrors, quarter turns and cyclic translations of images and
    every product of them, and acts exactly on every dtype. The group is
    closed from its generators at construction.

    Parameters
    ----------
    generators : list of (perm, sign) or (perm, sign, name)
        Each ``perm`` a permutation of ``range(n_features)``, each ``sign`` an
        array of +-1 of the same length (or a scalar +-1 for all features);
        booleans are not signs.
        All generators act on the same number of features.

    max_size : int, default=10_000
        Refuse to build a group with more elements than this (the orbit of a
        data set under a group of ``k`` elements has ``k`` copies of it).

    image_shape : tuple of int (height, width) or (length,), default=None
        The image the features form, if any; kept for feature maps that
        look at pixel positions (`GroupInvariantTransformer`). A 1-d signal
        ``(length,)`` is stored as the one-row image ``(1, length)``; the
        named constructors take either form too.

    Attributes
    ----------
    elements : list of GroupElement
        All elements, the identity first, then in breadth-first order of
        words in the generators.

    n_features : int or None
        The width the group acts on; None for the width-agnostic
        ``inversion()``, which adapts to the width of the data.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_symmetry import SymmetryGroup
    >>> G = SymmetryGroup.dihedral((8, 8)) * SymmetryGroup.inversion()
    >>> len(G)
    16
    >>> [g.name for g in G][:4]
    ['identity', 'rot90', 'mirror', 'invert']
    >>> X = np.arange(64.0).reshape(1, 64)
    >>> len(G.orbit(X))
    16
    """

    def __init__(self, generators, *, max_size=DEFAULT_MAX_SIZE, image_shape=None):
        if not isinstance(max_size, Integral) or isinstance(max_size, bool) or (
            max_size < 1
        ):
            raise ValueError(f"max_size must be a positive integer, got {max_size!r}.")
        if isinstance(generators, (str, bytes)) or not hasattr(generators, "__iter__"):
            raise TypeError(
                "generators must be a list of (perm, sign) or (perm, sign, name); "
                f"got {generators!r} of type {type(generators).__name__}."
            )
        gens = [_as_generator(g, k) for k, g in enumerate(generators)]
        widths = {g.n_features for g in gens} - {None}
        if len(widths) > 1:
            raise ValueError(
                "all generators must act on the same number of features; got "
                f"widths {sorted(widths)}."
            )
        self.n_features = widths.pop() if widths else None
        if self.n_features is not None:
            gens = [_bind(g, self.n_features) for g in gens]
        self.generators = gens
        self.max_size = int(max_size)
        self.image_shape = None if image_shape is None else _image_shape(image_shape)
        if self.image_shape is not None and self.n_features not in (
            None,
            self.image_shape[0] * self.image_shape[1],
        ):
            raise ValueError(
                f"image_shape={self.image_shape} holds "
                f"{self.image_shape[0] * self.image_shape[1]} pixels but the "
                f"generators act on {self.n_features} features."
            )
        self.elements = _closure(gens, self.n_features, self.max_size)

    # -- the named groups -------------------------------------------------
    @classmethod
    def inversion(cls, n_features=None):
        """``{x, -x}``; with ``n_features=None`` it adapts to the data's width."""
        if n_features is None:
            return cls([(None, -1, "invert")])
        n = _positive_int(n_features, "n_features")
        return cls([(np.arange(n), -1, "invert")])

    @classmethod
    def mirror(cls, image_shape):
        """Left-right reflection of ``(height, width)`` images, or reversal of
        ``(length,)`` signals (2 elements)."""
        h, w = _image_shape(image_shape)
        grid = np.arange(h * w).reshape(h, w)
        return cls([(grid[:, ::-1].ravel(), 1, "mirror")], image_shape=(h, w))

    @classmethod
    def rotations(cls, image_shape):
        """Quarter turns of square images (4 elements)."""
        h, w = _image_shape(image_shape)
        if h != w:
            raise ValueError(
                f"quarter turns need square images; image_shape={image_shape!r} "
                "is not."
            )
        return cls([_rot90(h)], image_shape=(h, w))

    @classmethod
    def dihedral(cls, image_shape):
        """All 8 symmetries of the square: quarter turns and mirrors."""
        group = cls.rotations(image_shape) * cls.mirror(image_shape)
        return group

    @classmethod
    def translations(cls, image_shape):
        """Cyclic shifts: of a ring of ``n`` values when ``image_shape`` is an
        int ``n`` or a 1-tuple ``(n,)`` (``n`` elements), else of a
        ``(height, width)`` torus (``height * width`` elements)."""
        if isinstance(image_shape, Integral) and not isinstance(image_shape, bool):
            n = _positive_int(image_shape, "image_shape")
            return cls([(np.roll(np.arange(n), 1), 1, "shift")])
        h, w = _image_shape(image_shape)
        if len(image_shape) == 1:  # a 1-d signal: the ring, as one row
            return cls([(np.roll(np.arange(w), 1), 1, "shift")], image_shape=(h, w))
        grid = np.arange(h * w).reshape(h, w)
        gens = []
        if w > 1:
            gens.append((np.roll(grid, 1, axis=1).ravel(), 1, "shift_x"))
        if h > 1:
            gens.append((np.roll(grid, 1, axis=0).ravel(), 1, "shift_y"))
        return cls(gens or [(grid.ravel(), 1, "identity")], image_shape=(h, w))

    # -- the group as a container (len, iteration, indexing: _Elements) ---
    def __contains__(self, element):
        return isinstance(element, GroupElement) and any(
            element == g for g in self.elements
        )

    def __mul__(self, other):
        """The group generated by the generators of both."""
        if not isinstance(other, SymmetryGroup):
            return NotImplemented
        shapes = {s for s in (self.image_shape, other.image_shape) if s is not None}
        if len(shapes) > 1:
            raise ValueError(f"cannot combine groups on images {sorted(shapes)}.")
        return SymmetryGroup(
            [(g.perm, g.sign, g.name) for g in self.generators + other.generators],
            max_size=max(self.max_size, other.max_size),
            image_shape=shapes.pop() if shapes else None,
        )

    def __eq__(self, other):
        return isinstance(other, SymmetryGroup) and set(self.elements) == set(
            other.elements
        )

    def __hash__(self):
        return hash(frozenset(self.elements))

    def __repr__(self):
        names = ", ".join(g.name for g in self.generators)
        width = "any" if self.n_features is None else self.n_features
        return (
            f"SymmetryGroup(<{len(self)} elements on {width} features, "
            f"generated by {names}>)"
        )

    def bind(self, n_features):
        """This group on ``n_features`` features (a width-agnostic group adapts;
        any other must already act on that many)."""
        n_features = _positive_int(n_features, "n_features")
        if self.n_features == n_features:
            return self
        if self.n_features is not None:
            raise ValueError(
                f"the symmetry group acts on {self.n_features} features but X has "
                f"{n_features}."
            )
        # Without generators the group is the identity alone; bound, it is
        # generated by the identity on n_features (as an explicit identity
        # generator is), so that it has a width (issue 26, item 5).
        generators = [
            (np.arange(n_features), g.sign, g.name) for g in self.generators
        ] or [(np.arange(n_features), 1, "identity")]
        return SymmetryGroup(
            generators,
            max_size=self.max_size,
            image_shape=self.image_shape,
        )

    def orbit(self, X):
        """All images ``[g(X) for g in G]``, the identity (``X``'s copy) first."""
        return [g(X) for g in self.elements]


def _as_generator(spec, index):
    if isinstance(spec, GroupElement):
        return spec
    if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
        raise TypeError(
            f"generator {index} must be a pair (perm, sign) or a triple "
            f"(perm, sign, name); got {type(spec).__name__}."
        )
    perm, sign = spec[0], spec[1]
    name = spec[2] if len(spec) == 3 else f"g{index}"
    if perm is None:
        sign = _scalar_sign(sign, index)
        return GroupElement(None, sign, str(name))
    perm = np.asarray(perm)
    if perm.ndim != 1 or perm.dtype.kind not in "iu" or perm.size == 0:
        raise ValueError(
            f"generator {index} ({name}): perm must be a 1-d array of integers; "
            f"got shape {perm.shape} and dtype {perm.dtype}."
        )
    n = perm.size
    if not np.array_equal(np.sort(perm), np.arange(n)):
        raise ValueError(
            f"generator {index} ({name}) is not a permutation of range({n})."
        )
    if np.ndim(sign) == 0:
        sign = np.full(n, _scalar_sign(sign, index), dtype=np.int8)
    else:
        sign = np.asarray(sign)
        # Booleans are refused here as in _scalar_sign: True == 1 would pass.
        if (
            sign.shape != (n,)
            or sign.dtype.kind == "b"
            or not np.all(np.isin(sign, (-1, 1)))
        ):
            raise ValueError(
                f"generator {index} ({name}): sign must be +-1 per feature "
                f"({n} numbers, not booleans); got {sign!r}."
            )
        sign = sign.astype(np.int8)
    return GroupElement(perm.astype(np.intp), sign, str(name))


def _scalar_sign(sign, index):
    if isinstance(sign, (bool, np.bool_)) or sign not in (-1, 1):
        raise ValueError(f"generator {index}: sign must be +1 or -1, got {sign!r}.")
    return int(sign)


def _closure(generators, n_features, max_size):
    """Every product of generators, breadth first from the identity.

    New elements are ``element * generator``, so names list the generators in
    the order they were given (``"rot90*invert"``) and the first level of the
    search is the generators themselves.
    """
    if n_features is None:
        identity = GroupElement(None, 1, "identity")
    else:
        identity = GroupElement(
            np.arange(n_features, dtype=np.intp),
            np.ones(n_features, dtype=np.int8),
            "identity",
        )
    # Names are words in the generators; a repeated generator becomes a power.
    words = {identity: []}
    elements = [identity]
    frontier = [identity]
    while frontier:
        new = []
        for element in frontier:
            for gen in generators:
                word = _extend(words[element], gen.name)
                candidate = _compose(element, gen, _render(word))
                if candidate in words:
                    continue
                if len(elements) >= max_size:
                    raise ValueError(
                        f"the symmetry group has more than max_size={max_size} "
                        "elements; pass a larger max_size if you mean it."
                    )
                words[candidate] = word
                elements.append(candidate)
                new.append(candidate)
        frontier = new
    return elements


def _extend(word, name):
    if word and word[-1][0] == name:
        return word[:-1] + [(name, word[-1][1] + 1)]
    return word + [(name, 1)]


def _render(word):
    return "*".join(_power_name(name, power) for name, power in word) or "identity"


def _rot90(n):
    """A quarter turn counter-clockwise of an ``n x n`` image, as a gather."""
    grid = np.arange(n * n).reshape(n, n)
    return (np.rot90(grid).ravel(), 1, "rot90")


def _image_shape(image_shape, name="image_shape"):
    """``(height, width)`` from a pair, or ``(1, length)`` from a 1-tuple: a
    1-d signal is a one-row image. ``name`` is the parameter an error names."""
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = ()
    if len(shape) not in (1, 2) or not all(
        isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in shape
    ):
        raise ValueError(
            f"{name} must be a pair of positive integers (height, width), "
            f"or (length,) for a 1-d signal; got {image_shape!r}."
        )
    if len(shape) == 1:
        return 1, int(shape[0])
    return int(shape[0]), int(shape[1])


def _positive_int(value, name):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)
