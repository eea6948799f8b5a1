"""SymmetryGroup: group axioms, the named groups, the action on data, bad input."""

import numpy as np
import pytest
import scipy.sparse as sp
from group_strategies import random_groups
from hypothesis import given, settings
from hypothesis import strategies as st

from sk_symmetry import SymmetryGroup, invert

S = SymmetryGroup


def _dense(g):
    """The element as a signed permutation matrix M, with g(x) = x @ M.T."""
    n = g.perm.size
    M = np.zeros((n, n), dtype=int)
    M[np.arange(n), g.perm] = g.sign
    return M


@settings(max_examples=60, deadline=None)
@given(random_groups(max_features=6, max_size=48))
def test_group_axioms_hold_exactly(G):
    elements = list(G)
    assert elements[0].name == "identity"
    assert np.array_equal(_dense(elements[0]), np.eye(G.n_features, dtype=int))
    assert len(set(elements)) == len(elements)  # no element twice
    matrices = {_dense(g).tobytes() for g in elements}
    for g in elements:
        assert g.inverse() in G
        assert np.array_equal(_dense(g * g.inverse()), _dense(elements[0]))
        for h in elements:
            gh = g * h
            assert gh in G  # closure
            assert np.array_equal(_dense(gh), _dense(g) @ _dense(h))
            assert _dense(gh).tobytes() in matrices
    # Lagrange: the order of every element divides the order of the group.
    for g in elements:
        power, order = g, 1
        while power != elements[0]:
            power, order = power * g, order + 1
        assert len(G) % order == 0


