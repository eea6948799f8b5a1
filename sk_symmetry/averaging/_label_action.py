"""How a group acts on what a model predicts: a permutation of the classes
per element (a classifier's ``label_action``), or a sign per element (a
regressor's ``target``), checked to be an action of the group.

A prediction can follow the group only through an action: if ``g`` maps the
label ``c`` to ``pi_g(c)``, then ``g h`` must map it to ``pi_g(pi_h(c))``. The
checks compare every element times every generator, ``|G| * n_generators``
comparisons, which proves the rule for every pair (each element is a word in
the generators).
"""

from collections.abc import Mapping

import numpy as np

__all__ = [
    "action_classes",
    "closed_labels",
    "label_permutations",
    "sign_permutations",
]


def _generator_maps(group, label_action):
    """One mapping per generator of ``group``, from a dict keyed by generator
    name or a list in the order of the generators."""
    names = [g.name for g in group.generators]
    if isinstance(label_action, Mapping):
        unknown = [key for key in label_action if key not in names]
        if unknown:
            raise ValueError(
                f"label_action names {unknown}, which are not generators of the "
                f"symmetry; its generators are {names}. Pass a dict "
                "{generator name: {label: label}}, a list of such dicts (one per "
                "generator) or a callable element -> {label: label}."
            )
        repeated = sorted({n for n in label_action if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"label_action names the generators {repeated}, but the symmetry "
                "has several generators of that name; pass a list, one dict per "
                "generator in the order of symmetry.generators."
            )
        return [label_action.get(name, {}) for name in names]
    if isinstance(label_action, (list, tuple)):
        if len(label_action) != len(names):
            raise ValueError(
                f"label_action holds {len(label_action)} permutations but the "
                f"symmetry has {len(names)} generators ({names}); pass one dict "
                "{label: label} per generator."
            )
        return list(label_action)
    raise TypeError(
        "label_action must be None, a dict {generator name: {label: label}}, a "
        "list of dicts (one per generator) or a callable element -> {label: "
        f"label}}; got {type(label_action).__name__}."
    )


def _all_maps(group, label_action):
    """The mappings of the generators, or (for a callable) of every element:
    ``(maps, per_element)``."""
    if callable(label_action) and not isinstance(label_action, Mapping):
        return [label_action(g) for g in group], True
    return _generator_maps(group, label_action), False


def _check_mapping(mapping, what):
    if not isinstance(mapping, Mapping):
        raise TypeError(
            f"{what} must be a dict {{label: label}} (labels it leaves out stay "
            f"put); got {type(mapping).__name__}."
        )
    return mapping


def closed_labels(labels, group, label_action):
    """The sorted labels together with all their images under the action
    (the classes of a model trained on the orbit)."""
    maps, _ = _all_maps(group, label_action)
    maps = [_check_mapping(m, "each permutation of label_action") for m in maps]
    seen = list(np.unique(labels).tolist())
    known, frontier = set(seen), list(seen)
    while frontier:
        new = []
        for label in frontier:
            for mapping in maps:
                target = mapping.get(label, label)
                if target not in known:
                    known.add(target)
                    new.append(target)
        seen += new
        frontier = new
    if len(seen) == len(np.unique(labels)):
        return np.unique(labels)
    return np.unique(np.asarray(seen))


def _as_permutation(mapping, classes, what):
    """``perm[k]``: the index in ``classes`` of the image of ``classes[k]``."""
    _check_mapping(mapping, what)
    labels = classes.tolist()
    index = {label: k for k, label in enumerate(labels)}
    perm = np.empty(len(labels), dtype=np.intp)
    for k, label in enumerate(labels):
        target = mapping.get(label, label)
        if target not in index:
            raise ValueError(
                f"{what} maps the class {label!r} to {target!r}, which is not "
                f"among the classes {labels}. A model fitted with fit_on='data' "
                "must see every class the action reaches; fit_on='orbit' adds them."
            )
        perm[k] = index[target]
    if np.unique(perm).size != perm.size:
        values, counts = np.unique(perm, return_counts=True)
        twice = labels[values[counts > 1][0]]
        raise ValueError(
            f"{what} is not a permutation of the classes {labels}: it maps more "
            f"than one class to {twice!r}."
        )
    return perm


def label_permutations(group, label_action, classes):
    """The permutation of ``classes`` (as indices) of every element.

    Returns
    -------
    table : ndarray of intp of shape (n_elements, n_classes)
        ``classes[table[k]]`` are the images of ``classes`` under element
        ``k``, checked to form an action of the group.

    Raises
    ------
    ValueError
        If a mapping sends a class outside ``classes``, is not one-to-one,
        or the mappings do not form an action of the group.
    """
    maps, per_element = _all_maps(group, label_action)
    elements = list(group)
    if per_element:
        table = np.stack([
            _as_permutation(m, classes, f"label_action({g.name})")
            for m, g in zip(maps, elements, strict=True)
        ])
    else:
        generators = [
            _as_permutation(m, classes, f"label_action for {g.name!r}")
            for m, g in zip(maps, group.generators, strict=True)
        ]
        table = _extend(group, generators)
    check_action(group, table, "label_action", [repr(c) for c in classes.tolist()])
    return table


def sign_permutations(signs):
    """A sign per element as a permutation of the pair ``(+1, -1)``."""
    return np.array([[0, 1] if s > 0 else [1, 0] for s in signs], dtype=np.intp)


def _extend(group, generators):
    """The action of every element, from those of the generators."""
    elements = list(group)
    index = {g: k for k, g in enumerate(elements)}
    table = [None] * len(elements)
    table[0] = np.arange(len(generators[0]) if generators else 0, dtype=np.intp)
    frontier = [0]
    while frontier:
        new = []
        for k in frontier:
            for s, perm in zip(group.generators, generators, strict=True):
                product = index[elements[k] * s]
                if table[product] is None:
                    table[product] = table[k][perm]
                    new.append(product)
        frontier = new
    return np.stack(table)


def check_action(group, table, what, names):
    """Refuse ``table`` unless it is an action: the identity fixes everything
    and ``table[g * s] == table[g][table[s]]`` for each element ``g`` and
    generator ``s``. ``names`` name the things permuted, for the message."""
    elements = list(group)
    index = {g: k for k, g in enumerate(elements)}

    def show(perm):
        return "{" + ", ".join(
            f"{names[a]} -> {names[b]}" for a, b in enumerate(perm) if a != b
        ) + "}"

    if not np.array_equal(table[0], np.arange(table.shape[1])):
        raise ValueError(
            f"{what} must leave everything in place under the identity; it gives "
            f"{show(table[0])}."
        )
    for k, g in enumerate(elements):
        for s in group.generators:
            product = index[g * s]
            expected = table[k][table[index[s]]]
            if not np.array_equal(table[product], expected):
                raise ValueError(
                    f"{what} is not an action of the group: the element "
                    f"{elements[product].name!r} ({g.name!r} after {s.name!r}) "
                    f"must map {show(expected)} (what {s.name!r} then {g.name!r} "
                    f"do), but maps {show(table[product])}."
                )


def action_classes(table):
    """The distinct rows of ``table`` and, per element, the index of its row:
    ``(element_action, distinct)`` as `reynolds` takes them."""
    distinct, inverse = np.unique(table, axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.intp), distinct