@settings(max_examples=40, deadline=None)
@given(random_groups(max_features=6, max_size=48), st.integers(0, 2**32 - 1))
def test_elements_act_as_their_matrices_and_compose(G, seed):
    X = np.random.default_rng(seed).normal(size=(3, G.n_features))
    for g in G:
        np.testing.assert_array_equal(g(X), X @ _dense(g).T)
    g, h = G[-1], G[len(G) // 2]
    np.testing.assert_array_equal((g * h)(X), g(h(X)))
    orbit = G.orbit(X)
    assert len(orbit) == len(G)
    np.testing.assert_array_equal(orbit[0], X)


def test_named_groups_have_their_sizes_and_act_on_images():
    assert len(S.inversion()) == 2
    assert len(S.inversion(5)) == 2
    assert len(S.mirror((3, 4))) == 2
    assert len(S.rotations((5, 5))) == 4
    assert len(S.dihedral((4, 4))) == 8
    assert len(S.translations((3, 4))) == 12
    assert len(S.translations(7)) == 7
    assert len(S.dihedral((8, 8)) * S.inversion(64)) == 16
    assert len(S.dihedral((8, 8)) * S.inversion()) == 16
    image = np.arange(12.0).reshape(3, 4)
    x = image.reshape(1, -1)
    (mirrored,) = S.mirror((3, 4))[1](x)
    np.testing.assert_array_equal(mirrored.reshape(3, 4), image[:, ::-1])
    square = np.arange(16.0).reshape(4, 4)
    rotations = S.rotations((4, 4))
    assert [g.name for g in rotations] == ["identity", "rot90", "rot180", "rot270"]
    for k, g in enumerate(rotations):
        np.testing.assert_array_equal(
            g(square.reshape(1, -1)).reshape(4, 4), np.rot90(square, k)
        )
    shifts = {g(x).tobytes() for g in S.translations((3, 4))}
    expected = {
        np.roll(image, (a, b), axis=(0, 1)).reshape(1, -1).tobytes()
        for a in range(3)
        for b in range(4)
    }
    assert shifts == expected
    names = [g.name for g in S.rotations((2, 2)) * S.inversion()]
    assert "rot90*invert" in names


def test_a_one_tuple_shape_is_a_1d_signal():
    # Issue 17: translations((40,)) was refused while translations(40) worked.
    ring = S.translations((40,))
    assert ring == S.translations(40) and len(ring) == 40
    assert ring.image_shape == (1, 40)
    assert [g.name for g in ring][:3] == ["identity", "shift", "shift^2"]
    x = np.arange(40.0).reshape(1, 40)
    assert {g(x).tobytes() for g in ring} == {
        np.roll(x, k, axis=1).tobytes() for k in range(40)
    }
    reverse = S.mirror((6,))
    assert reverse == S.mirror((1, 6)) and reverse.image_shape == (1, 6)
    np.testing.assert_array_equal(reverse[1](x[:, :6]), x[:, 5::-1])
    assert S([(np.arange(5), -1, "invert")], image_shape=(5,)).image_shape == (1, 5)
    assert len(S.rotations((1,))) == 1
    with pytest.raises(ValueError, match=r"square images; image_shape=\(6,\)"):
        S.rotations((6,))
    for bad in [(), (0,), (2.0,), (True,), (2, 2, 2)]:
        with pytest.raises(ValueError, match=r"\(height, width\), or \(length,\)"):
            S.translations(bad)


def test_the_bound_inversion_acts_as_invert():
    # Bound to a width (check_symmetry(None, n)), the inversion takes
    # invert's path rather than a gather: the same bits, the same containers.
    pd = pytest.importorskip("pandas")
    identity, inversion = S.inversion(3)
    X = np.array([[0.0, -1.5, 2.0], [3.0, 0.0, -0.0]])
    assert inversion(X).tobytes() == invert(X).tobytes()
    assert identity(X).tobytes() == X.tobytes() and identity(X) is not X
    for container in (sp.csr_array, sp.csc_matrix):
        out = inversion(container(X))
        assert type(out) is container
        np.testing.assert_array_equal(out.toarray(), -X)
    frame = pd.DataFrame(X, columns=["a", "b", "a"])
    pd.testing.assert_frame_equal(inversion(frame), invert(frame))
    with pytest.raises(ValueError, match="acts on 3 features"):
        inversion(np.ones((2, 4)))


def test_width_agnostic_inversion_adapts_to_the_data():
    G = S.inversion()
    assert G.n_features is None
    for width in (1, 3, 10):
        X = np.arange(2.0 * width).reshape(2, width)
        np.testing.assert_array_equal(G[1](X), -X)
    assert G.bind(4) == S.inversion(4)
    with pytest.raises(ValueError, match="acts on 4 features but X has 5"):
        S.inversion(4).bind(5)


def test_elements_act_on_sparse_frames_and_integers_without_changing_them():
    pd = pytest.importorskip("pandas")
    G = S.mirror((1, 3)) * S.inversion()
    X = np.array([[1, -2, 3], [0, 5, -6]])
    X_copy = X.copy()
    g = G[-1]  # mirror*invert
    expected = -X[:, ::-1]
    np.testing.assert_array_equal(g(X), expected)
    assert g(X).dtype == X.dtype
    np.testing.assert_array_equal(g(sp.csr_matrix(X)).toarray(), expected)
    assert g(sp.csr_matrix(X)).format == "csr"
    frame = pd.DataFrame(X, columns=["a", "b", "a"])  # duplicate names are fine
    out = g(frame)
    assert list(out.columns) == ["a", "b", "a"]
    np.testing.assert_array_equal(out.to_numpy(), expected)
    np.testing.assert_array_equal(X, X_copy)
    # A pure permutation moves unsigned values; a sign change refuses them.
    U = np.array([[1, 2, 3]], dtype=np.uint8)
    np.testing.assert_array_equal(G[1](U), U[:, ::-1])
    with pytest.raises(TypeError, match="signed numeric"):
        G[2](U)


@pytest.mark.parametrize(
    "container",
    [sp.csr_array, sp.csc_array, sp.coo_array, sp.csr_matrix, sp.csc_matrix],
)
def test_elements_keep_the_sparse_container_type(container):
    # Issue 18, item 2: a csr_array came back a csr_matrix (invert kept it).
    G = S.mirror((1, 3)) * S.inversion(3)
    dense = np.array([[1.0, 0.0, -3.0], [0.0, 5.0, 0.0]])
    X = container(dense)
    for g in G:
        out = g(X)
        assert type(out) is type(X)
        np.testing.assert_array_equal(out.toarray(), g(dense))
        np.testing.assert_array_equal(X.toarray(), dense)  # X unchanged
    assert type(invert(X)) is type(X)


@pytest.mark.parametrize(
    ("generators", "error", "match"),
    [
        ([([0, 0, 1], 1)], ValueError, "not a permutation"),
        ([([0, 1, 2], [1, 2, 1])], ValueError, r"sign must be \+-1"),
        ([([0, 1], 1), ([0, 1, 2], 1)], ValueError, "same number of features"),
        ([([0.0, 1.0], 1)], ValueError, "array of integers"),
        ([[0, 1]], ValueError, "1-d array"),
        (["rot90"], TypeError, "pair"),
        ([([1, 0], 0)], ValueError, r"\+1 or -1"),
        # Issue 18, item 4: booleans are no signs, as a scalar or per feature.
        ([([1, 0], True)], ValueError, r"\+1 or -1"),
        ([([1, 0], [True, True])], ValueError, r"sign must be \+-1.*not booleans"),
        ([([1, 0], np.array([True, False]))], ValueError, "not booleans"),
        # Item 13: generators that are not a list name the parameter.
        (None, TypeError, "generators must be a list.*NoneType"),
        (5, TypeError, "generators must be a list.*int"),
        ("rot90", TypeError, "generators must be a list.*str"),
    ],
)
def test_bad_generators_get_clear_errors(generators, error, match):
    with pytest.raises(error, match=match):
        S(generators)


def test_size_limit_and_bad_shapes():
    with pytest.raises(ValueError, match="more than max_size=10"):
        S.translations((4, 4)).__class__(
            [(g.perm, g.sign, g.name) for g in S.translations((4, 4)).generators],
            max_size=10,
        )
    with pytest.raises(ValueError, match="square images"):
        S.rotations((3, 4))
    with pytest.raises(ValueError, match="pair of positive integers"):
        S.mirror((3, 0))
    with pytest.raises(ValueError, match="acts on 4 features; X has shape"):
        S.mirror((2, 2))[1](np.ones((2, 5)))
    with pytest.raises(ValueError, match="holds 9 pixels but the generators act"):
        S([(np.arange(10), -1, "invert")], image_shape=(3, 3))
    with pytest.raises(ValueError, match="cannot combine groups on images"):
        S.mirror((2, 2)) * S.mirror((1, 4))


def test_a_group_without_generators_is_the_identity_on_the_data_width():
    # Issue 26, item 5: SymmetryGroup([]) was never bound to a width, and the
    # random features, the kernel and the transformer then crashed.
    from sk_symmetry import (
        GroupInvariantTransformer,
        InvariantRandomFeatures,
        check_symmetry,
        invariant_kernel,
    )

    X = np.random.default_rng(0).standard_normal((5, 4))
    identity = SymmetryGroup([(None, 1, "identity")])
    bound = check_symmetry(SymmetryGroup([]), 4)
    assert bound.n_features == 4 and len(bound) == 1 and bound == identity.bind(4)
    for make in (
        lambda G: InvariantRandomFeatures(G, 7, random_state=0).fit_transform(X),
        lambda G: invariant_kernel(X, X[:3], symmetry=G),
        lambda G: GroupInvariantTransformer(G, random_state=0).fit_transform(X),
        lambda G: GroupInvariantTransformer(G, kind="averaged").fit_transform(X),
    ):
        assert np.array_equal(make(SymmetryGroup([])), make(identity))
